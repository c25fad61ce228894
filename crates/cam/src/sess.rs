//! SESS (Tyagi et al., ECCV 2022, *SESS: Saliency Enhancing with Scaling and Sliding*), as
//! pytorch-grad-cam's `SESS` computes it: any method's maps of windows slid over the image at
//! several scales, weighted by each window's class probability and fused.

use burn::prelude::*;
use burn::tensor::activation::softmax;
use serde::{Deserialize, Serialize};

use crate::backbone::CamBackbone;
use crate::explain::{CamMethod, ExplainConfig, ExplainError, Target, try_explain};
use crate::sobel::reflect_101;
use crate::{CamNormalization, normalize_min_max, upsample_bilinear};

/// How [`sess`] fuses the windows' maps at a pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessPool {
    /// The mean over the windows whose (weighted) map is above [`SessConfig::theta`] there.
    Mean,
    /// The maximum over the windows.
    Max,
}

/// Options of [`sess`]; the defaults are pytorch-grad-cam's.
#[derive(Config, Debug)]
pub struct SessConfig {
    /// The sizes the image's shorter side is scaled to; `None`: [`SessConfig::num_scales`]
    /// sizes from the window size up, `round(scale_step_ratio · window)` apart.
    #[config(default = "None")]
    pub scales: Option<Vec<usize>>,
    /// Number of scales when `scales` is `None`.
    #[config(default = 12)]
    pub num_scales: usize,
    /// Step between scales, as a share of the window size.
    #[config(default = 0.2857142857142857)]
    pub scale_step_ratio: f64,
    /// Side of the square window; `None`: the image's shorter side.
    #[config(default = "None")]
    pub window_size: Option<usize>,
    /// Stride of the window; `None`: the window size (windows that would cross the right or
    /// bottom edge are shifted back inside).
    #[config(default = "None")]
    pub step_size: Option<usize>,
    /// Share of the lowest-scoring windows left out, in `[0, 1)`.
    #[config(default = 0.0)]
    pub pre_filter_ratio: f64,
    /// With [`SessPool::Mean`], values at or below this take no part in a pixel's mean.
    #[config(default = 0.0)]
    pub theta: f64,
    /// How the windows' maps are fused.
    #[config(default = "SessPool::Mean")]
    pub pool: SessPool,
    /// Blur the fused map (OpenCV's 11×11 Gaussian, σ = 5, reflected borders).
    #[config(default = true)]
    pub smooth: bool,
    /// Weight windows by the target class's softmax probability (the paper's); `false`: by its
    /// logit, clipped at 0.
    #[config(default = true)]
    pub use_softmax_scores: bool,
    /// Windows per forward pass.
    #[config(default = 32)]
    pub batch_size: usize,
}

/// SESS maps of `model` for `images` and a class `target` ([`Target::Classes`] or
/// [`Target::Predicted`], the latter read from the whole image), with `method` as the base
/// method of every window (its finished maps: ReLU, min-max, at the window's size, with
/// `config`'s `eigen_smooth`; `aug_smooth` is not applied to windows).
///
/// Per image: the image is scaled (bilinear) so that its shorter side is each of the scales;
/// a square window slides over each scaled image; each window is scored by the target class's
/// probability, and the windows (less the `pre_filter_ratio` lowest) are explained in batches;
/// each map, times its window's score over the best score, is placed at its window in a
/// canvas of the scaled image's size, which is resized (bilinear) back to the image; the
/// canvases are fused per pixel ([`SessPool`]), optionally blurred, and min-max scaled.
/// Many forward passes: about `Σ_scales ⌈scale / step⌉²` windows per image.
///
/// # Errors
/// [`ExplainError`]: as [`try_explain`], a custom or Finer target
/// ([`ExplainError::Unsupported`]), a zero setting, a ratio outside `[0, 1)`, or a scale or
/// window the image cannot hold ([`ExplainError::Sess`]).
///
/// # Shapes
/// - images: `[batch, channels, height, width]`
/// - output: `[batch, height, width]`, in `[0, 1]`
pub fn sess<M: CamBackbone>(
    model: &M,
    images: Tensor<4>,
    method: CamMethod,
    target: &Target,
    config: &ExplainConfig,
    sess: &SessConfig,
) -> Result<Tensor<3>, ExplainError> {
    let dims = images.dims();
    let [batch, _, height, width] = dims;
    if dims.contains(&0) {
        return Err(ExplainError::EmptyImages(dims));
    }
    if matches!(target, Target::Score(_) | Target::Finer { .. }) {
        return Err(ExplainError::Unsupported {
            method,
            reason: "SESS scores windows by a class's probability: give Target::Classes or \
                     Target::Predicted",
        });
    }
    let window = sess.window_size.unwrap_or(height.min(width));
    let step = sess.step_size.unwrap_or(window);
    if window == 0 || step == 0 || sess.batch_size == 0 || sess.num_scales == 0 {
        return Err(ExplainError::ZeroSetting(
            "SESS's window_size, step_size, batch_size or num_scales",
        ));
    }
    if !(0.0..1.0).contains(&sess.pre_filter_ratio) {
        return Err(ExplainError::Sess(format!(
            "pre_filter_ratio must be in [0, 1), got {}",
            sess.pre_filter_ratio
        )));
    }
    let scales = match &sess.scales {
        Some(scales) => scales.clone(),
        None => {
            let gap = (window as f64 * sess.scale_step_ratio).round_ties_even() as usize;
            (0..sess.num_scales).map(|i| window + gap * i).collect()
        }
    };
    if scales.is_empty() {
        return Err(ExplainError::Sess("no scale given".into()));
    }
    if let Some(scale) = scales.iter().find(|&&s| s < window) {
        return Err(ExplainError::Sess(format!(
            "every scale must be at least the window size {window}, got {scale}"
        )));
    }
    let [class_count, _] = model.class_weights().dims();
    target.check(batch, class_count)?;
    let classes = match target {
        Target::Classes(classes) => classes.clone(),
        _ => {
            let logits = model.forward_classified(images.clone()).logits.inner();
            target
                .classes(&logits)
                .expect("a predicted target has classes")
        }
    };
    let classes: Vec<i64> = classes.into_data().convert::<i64>().iter::<i64>().collect();
    let base = config
        .clone()
        .with_upsample(true)
        .with_normalization(CamNormalization::ReluMinMax)
        .with_aug_smooth(false);
    let mut maps = Vec::with_capacity(batch);
    for (index, &class) in classes.iter().enumerate() {
        let image = images.clone().narrow(0, index, 1);
        let fused = sess_one(
            model,
            image,
            class,
            &scales,
            [window, step],
            method,
            &base,
            sess,
        )?;
        maps.push(fused);
    }
    // pytorch-grad-cam's scale_cam_image: x − min, over max + 1e-7.
    Ok(normalize_min_max(Tensor::cat(maps, 0), 1e-7))
}

/// The fused (and blurred) SESS map of one image, before the final scaling.
///
/// # Shapes
/// - image: `[1, channels, height, width]`
/// - output: `[1, height, width]`
#[allow(clippy::too_many_arguments)]
fn sess_one<M: CamBackbone>(
    model: &M,
    image: Tensor<4>,
    class: i64,
    scales: &[usize],
    [window, step]: [usize; 2],
    method: CamMethod,
    config: &ExplainConfig,
    sess: &SessConfig,
) -> Result<Tensor<3>, ExplainError> {
    let [_, channels, height, width] = image.dims();
    let device = image.device();
    // Every window: (scaled image index, x, y), and the scaled images.
    let mut scaled_images = Vec::new();
    let mut windows = Vec::new();
    for &scale in scales {
        let short = height.min(width);
        let size = if height <= width {
            [scale, scale * width / short]
        } else {
            [scale * height / short, scale]
        };
        let scaled = if size == [height, width] {
            image.clone()
        } else {
            upsample_bilinear(
                image.clone().reshape([channels, height, width]),
                size,
                false,
            )
            .reshape([1, channels, size[0], size[1]])
        };
        for y in window_starts(size[0], step, window) {
            for x in window_starts(size[1], step, window) {
                windows.push((scaled_images.len(), x, y));
            }
        }
        scaled_images.push(scaled);
    }
    let patch = |&(scaled, x, y): &(usize, usize, usize)| {
        let image: &Tensor<4> = &scaled_images[scaled];
        image.clone().narrow(2, y, window).narrow(3, x, window)
    };
    // Scores of the target class, per window.
    let mut scores = Vec::with_capacity(windows.len());
    for chunk in windows.chunks(sess.batch_size) {
        let batch = Tensor::cat(chunk.iter().map(patch).collect(), 0);
        let logits = model.forward_classified(batch).logits.inner();
        let outputs = if sess.use_softmax_scores {
            softmax(logits, 1)
        } else {
            logits
        };
        let column: Vec<f32> = outputs
            .narrow(1, class as usize, 1)
            .into_data()
            .convert::<f32>()
            .iter::<f32>()
            .collect();
        scores.extend(column.into_iter().map(|s| s.max(0.0)));
    }
    let mut order: Vec<usize> = (0..windows.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let skip = (windows.len() as f64 * sess.pre_filter_ratio) as usize;
    let order = &order[skip..];
    let best = scores[*order.last().expect("at least one window")];
    let mut total = Tensor::<3>::zeros([1, height, width], &device);
    let mut counts = Tensor::<3>::zeros([1, height, width], &device);
    for chunk in order.chunks(sess.batch_size) {
        let batch = Tensor::cat(chunk.iter().map(|&i| patch(&windows[i])).collect(), 0);
        let targets = Target::Classes(Tensor::<1, Int>::from_data(
            TensorData::new(vec![class; chunk.len()], [chunk.len()]),
            &device,
        ));
        let maps = try_explain(model, batch, method, &targets, config)?; // [n, window, window]
        let mut canvases = Vec::with_capacity(chunk.len());
        for (k, &i) in chunk.iter().enumerate() {
            let weight = if best > 0.0 { scores[i] / best } else { 1.0 };
            let (scaled, x, y) = windows[i];
            let [_, _, sh, sw] = scaled_images[scaled].dims();
            let map = maps.clone().narrow(0, k, 1).mul_scalar(weight);
            let canvas = Tensor::<3>::zeros([1, sh, sw], &device)
                .slice_assign([0..1, y..y + window, x..x + window], map);
            canvases.push(upsample_bilinear(canvas, [height, width], false));
        }
        let canvases = Tensor::cat(canvases, 0); // [n, height, width]
        match sess.pool {
            SessPool::Max => {
                let highest = canvases.max_dim(0);
                total = total.clone().max_pair(highest);
            }
            SessPool::Mean => {
                let counted = canvases.clone().greater_elem(sess.theta);
                total = total
                    + canvases
                        .mask_fill(counted.clone().bool_not(), 0.0)
                        .sum_dim(0);
                counts = counts + counted.float().sum_dim(0);
            }
        }
    }
    let fused = match sess.pool {
        SessPool::Max => total,
        SessPool::Mean => {
            let covered = counts.clone().greater_elem(0.0);
            (total / counts.clamp_min(1.0)).mask_fill(covered.bool_not(), 0.0)
        }
    };
    Ok(if sess.smooth {
        gaussian_blur(fused, 11, 5.0)
    } else {
        fused
    })
}

/// The window starts along a side of `length`: every `step` from 0, the last window shifted
/// back inside the side (pytorch-grad-cam's `window_starts`).
fn window_starts(length: usize, step: usize, window: usize) -> Vec<usize> {
    let mut starts = Vec::new();
    for start in (0..length).step_by(step) {
        if start + window >= length {
            starts.push(length.saturating_sub(window));
            break;
        }
        starts.push(start);
    }
    starts
}

/// OpenCV's `GaussianBlur(map, (size, size), sigma)` on float maps: the separable kernel
/// `exp(−(i − (size−1)/2)² / 2σ²)` normalised to sum 1, reflected borders without repeating
/// the edge (`BORDER_REFLECT_101`). Computed on the host.
///
/// # Shapes
/// - maps: `[batch, h, w]`
/// - output: `[batch, h, w]`
fn gaussian_blur(maps: Tensor<3>, size: usize, sigma: f64) -> Tensor<3> {
    let [batch, h, w] = maps.dims();
    let device = maps.device();
    let centre = (size as f64 - 1.0) / 2.0;
    let raw: Vec<f64> = (0..size)
        .map(|i| (-(i as f64 - centre).powi(2) / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f64 = raw.iter().sum();
    let kernel: Vec<f64> = raw.iter().map(|k| k / sum).collect();
    let half = size as isize / 2;
    let values: Vec<f32> = maps.into_data().convert::<f32>().iter::<f32>().collect();
    let mut out = vec![0f32; values.len()];
    for (image, blurred) in values.chunks_exact(h * w).zip(out.chunks_exact_mut(h * w)) {
        // Rows, then columns.
        let mut rows = vec![0f64; h * w];
        for y in 0..h {
            for x in 0..w {
                rows[y * w + x] = (0..size)
                    .map(|k| {
                        let from = reflect_101(x as isize + k as isize - half, w);
                        kernel[k] * image[y * w + from] as f64
                    })
                    .sum();
            }
        }
        for y in 0..h {
            for x in 0..w {
                let value: f64 = (0..size)
                    .map(|k| {
                        kernel[k] * rows[reflect_101(y as isize + k as isize - half, h) * w + x]
                    })
                    .sum();
                blurred[y * w + x] = value as f32;
            }
        }
    }
    Tensor::from_data(TensorData::new(out, [batch, h, w]), &device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_side_and_the_last_is_shifted_inside() {
        assert_eq!(window_starts(10, 4, 4), [0, 4, 6]);
        assert_eq!(window_starts(8, 4, 4), [0, 4]);
        assert_eq!(window_starts(4, 4, 4), [0]);
        assert_eq!(window_starts(3, 4, 4), [0]);
    }

    #[test]
    fn reflect_101_mirrors_without_repeating_the_edge() {
        let row: Vec<usize> = (-3..7).map(|p| reflect_101(p, 4)).collect();
        assert_eq!(row, [3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
    }

    /// A constant map stays constant; a single spike spreads into the normalised kernel
    /// (sum preserved away from the borders).
    #[test]
    fn gaussian_blur_keeps_constants_and_mass() {
        let device = Device::flex();
        let flat = gaussian_blur(Tensor::<3>::ones([1, 6, 7], &device), 11, 5.0);
        let values: Vec<f32> = flat.into_data().try_to_vec::<f32>().unwrap();
        assert!(values.iter().all(|v| (v - 1.0).abs() < 1e-6), "{values:?}");
        let mut spike = vec![0f32; 31 * 31];
        spike[15 * 31 + 15] = 1.0;
        let spike = Tensor::<3>::from_data(TensorData::new(spike, [1, 31, 31]), &device);
        let blurred: Vec<f32> = gaussian_blur(spike, 11, 5.0)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        let total: f32 = blurred.iter().sum();
        assert!((total - 1.0).abs() < 1e-5, "{total}");
        assert!(blurred[15 * 31 + 15] > blurred[15 * 31 + 20]);
    }
}
