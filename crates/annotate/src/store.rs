//! What one annotator has drawn so far, on disk: maps, manifest and log.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use cyborg_data::{Record, Records, read_manifest, write_manifest};
use image::GrayImage;

use crate::AnnotateError;
use crate::map_file::{encode_map, map_image};
use crate::names::MapNames;
use crate::save_log::{SaveEntry, SaveLog};
use crate::timestamp::now_rfc3339;

/// One annotator's work in an output folder `DIR`:
/// - `DIR/maps/<annotator>/<image stem>.png`: the maps, 8-bit gray, at each image's size;
/// - `DIR/<annotator>.csv`: the manifest (`image,saliency,label`), every image of the input,
///   `saliency` empty until its map is saved; `cyborg train` reads it as it is;
/// - `DIR/<annotator>-log.jsonl`: one [`SaveEntry`] per save, appended.
///
/// Every file is replaced atomically (the log is appended and synced), in that order, so a
/// crash at any point loses no saved map: opening the folder again finds every map file,
/// listed in the manifest or not, and continues.
#[derive(Debug)]
pub struct AnnotationStore {
    out: PathBuf,
    annotator: String,
    records: Records,
    names: Vec<String>,
    done: Vec<bool>,
    given: Vec<Option<String>>,
    log: SaveLog,
    /// Held while the store is open: one server per annotator and folder.
    _lock: File,
}

impl AnnotationStore {
    /// Opens (or starts) `annotator`'s work on `records` in `out`, creating the folders and
    /// writing the manifest. Image paths are made absolute, so the manifest holds wherever the
    /// input was read from.
    ///
    /// Each image keeps the map name an earlier session gave it (from the manifest or the
    /// log); a new image gets its stem, unless a file of that name records another image.
    ///
    /// # Errors
    /// [`AnnotateError::BadAnnotator`] for a name that cannot be a folder,
    /// [`AnnotateError::Busy`] while another store has the same annotator and folder open,
    /// [`AnnotateError::Usage`] for no image or for an earlier manifest in `out` that lists
    /// images `records` lacks; an I/O error
    /// naming the path; a [`cyborg_data::DataError`] if an earlier manifest in `out` does not
    /// read.
    pub fn open(
        records: Records,
        out: impl AsRef<Path>,
        annotator: &str,
    ) -> Result<Self, AnnotateError> {
        check_annotator(annotator)?;
        if records.is_empty() {
            return Err(AnnotateError::Usage("no image to annotate".into()));
        }
        let out = out.as_ref().to_path_buf();
        let maps = out.join("maps").join(annotator);
        std::fs::create_dir_all(&maps).map_err(AnnotateError::io(&maps))?;
        let out = std::fs::canonicalize(&out).map_err(AnnotateError::io(&out))?;
        let maps = out.join("maps").join(annotator);
        let lock = lock(&out, annotator)?;
        let mut records = records;
        for record in &mut records.items {
            record.image =
                std::fs::canonicalize(&record.image).map_err(AnnotateError::io(&record.image))?;
            record.saliency = None;
        }
        let manifest = out.join(format!("{annotator}.csv"));
        let log = SaveLog::new(out.join(format!("{annotator}-log.jsonl")));
        let mut kept = earlier_names(&manifest, &records)?;
        let entries = log.entries()?;
        for entry in &entries {
            if let Some(name) = entry.map.file_name() {
                kept.insert(entry.image.clone(), name.to_string_lossy().into_owned());
            }
        }
        let mut taken = MapNames::default();
        for name in kept.values() {
            taken.reserve(name);
        }
        let names: Vec<String> = records
            .items
            .iter()
            .map(|r| match kept.get(&r.image) {
                Some(name) => name.clone(),
                None => fresh_name(&mut taken, &maps, &r.image),
            })
            .collect();
        let done = names.iter().map(|n| maps.join(n).is_file()).collect();
        let mut labels: HashMap<PathBuf, Option<String>> = entries
            .into_iter()
            .map(|e| (e.image, e.label_given))
            .collect();
        let given = records
            .items
            .iter()
            .map(|r| labels.remove(&r.image).flatten())
            .collect();
        let store = Self {
            out,
            annotator: annotator.to_string(),
            records,
            names,
            done,
            given,
            log,
            _lock: lock,
        };
        store.write_manifest()?;
        Ok(store)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.records.items.len()
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.records.items.is_empty()
    }

    /// Number of images with a saved map.
    pub fn annotated(&self) -> usize {
        self.done.iter().filter(|&&d| d).count()
    }

    /// The annotator's name.
    pub fn annotator(&self) -> &str {
        &self.annotator
    }

    /// The class names, in label order.
    pub fn classes(&self) -> &[String] {
        &self.records.classes
    }

    /// Image `index`, its absolute path and label.
    pub fn record(&self, index: usize) -> Option<&Record> {
        self.records.items.get(index)
    }

    /// Whether image `index` has a saved map.
    pub fn is_done(&self, index: usize) -> bool {
        self.done.get(index).copied().unwrap_or(false)
    }

    /// The class the annotator last gave image `index`, if any.
    pub fn label_given(&self, index: usize) -> Option<&str> {
        self.given.get(index).and_then(|g| g.as_deref())
    }

    /// The file name of image `index`'s map.
    pub fn map_name(&self, index: usize) -> Option<&str> {
        self.names.get(index).map(String::as_str)
    }

    /// Where image `index`'s map is (or will be) written.
    pub fn map_path(&self, index: usize) -> Option<PathBuf> {
        self.map_name(index)
            .map(|name| self.out.join("maps").join(&self.annotator).join(name))
    }

    /// The manifest this store writes.
    pub fn manifest_path(&self) -> PathBuf {
        self.out.join(format!("{}.csv", self.annotator))
    }

    /// The log this store appends to.
    pub fn log_path(&self) -> PathBuf {
        self.out.join(format!("{}-log.jsonl", self.annotator))
    }

    /// Saves `map` as image `index`'s map, then the manifest, then a log line; returns the
    /// number of images annotated. The caller checks that `map` has the image's size.
    ///
    /// # Panics
    /// If `index` is out of range.
    ///
    /// # Errors
    /// The first write that fails, naming its file. A map already written stays.
    pub fn save(
        &mut self,
        index: usize,
        map: &GrayImage,
        seconds: f64,
        label_given: Option<String>,
    ) -> Result<usize, AnnotateError> {
        let path = self.map_path(index).expect("index in range");
        let image = &self.records.items[index].image;
        let png = encode_map(map, image).map_err(|source| AnnotateError::Encode {
            path: path.clone(),
            source,
        })?;
        cyborg_atomic_write::write_bytes_atomically(&path, &png)
            .map_err(AnnotateError::io(&path))?;
        self.done[index] = true;
        self.given[index].clone_from(&label_given);
        self.write_manifest()?;
        let record = &self.records.items[index];
        self.log.append(&SaveEntry {
            time: now_rfc3339(),
            annotator: self.annotator.clone(),
            index,
            image: record.image.clone(),
            map: Path::new("maps")
                .join(&self.annotator)
                .join(&self.names[index]),
            seconds: if seconds.is_finite() {
                seconds.max(0.0)
            } else {
                0.0
            },
            label_given,
            label: self.records.classes[record.label].clone(),
        })?;
        Ok(self.annotated())
    }

    fn write_manifest(&self) -> Result<(), AnnotateError> {
        let mut records = self.records.clone();
        for (index, record) in records.items.iter_mut().enumerate() {
            record.saliency = self.done[index].then(|| self.map_path(index)).flatten();
        }
        write_manifest(self.manifest_path(), &records)?;
        Ok(())
    }
}

/// Annotator names become folder and file names: ASCII letters, digits, `-`, `_`, `.`, not
/// starting with `.`, 1 to 64 characters.
fn check_annotator(name: &str) -> Result<(), AnnotateError> {
    let fine = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    match fine {
        true => Ok(()),
        false => Err(AnnotateError::BadAnnotator {
            name: name.to_string(),
        }),
    }
}

/// The map file names an earlier session's manifest gave the images of `records`, by
/// absolute image path. An earlier manifest that lists images `records` lacks is refused:
/// rewriting it would drop them.
fn earlier_names(
    manifest: &Path,
    records: &Records,
) -> Result<HashMap<PathBuf, String>, AnnotateError> {
    if !manifest.is_file() {
        return Ok(HashMap::new());
    }
    let earlier = read_manifest(manifest, Some(records.classes.clone()))?;
    let wanted: HashSet<&Path> = records.items.iter().map(|r| r.image.as_path()).collect();
    let mut names = HashMap::new();
    let mut dropped = Vec::new();
    for record in earlier.items {
        let image = std::fs::canonicalize(&record.image).unwrap_or(record.image);
        if !wanted.contains(image.as_path()) {
            dropped.push(image);
            continue;
        }
        if let Some(name) = record.saliency.as_deref().and_then(Path::file_name) {
            names.insert(image, name.to_string_lossy().into_owned());
        }
    }
    if let Some(first) = dropped.first() {
        return Err(AnnotateError::Usage(format!(
            "{} lists {} image(s) that this input does not ({}{}): annotating a different set \
             into the same folder would drop them from it; use another --out or --annotator \
             (nothing was changed)",
            manifest.display(),
            dropped.len(),
            first.display(),
            if dropped.len() > 1 { ", …" } else { "" }
        )));
    }
    Ok(names)
}

/// A name for `image`'s map that no other image holds: a file already there under the
/// candidate name is taken over only if it records this very image (a map saved just before a
/// crash, before the manifest listed it).
fn fresh_name(taken: &mut MapNames, maps: &Path, image: &Path) -> String {
    loop {
        let name = taken.assign(image);
        let path = maps.join(&name);
        if !path.exists() || map_image(&path).as_deref() == Some(image) {
            return name;
        }
    }
}

/// Locks `out/<annotator>.lock` (the operating system's advisory lock, released when the
/// process ends, however it ends).
fn lock(out: &Path, annotator: &str) -> Result<File, AnnotateError> {
    let path = out.join(format!("{annotator}.lock"));
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(AnnotateError::io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(AnnotateError::Busy {
            folder: out.to_path_buf(),
            annotator: annotator.to_string(),
        }),
        Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
            tracing::warn!(
                "{}: no file locks on this file system; a second cyborg annotate for the same \
                 annotator would not be detected",
                path.display()
            );
            Ok(file)
        }
        Err(TryLockError::Error(e)) => Err(AnnotateError::io(&path)(e)),
    }
}
