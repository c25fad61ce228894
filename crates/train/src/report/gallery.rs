//! The report's CAM gallery: the same test images through each run's best model, the images
//! where the models disagree most first.

use std::io::Cursor;
use std::path::PathBuf;

use base64::Engine;
use burn::prelude::*;
use burn::tensor::activation::softmax;
use cyborg_cam::{
    CamBackbone, CamMethod, Colormap, ExplainConfig, RgbImage, Target, explain, heatmap,
    image_from_tensor, overlay,
};
use cyborg_data::{ImageConfig, Normalization, Records, SaliencyConfig, SaliencyDataset};

use crate::report::plots::PlotError;

/// How many images the gallery ranks and shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GalleryConfig {
    /// The first images of the set that are ranked.
    pub ranked: usize,
    /// The rows shown.
    pub shown: usize,
}

impl Default for GalleryConfig {
    fn default() -> Self {
        Self {
            ranked: 64,
            shown: 8,
        }
    }
}

/// A run's best model as the gallery uses it.
pub struct GalleryModel<M> {
    /// The run's name in the report.
    pub name: String,
    /// The model.
    pub model: M,
    /// How it reads its inputs.
    pub image: ImageConfig,
}

/// One model's CAM of one image.
#[derive(Debug, Clone, PartialEq)]
pub struct GalleryCam {
    /// The CAM of the predicted class over the image, as a PNG `data:` URL.
    pub picture: String,
    /// The predicted class.
    pub class: String,
    /// Its softmax probability.
    pub probability: f64,
}

/// One image of the gallery.
#[derive(Debug, Clone, PartialEq)]
pub struct GalleryRow {
    /// The image file.
    pub image: PathBuf,
    /// Its label.
    pub label: String,
    /// The image, as a PNG `data:` URL.
    pub input: String,
    /// Its human map, if it has one, as a PNG `data:` URL.
    pub human: Option<String>,
    /// Each model's CAM, in the runs' order.
    pub cams: Vec<GalleryCam>,
    /// How much the models disagree: distinct predictions beyond the first, then the mean
    /// squared difference of their CAMs (each in `[0, 1]`) added.
    pub disagreement: f64,
}

/// The gallery: rows of images, a column per run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Gallery {
    /// The set shown (`test-<name>` or `val`).
    pub set: String,
    /// The runs, in the columns' order.
    pub runs: Vec<String>,
    /// The images, most disagreement first.
    pub rows: Vec<GalleryRow>,
    /// What was left out and why (runs without a model), shown with the report's problems.
    pub notes: Vec<String>,
}

/// Runs each of `models` on the first [`GalleryConfig::ranked`] images of `records` (the set
/// `set`) and keeps the [`GalleryConfig::shown`] where they disagree most.
///
/// # Errors
/// [`PlotError::Data`] for an image or map that does not read.
pub fn cam_gallery<M: CamBackbone>(
    models: &[GalleryModel<M>],
    set: &str,
    records: &Records,
    device: &Device,
    config: &GalleryConfig,
) -> Result<Gallery, PlotError> {
    let chosen = Records {
        items: records.items.iter().take(config.ranked).cloned().collect(),
        classes: records.classes.clone(),
    };
    let count = chosen.items.len();
    let mut gallery = Gallery {
        set: set.to_string(),
        runs: models.iter().map(|m| m.name.clone()).collect(),
        ..Gallery::default()
    };
    if count == 0 || models.is_empty() {
        return Ok(gallery);
    }
    // Per model: its inputs as pictures, predictions, probabilities and CAMs at input size.
    struct Seen {
        pictures: Vec<RgbImage>,
        size: [usize; 2],
        predicted: Vec<usize>,
        probability: Vec<f64>,
        cams: Vec<Vec<f32>>,
        human: Vec<Option<Vec<f32>>>,
    }
    let mut seen = Vec::with_capacity(models.len());
    for entry in models {
        let image = &entry.image;
        let size = [image.height, image.width];
        let batch = SaliencyDataset::new(
            chosen.clone(),
            image.clone().with_normalization(Normalization::None),
            SaliencyConfig::new(size),
        )
        .load_batch(0..count, device)?;
        let inputs = image.normalization.apply(batch.images.clone());
        let logits = entry.model.forward_classified(inputs.clone()).logits;
        let probabilities = softmax(logits, 1);
        let (best, class) = probabilities.max_dim_with_indices(1);
        let cams = explain(
            &entry.model,
            inputs,
            CamMethod::Cam,
            &Target::Predicted,
            &ExplainConfig::new().with_upsample(true),
        );
        let floats = |t: Tensor<3>| {
            t.into_data()
                .convert::<f32>()
                .try_to_vec::<f32>()
                .unwrap_or_default()
        };
        let cells = size[0] * size[1];
        let cams = floats(cams);
        let human = floats(batch.saliency);
        let annotated = batch
            .annotated
            .into_data()
            .try_to_vec::<bool>()
            .unwrap_or_default();
        seen.push(Seen {
            pictures: (0..count)
                .map(|i| {
                    image_from_tensor(batch.images.clone().narrow(0, i, 1).squeeze_dim::<3>(0))
                })
                .collect(),
            size,
            predicted: class
                .into_data()
                .convert::<i64>()
                .try_to_vec::<i64>()
                .unwrap_or_default()
                .into_iter()
                .map(|c| c as usize)
                .collect(),
            probability: best
                .into_data()
                .convert::<f64>()
                .try_to_vec::<f64>()
                .unwrap_or_default(),
            cams: cams.chunks(cells).map(<[f32]>::to_vec).collect(),
            human: (0..count)
                .map(|i| {
                    annotated
                        .get(i)
                        .copied()
                        .unwrap_or(false)
                        .then(|| human[i * cells..(i + 1) * cells].to_vec())
                })
                .collect(),
        });
    }
    let disagreement = |i: usize| {
        let mut classes: Vec<usize> = seen.iter().map(|s| s.predicted[i]).collect();
        classes.sort_unstable();
        classes.dedup();
        let mut differences = Vec::new();
        for (a, first) in seen.iter().enumerate() {
            for second in &seen[a + 1..] {
                let (x, y) = (&first.cams[i], &second.cams[i]);
                if x.len() == y.len() && !x.is_empty() {
                    let mse = x
                        .iter()
                        .zip(y)
                        .map(|(p, q)| f64::from(p - q).powi(2))
                        .sum::<f64>()
                        / x.len() as f64;
                    differences.push(mse);
                }
            }
        }
        let mean = match differences.is_empty() {
            true => 0.0,
            false => differences.iter().sum::<f64>() / differences.len() as f64,
        };
        (classes.len() - 1) as f64 + mean
    };
    // Most disagreement first; among equals (one run alone), the most models wrong, then the
    // manifest's order.
    let wrong = |i: usize| {
        seen.iter()
            .filter(|s| s.predicted[i] != chosen.items[i].label)
            .count()
    };
    let mut order: Vec<(usize, f64)> = (0..count).map(|i| (i, disagreement(i))).collect();
    order.sort_by(|a, b| {
        b.1.total_cmp(&a.1)
            .then(wrong(b.0).cmp(&wrong(a.0)))
            .then(a.0.cmp(&b.0))
    });
    order.truncate(config.shown);
    let class_name = |c: usize| {
        chosen
            .classes
            .get(c)
            .cloned()
            .unwrap_or_else(|| c.to_string())
    };
    let first = &seen[0];
    for (i, score) in order {
        let [h, w] = first.size;
        let record = &chosen.items[i];
        gallery.rows.push(GalleryRow {
            image: record.image.clone(),
            label: class_name(record.label),
            input: png_url(&first.pictures[i]),
            human: first.human[i]
                .as_ref()
                .map(|map| png_url(&heatmap(map, h, w, h, w, Colormap::Viridis))),
            cams: seen
                .iter()
                .map(|s| GalleryCam {
                    picture: png_url(&overlay(
                        &s.pictures[i],
                        &s.cams[i],
                        s.size[0],
                        s.size[1],
                        Colormap::Jet,
                        0.5,
                    )),
                    class: class_name(s.predicted[i]),
                    probability: s.probability[i],
                })
                .collect(),
            disagreement: score,
        });
    }
    Ok(gallery)
}

/// `picture` as a `data:image/png;base64,…` URL.
pub(crate) fn png_url(picture: &RgbImage) -> String {
    let mut bytes = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .expect("encoding a PNG in memory");
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}
