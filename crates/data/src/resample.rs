//! Resizing single-channel float planes: Pillow's antialiased bilinear filter and area
//! averaging.

use serde::{Deserialize, Serialize};

/// How a plane is resized.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResizeFilter {
    /// Antialiased bilinear (a triangle filter widened by the reduction factor), exactly as
    /// Pillow's `Image.resize(size, Image.BILINEAR)` on a float (`"F"`) image, and as
    /// torchvision's `Resize(antialias=True)`. The CYBORG paper's choice. The default.
    #[default]
    Bilinear,
    /// Area averaging with PyTorch's `adaptive_avg_pool2d` windows: output cell `i` averages
    /// input rows `⌊i·H/h⌋ .. ⌈(i+1)·H/h⌉`. What the loss does on the device to maps larger than
    /// the CAM grid, so maps pre-resized this way give the same loss.
    Area,
}

/// Resizes a row-major `height × width` plane to `size = [out_height, out_width]`.
///
/// # Panics
/// If `plane.len() != height · width` or a size is zero.
pub fn resize_plane(
    plane: &[f32],
    [height, width]: [usize; 2],
    size: [usize; 2],
    filter: ResizeFilter,
) -> Vec<f32> {
    assert_eq!(
        plane.len(),
        height * width,
        "plane does not hold {height}×{width} values"
    );
    assert!(
        height > 0 && width > 0 && size[0] > 0 && size[1] > 0,
        "cannot resize {height}×{width} to {size:?}"
    );
    let (rows, cols) = match filter {
        ResizeFilter::Bilinear => (
            bilinear_weights(height, size[0]),
            bilinear_weights(width, size[1]),
        ),
        ResizeFilter::Area => (area_weights(height, size[0]), area_weights(width, size[1])),
    };
    // Horizontal pass first, then vertical, each rounded to f32 as Pillow does.
    let mut horizontal = vec![0.0f32; height * size[1]];
    if width == size[1] {
        horizontal.copy_from_slice(plane);
    } else {
        for y in 0..height {
            let row = &plane[y * width..(y + 1) * width];
            for (x, taps) in cols.iter().enumerate() {
                horizontal[y * size[1] + x] = apply(taps, |i| row[i]);
            }
        }
    }
    if height == size[0] {
        return horizontal;
    }
    let mut out = vec![0.0f32; size[0] * size[1]];
    for (y, taps) in rows.iter().enumerate() {
        for x in 0..size[1] {
            out[y * size[1] + x] = apply(taps, |i| horizontal[i * size[1] + x]);
        }
    }
    out
}

/// Taps of one output sample: first input index and the weights from there on.
#[derive(Debug, Clone)]
struct Taps {
    first: usize,
    weights: Vec<f64>,
}

fn apply(taps: &Taps, input: impl Fn(usize) -> f32) -> f32 {
    taps.weights
        .iter()
        .enumerate()
        .map(|(k, w)| input(taps.first + k) as f64 * w)
        .sum::<f64>() as f32
}

/// Pillow's `precompute_coeffs` with the bilinear (triangle, support 1) filter.
fn bilinear_weights(input: usize, output: usize) -> Vec<Taps> {
    let scale = input as f64 / output as f64;
    let filter_scale = scale.max(1.0);
    let support = filter_scale;
    (0..output)
        .map(|o| {
            let center = (o as f64 + 0.5) * scale;
            // Pillow truncates toward zero, then clamps.
            let first = ((center - support + 0.5) as i64).max(0) as usize;
            let last = ((center + support + 0.5) as i64).min(input as i64) as usize;
            let mut weights: Vec<f64> = (first..last)
                .map(|i| {
                    let x = ((i as f64 - center + 0.5) / filter_scale).abs();
                    if x < 1.0 { 1.0 - x } else { 0.0 }
                })
                .collect();
            let total: f64 = weights.iter().sum();
            if total != 0.0 {
                weights.iter_mut().for_each(|w| *w /= total);
            }
            Taps { first, weights }
        })
        .collect()
}

/// `adaptive_avg_pool` windows: `⌊o·in/out⌋ .. ⌈(o+1)·in/out⌉`, equal weights.
fn area_weights(input: usize, output: usize) -> Vec<Taps> {
    (0..output)
        .map(|o| {
            let first = o * input / output;
            let last = ((o + 1) * input).div_ceil(output);
            let n = last - first;
            Taps {
                first,
                weights: vec![1.0 / n as f64; n],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_of_two_by_two_blocks() {
        let plane = [1.0, 3.0, 0.0, 0.0, 5.0, 7.0, 0.0, 4.0];
        let out = resize_plane(&plane, [2, 4], [1, 2], ResizeFilter::Area);
        assert_eq!(out, vec![4.0, 1.0]);
    }

    #[test]
    fn same_size_is_identity() {
        let plane: Vec<f32> = (0..12).map(|v| v as f32 * 0.5).collect();
        for filter in [ResizeFilter::Bilinear, ResizeFilter::Area] {
            assert_eq!(resize_plane(&plane, [3, 4], [3, 4], filter), plane);
        }
    }

    #[test]
    fn bilinear_halving_averages_pairs() {
        // Reduction by 2: the triangle widens to support 2 and centres fall between pixels,
        // giving weights 1/8, 3/8, 3/8, 1/8 (clipped and renormalised at the borders).
        let plane = [0.0, 8.0, 16.0, 24.0];
        let out = resize_plane(&plane, [1, 4], [1, 2], ResizeFilter::Bilinear);
        let first = (0.0 * 3.0 + 8.0 * 3.0 + 16.0) / 7.0;
        let second = (8.0 + 16.0 * 3.0 + 24.0 * 3.0) / 7.0;
        assert!((out[0] - first).abs() < 1e-5, "{out:?}");
        assert!((out[1] - second).abs() < 1e-5, "{out:?}");
    }
}
