//! Reading the CSVs users hand over (manifests, boxes, fixations): a header naming the columns,
//! one row per item, errors that name the file and line.

use std::path::{Path, PathBuf};

use crate::DataError;

/// The rows of an annotation CSV, with the column of each name asked for.
pub(crate) struct Table {
    path: PathBuf,
    columns: Vec<Option<usize>>,
    rows: Vec<(usize, csv::StringRecord)>,
}

/// One row of a [`Table`].
pub(crate) struct Row<'a> {
    table: &'a Table,
    /// 1-based line in the file.
    pub line: usize,
    record: &'a csv::StringRecord,
}

impl Table {
    /// Reads the CSV at `path`; `names` are the columns asked for, the first `required` of
    /// which must be in the header (in any order; other columns are ignored).
    pub fn read(path: &Path, names: &[&str], required: usize) -> Result<Self, DataError> {
        let file = std::fs::File::open(path).map_err(DataError::io(path))?;
        Self::parse(file, path, names, required)
    }

    /// [`Table::read`] on CSV text, as if it were the file `path`.
    pub fn parse(
        reader: impl std::io::Read,
        path: &Path,
        names: &[&str],
        required: usize,
    ) -> Result<Self, DataError> {
        let csv_error = |source| DataError::Csv {
            path: path.to_path_buf(),
            source,
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(reader);
        let header = reader.headers().map_err(csv_error)?.clone();
        let columns: Vec<Option<usize>> = names
            .iter()
            .map(|name| header.iter().position(|h| h == *name))
            .collect();
        if let Some(missing) = names[..required]
            .iter()
            .zip(&columns)
            .find_map(|(name, column)| column.is_none().then_some(name))
        {
            return Err(DataError::BadRow {
                path: path.to_path_buf(),
                line: 1,
                message: format!(
                    "the header has no `{missing}` column (it has {:?}; needs {})",
                    header.iter().collect::<Vec<_>>(),
                    names[..required].join(",")
                ),
            });
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(csv_error)?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            rows.push((line, record));
        }
        Ok(Self {
            path: path.to_path_buf(),
            columns,
            rows,
        })
    }

    /// The rows, in the file's order.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(|(line, record)| Row {
            table: self,
            line: *line,
            record,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Row<'_> {
    /// The text of the `index`-th column asked for, `None` where the header lacks it or the
    /// cell is empty.
    pub fn text(&self, index: usize) -> Option<&str> {
        let column = self.table.columns[index]?;
        self.record.get(column).filter(|text| !text.is_empty())
    }

    /// The text of a required column, or an error naming it.
    pub fn required(&self, index: usize, name: &str) -> Result<&str, DataError> {
        self.text(index)
            .ok_or_else(|| self.error(format!("`{name}` is empty")))
    }

    /// The finite number in a required column, or an error naming the column and the text.
    pub fn number(&self, index: usize, name: &str) -> Result<f32, DataError> {
        let text = self.required(index, name)?;
        text.parse::<f32>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| self.error(format!("`{name}` must be a finite number, got {text:?}")))
    }

    /// An error at this row.
    pub fn error(&self, message: String) -> DataError {
        DataError::BadRow {
            path: self.table.path.clone(),
            line: self.line,
            message,
        }
    }
}
