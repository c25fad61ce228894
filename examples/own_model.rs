//! cargo run --release --example own_model
//!
//! Your own Burn model, trained with the CYBORG loss by cyborg's trainer, end to end. The
//! network below is defined here, not taken from `cyborg-models`: any module that implements
//! `cyborg::cam::CamBackbone` (feature maps and logits from one forward pass, and the linear
//! head's weights) can be trained, evaluated and explained like the shipped ones. Its layers
//! go through `cyborg::ops`, which gives them the fast CPU kernels; Burn's own `forward` works
//! as well.
//!
//! It trains on the task of the quickstart (`ShortcutTaskConfig`: a faint bar decides the
//! class, a bright square predicts it too in training but not in the test images), once with
//! cross-entropy and once with CYBORG, prints both test accuracies where the square misleads,
//! and writes the CAMs of the CYBORG model to `target/own_model/cams.png`. A few seconds on two
//! CPU cores once built.

use std::error::Error;
use std::path::Path;

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use cyborg::cam::{
    CamBackbone, CamMethod, Classified, ExplainConfig, GridConfig, GridMap, GridRow, Target,
    explain, global_average_pool, grid, image_from_tensor, linear_class_weights, save_png,
};
use cyborg::data::{SaliencyConfig, SaliencyDataset, ShortcutTaskConfig};
use cyborg::ops::{batch_norm_relu, conv2d, max_pool2d};
use cyborg::train::{
    ALL_TEST_IMAGES, Experiment, Run, SQUARE_MISLEADS, SaliencyLossConfig, TrainingConfig,
    feature_grid, shortcut_experiment,
};

/// Image side in pixels.
const SIZE: usize = 28;

/// A small CNN of our own: three convolution + batch norm + ReLU blocks, one max pooling
/// (28 → 14 pixels), global average pooling, a linear head. The CAM grid is 14×14.
#[derive(Module, Debug)]
struct OwnCnn {
    convs: Vec<Conv2d>,
    norms: Vec<BatchNorm>,
    head: Linear,
}

impl OwnCnn {
    fn new(device: &Device) -> Self {
        let widths = [1, 12, 24, 32];
        let convs = widths
            .windows(2)
            .map(|pair| {
                Conv2dConfig::new([pair[0], pair[1]], [3, 3])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .with_bias(false)
                    .init(device)
            })
            .collect();
        let norms = widths[1..]
            .iter()
            .map(|&width| BatchNormConfig::new(width).init(device))
            .collect();
        let head = LinearConfig::new(widths[3], 2).init(device);
        Self { convs, norms, head }
    }
}

/// The contract: the feature maps global average pooling reads, the logits, and the head.
impl CamBackbone for OwnCnn {
    fn forward_classified(&self, images: Tensor<4>) -> Classified {
        let mut x = images;
        for (i, (conv, norm)) in self.convs.iter().zip(&self.norms).enumerate() {
            x = batch_norm_relu(norm, conv2d(conv, x));
            if i == 0 {
                x = max_pool2d(x, [2, 2], [2, 2], [0, 0]);
            }
        }
        let logits = self.head.forward(global_average_pool(x.clone()));
        Classified {
            features: x,
            logits,
        }
    }

    fn class_weights(&self) -> Tensor<2> {
        linear_class_weights(&self.head)
    }

    fn class_bias(&self) -> Option<Tensor<1>> {
        self.head.bias.as_ref().map(|bias| bias.val())
    }
}

#[path = "support/logging.rs"]
mod logging;

fn main() -> Result<(), Box<dyn Error>> {
    logging::show_logs();
    let out = Path::new("target/own_model");
    let device = Device::flex();
    let grid = feature_grid(&OwnCnn::new(&device), [1, SIZE, SIZE], &device);
    let task = ShortcutTaskConfig::new().with_image_size(SIZE);
    let experiment = shortcut_experiment(&task, 256, &out.join("data"), grid)?;
    println!("\nOwn CNN on the shortcut task (seed 0), test accuracy:\n");
    println!("| loss | all | {SQUARE_MISLEADS} |\n|---|---|---|");
    for (name, alpha) in [("cross-entropy", 1.0), ("CYBORG", 0.5)] {
        let recipe = TrainingConfig::from_scratch()
            .with_loss(SaliencyLossConfig::cyborg(alpha))
            .with_seed(0);
        let report = Run::new(recipe, out.join(name))
            .on(device.clone())
            .experiment(OwnCnn::new, experiment.clone())?;
        println!(
            "| {name} (α = {alpha}) | {:.3} | {:.3} |",
            report.test[ALL_TEST_IMAGES].accuracy, report.test[SQUARE_MISLEADS].accuracy
        );
    }
    let model = OwnCnn::new(&device).load_file(out.join("CYBORG").join("best.bpk"));
    let picture = out.join("cams.png");
    draw_cams(&model, &experiment, &picture, &device)?;
    println!(
        "\nwrote {}: test images where the square misleads, the human map, and the CYBORG \
         model's CAM of the class it predicts",
        picture.display()
    );
    Ok(())
}

/// Eight misleading test images: input, human map, and the model's CAM of its prediction.
fn draw_cams(
    model: &OwnCnn,
    experiment: &Experiment,
    path: &Path,
    device: &Device,
) -> Result<(), Box<dyn Error>> {
    let (_, records) = &experiment.tests[0];
    let dataset = SaliencyDataset::new(
        records.clone(),
        experiment.image.clone(),
        SaliencyConfig::new([SIZE, SIZE]),
    );
    let batch = dataset.load_batch(0..8, device)?;
    let config = ExplainConfig::new().with_upsample(true);
    let cams = explain(
        model,
        batch.images.clone(),
        CamMethod::Cam,
        &Target::Predicted,
        &config,
    );
    let rows: Vec<GridRow> = (0..cams.dims()[0])
        .map(|i| {
            let image = batch.images.clone().narrow(0, i, 1).squeeze_dim::<3>(0);
            let maps = vec![
                Some(GridMap::from_batch(&batch.saliency, i)),
                Some(GridMap::from_batch(&cams, i)),
            ];
            GridRow::new(image_from_tensor(image), maps)
        })
        .collect();
    let columns = ["input", "human", "CYBORG CAM"];
    let picture = grid(&GridConfig::new().with_tile_size(112), &columns, &rows);
    Ok(save_png(&picture, path)?)
}
