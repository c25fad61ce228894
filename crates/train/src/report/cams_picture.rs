//! `cams.png`: where a trained model looks on the images whose CAM agrees least with the
//! human map (feature `pictures`).

use std::path::{Path, PathBuf};

use burn::prelude::*;
use cyborg_cam::{
    CamBackbone, CamMethod, ExplainConfig, GridConfig, GridMap, GridRow, Target, explain, grid,
    image_from_tensor, map_mse, save_png,
};
use cyborg_data::{ImageConfig, Normalization, Records, SaliencyConfig, SaliencyDataset};

use crate::report::plots::PlotError;

/// The picture of the CAMs of a run's best model in its folder.
pub const CAMS_FILE: &str = "cams.png";

/// Images ranked for `cams.png` at most (the first annotated ones of the set).
const RANKED: usize = 256;
/// Rows of `cams.png`.
const SHOWN: usize = 8;
/// Images per forward pass.
const BATCH: usize = 32;

/// Draws `dir/cams.png` for `model` on `records` (a test set): of its first 256 images with a
/// human map, the 8 whose CAM of the predicted class (ReLU, min-max normalised, at the CAM
/// `grid`) is farthest from the human map (mean squared difference), worst first; each row
/// the input, the human map and the CAM upsampled to the image. `image` is how the model
/// reads its inputs. Returns the picture's path.
///
/// # Errors
/// [`PlotError::NoMaps`] if no image of `records` has a human map, [`PlotError::Data`] for an
/// image or map that does not read, [`PlotError::Picture`] if the PNG cannot be written,
/// [`PlotError::NotPooled`] for a model whose CAMs do not decompose its logits
/// ([`CamBackbone::pools_features`]).
pub fn draw_cams(
    model: &impl CamBackbone,
    records: &Records,
    image: &ImageConfig,
    grid_size: [usize; 2],
    dir: &Path,
    device: &Device,
) -> Result<PathBuf, PlotError> {
    let annotated = Records {
        items: records
            .items
            .iter()
            .filter(|r| r.saliency.is_some())
            .take(RANKED)
            .cloned()
            .collect(),
        classes: records.classes.clone(),
    };
    if annotated.items.is_empty() {
        return Err(PlotError::NoMaps);
    }
    if !model.pools_features() {
        return Err(PlotError::NotPooled);
    }
    // Rank by the CAM's distance to the human map at the grid.
    let at_grid = SaliencyDataset::new(
        annotated.clone(),
        image.clone(),
        SaliencyConfig::new(grid_size),
    );
    let mut distances = Vec::with_capacity(annotated.items.len());
    for start in (0..annotated.items.len()).step_by(BATCH) {
        let end = (start + BATCH).min(annotated.items.len());
        let batch = at_grid.load_batch(start..end, device)?;
        let cams = explain(
            model,
            batch.images,
            CamMethod::Cam,
            &Target::Predicted,
            &ExplainConfig::new(),
        );
        let mse = map_mse(cams, batch.saliency);
        distances.extend(
            mse.into_data()
                .convert::<f64>()
                .try_to_vec::<f64>()
                .expect("float distances"),
        );
    }
    let mut order: Vec<usize> = (0..distances.len()).collect();
    order.sort_by(|&a, &b| distances[b].total_cmp(&distances[a]));
    order.truncate(SHOWN);
    // The chosen images, their maps at full size, their CAMs upsampled.
    let shown = Records {
        items: order.iter().map(|&i| annotated.items[i].clone()).collect(),
        classes: annotated.classes.clone(),
    };
    // Read once without the model's normalisation (the pictures), normalised for the model
    // on the device: the numbers the model's own loading gives.
    let plain = SaliencyDataset::new(
        shown.clone(),
        image.clone().with_normalization(Normalization::None),
        SaliencyConfig::new([image.height, image.width]),
    )
    .load_batch(0..shown.items.len(), device)?;
    let cams = explain(
        model,
        image.normalization.apply(plain.images.clone()),
        CamMethod::Cam,
        &Target::Predicted,
        &ExplainConfig::new().with_upsample(true),
    );
    let rows: Vec<GridRow> = (0..shown.items.len())
        .map(|i| {
            let input = plain.images.clone().narrow(0, i, 1).squeeze_dim::<3>(0);
            GridRow::new(
                image_from_tensor(input),
                vec![
                    Some(GridMap::from_batch(&plain.saliency, i)),
                    Some(GridMap::from_batch(&cams, i)),
                ],
            )
        })
        .collect();
    let picture = grid(
        &GridConfig::new().with_tile_size(128),
        &["input", "human", "CAM, predicted"],
        &rows,
    );
    let path = dir.join(CAMS_FILE);
    save_png(&picture, &path)?;
    Ok(path)
}
