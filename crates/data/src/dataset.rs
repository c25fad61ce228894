//! A Burn dataset that decodes images and saliency maps on demand.

use std::path::PathBuf;

use burn::data::dataset::Dataset;

use crate::{DataError, ImageConfig, Records, SaliencyConfig, load_image, load_saliency};

/// One decoded image, ready for [`SaliencyBatcher`](crate::SaliencyBatcher).
#[derive(Debug, Clone, PartialEq)]
pub struct SaliencyItem {
    /// Row-major `[channels, height, width]`, normalised.
    pub image: Vec<f32>,
    /// Row-major `[grid_height, grid_width]` in `[0, 1]`, if the image has a human map.
    pub saliency: Option<Vec<f32>>,
    /// Class index.
    pub label: usize,
    /// Where the image came from.
    pub path: PathBuf,
}

/// Images and their human maps, decoded when asked for (so a `DataLoader`'s workers decode in
/// parallel).
///
/// ```no_run
/// use cyborg_data::{ImageConfig, SaliencyConfig, SaliencyDataset, read_manifest};
/// use burn::data::dataset::Dataset;
///
/// let records = read_manifest("data/train.csv", None)?;
/// let dataset = SaliencyDataset::new(
///     records,
///     ImageConfig::new(224, 224),
///     SaliencyConfig::new([7, 7]),
/// );
/// let first = dataset.get(0)?;
/// # Ok::<(), cyborg_data::DataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SaliencyDataset {
    records: Records,
    image: ImageConfig,
    saliency: SaliencyConfig,
}

impl SaliencyDataset {
    /// A dataset over `records`, decoding images and maps as the configs say.
    pub fn new(records: Records, image: ImageConfig, saliency: SaliencyConfig) -> Self {
        Self {
            records,
            image,
            saliency,
        }
    }

    /// The records behind the dataset.
    pub fn records(&self) -> &Records {
        &self.records
    }

    /// The class names.
    pub fn classes(&self) -> &[String] {
        &self.records.classes
    }
}

impl Dataset<SaliencyItem, DataError> for SaliencyDataset {
    fn get(&self, index: usize) -> Result<SaliencyItem, DataError> {
        let record = &self.records.items[index];
        let image = load_image(&record.image, &self.image)?;
        let saliency = record
            .saliency
            .as_ref()
            .map(|path| load_saliency(path, &self.saliency))
            .transpose()?;
        Ok(SaliencyItem {
            image,
            saliency,
            label: record.label,
            path: record.image.clone(),
        })
    }

    fn len(&self) -> usize {
        self.records.len()
    }
}
