//! How well explanation maps agree with human saliency maps, per image, on the device.
//!
//! All functions take maps of the same size, `[batch, h, w]` (resize one to the other first,
//! e.g. with [`crate::finish_maps`] or by area averaging the human map to the CAM grid).

use burn::prelude::*;
use burn::tensor::IndexingUpdateOp;

fn check_shapes(maps: &Tensor<3>, human: &Tensor<3>) {
    assert_eq!(
        maps.dims(),
        human.dims(),
        "maps {:?} and human maps {:?} must have the same shape",
        maps.dims(),
        human.dims()
    );
}

fn flat(x: Tensor<3>) -> Tensor<2> {
    let [b, h, w] = x.dims();
    x.reshape([b, h * w])
}

/// Mean squared difference per image.
///
/// # Shapes
/// - maps, human: `[batch, h, w]`
/// - output: `[batch]`
pub fn map_mse(maps: Tensor<3>, human: Tensor<3>) -> Tensor<1> {
    check_shapes(&maps, &human);
    let [b, _, _] = maps.dims();
    flat(maps - human).powi_scalar(2).mean_dim(1).reshape([b])
}

/// Pearson correlation per image (0 where either map is constant: `eps` guards the
/// denominator).
///
/// # Shapes
/// - maps, human: `[batch, h, w]`
/// - output: `[batch]` in `[-1, 1]`
pub fn pearson(maps: Tensor<3>, human: Tensor<3>, eps: f64) -> Tensor<1> {
    check_shapes(&maps, &human);
    let [b, _, _] = maps.dims();
    let x = flat(maps);
    let y = flat(human);
    let x = x.clone() - x.mean_dim(1);
    let y = y.clone() - y.mean_dim(1);
    let covariance = (x.clone() * y.clone()).sum_dim(1);
    let spread = (x.powi_scalar(2).sum_dim(1) * y.powi_scalar(2).sum_dim(1))
        .sqrt()
        .add_scalar(eps);
    (covariance / spread).reshape([b])
}

/// How many of `n` pixels "the top `fraction`" means: `max(1, round(fraction · n))`.
fn top_count(fraction: f64, n: usize) -> usize {
    ((fraction * n as f64).round() as usize).clamp(1, n)
}

/// Each map's `top` region: its `k = max(1, round(fraction · h · w))` largest pixels, ties at
/// the k-th value included, as `[batch, h·w]` booleans. Where the k-th value is also the map's
/// smallest (a ReLU map that is zero on most pixels, a binary map whose region has fewer than
/// k pixels) and the map is not constant, the region is the pixels above that smallest value:
/// ties at the bottom would otherwise make the whole map "top".
fn top_region(x: Tensor<2>, fraction: f64) -> Tensor<2, Bool> {
    let [_, n] = x.dims();
    let k = top_count(fraction, n);
    let sorted = x.clone().sort_descending(1);
    let largest = sorted.clone().narrow(1, 0, 1); // [b, 1]
    let kth = sorted.clone().narrow(1, k - 1, 1);
    let smallest = sorted.narrow(1, n - 1, 1);
    let bottom_tie = kth
        .clone()
        .equal(smallest.clone())
        .float()
        .mul(largest.greater(smallest.clone()).float()); // [b, 1]
    let at_least_kth = x.clone().greater_equal(kth).float();
    let above_smallest = x.greater(smallest).float();
    (at_least_kth * (bottom_tie.clone().neg() + 1.0) + above_smallest * bottom_tie)
        .greater_elem(0.5)
}

/// Exactly `k = max(1, round(fraction · h · w))` pixels of each map, its largest, as a mask:
/// ties at the k-th value are broken by the sort, so a map with many equal values (the zeros
/// of a ReLU + min-max map) still selects k pixels. What removal-based faithfulness measures
/// remove.
///
/// # Shapes
/// - maps: `[batch, h, w]`
/// - output: `[batch, h, w]`
///
/// # Panics
/// If `fraction` is not in `(0, 1]`.
pub fn top_fraction_mask(maps: Tensor<3>, fraction: f64) -> Tensor<3, Bool> {
    assert!(
        fraction > 0.0 && fraction <= 1.0,
        "fraction must be in (0, 1], got {fraction}"
    );
    let [b, h, w] = maps.dims();
    let n = h * w;
    let k = top_count(fraction, n);
    let device = maps.device();
    let top = flat(maps).argsort_descending(1).narrow(1, 0, k);
    Tensor::<2>::zeros([b, n], &device)
        .scatter(
            1,
            top,
            Tensor::ones([b, k], &device),
            IndexingUpdateOp::Assign,
        )
        .greater_elem(0.5)
        .reshape([b, h, w])
}

/// Intersection over union of the top `fraction` of pixels of each map and of its human map
/// (the "top-k% IoU" of saliency evaluation). Unlike [`top_fraction_mask`], pixels tied at
/// the k-th value all count: a binary human map's region is kept whole. When the k-th value
/// is the map's smallest (a ReLU map zero on most pixels, a region smaller than the fraction),
/// only the pixels above it count, so a mostly-zero map is not "top" everywhere.
///
/// # Shapes
/// - maps, human: `[batch, h, w]`
/// - output: `[batch]` in `[0, 1]`
///
/// # Panics
/// If `fraction` is not in `(0, 1]`.
pub fn top_fraction_iou(maps: Tensor<3>, human: Tensor<3>, fraction: f64) -> Tensor<1> {
    check_shapes(&maps, &human);
    assert!(
        fraction > 0.0 && fraction <= 1.0,
        "fraction must be in (0, 1], got {fraction}"
    );
    let [b, _, _] = maps.dims();
    let a = top_region(flat(maps), fraction).float();
    let h = top_region(flat(human), fraction).float();
    let intersection = (a.clone() * h.clone()).sum_dim(1);
    let union = (a + h).clamp_max(1.0).sum_dim(1);
    (intersection / union).reshape([b])
}

/// The pointing game (Zhang et al., 2016): 1 where the map's maximum falls on a pixel whose
/// human saliency is at least `threshold`, else 0 (the first maximum in row-major order wins
/// ties).
///
/// # Shapes
/// - maps, human: `[batch, h, w]`
/// - output: `[batch]` of 0.0 / 1.0
pub fn pointing_game(maps: Tensor<3>, human: Tensor<3>, threshold: f64) -> Tensor<1> {
    check_shapes(&maps, &human);
    let [b, _, _] = maps.dims();
    let peak = flat(maps).argmax(1); // [b, 1]
    flat(human)
        .gather(1, peak)
        .greater_equal_elem(threshold)
        .float()
        .reshape([b])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Tolerance;

    fn maps(values: [f32; 8]) -> Tensor<3> {
        Tensor::<1>::from_floats(values, &Device::flex()).reshape([2, 2, 2])
    }

    fn assert_values(actual: Tensor<1>, expected: [f32; 2]) {
        actual
            .into_data()
            .assert_approx_eq::<f32>(&TensorData::from(expected), Tolerance::absolute(1e-5));
    }

    #[test]
    fn mse_by_hand() {
        let a = maps([0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        let h = maps([0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]);
        assert_values(map_mse(a, h), [0.5, 0.25]);
    }

    #[test]
    fn pearson_by_hand() {
        // image 0: identical up to scale -> 1; image 1: reversed -> -1
        let a = maps([0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0, 3.0]);
        let h = maps([0.0, 2.0, 4.0, 6.0, 3.0, 2.0, 1.0, 0.0]);
        assert_values(pearson(a, h, 1e-12), [1.0, -1.0]);
        // a constant map correlates with nothing, without NaN
        let c = maps([1.0; 8]);
        let h = maps([0.0, 2.0, 4.0, 6.0, 3.0, 2.0, 1.0, 0.0]);
        assert_values(pearson(c, h, 1e-12), [0.0, 0.0]);
    }

    #[test]
    fn top_fraction_mask_selects_exactly_k_even_among_ties() {
        // Image 0: distinct values, the top 2 of 8 (a quarter) are unambiguous. Image 1: all
        // zeros but one: the single 1 and exactly one of the tied zeros.
        let m = Tensor::<1>::from_floats(
            [
                0.1, 0.9, 0.3, 0.4, 0.8, 0.2, 0.0, 0.5, //
                0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0,
            ],
            &Device::flex(),
        )
        .reshape([2, 2, 4]);
        let mask = top_fraction_mask(m, 0.25).int();
        let values = mask
            .clone()
            .into_data()
            .convert::<i64>()
            .try_to_vec::<i64>()
            .unwrap();
        assert_eq!(&values[..8], &[0, 1, 0, 0, 1, 0, 0, 0]);
        assert_eq!(values[8..].iter().sum::<i64>(), 2);
        assert_eq!(values[11], 1);
        // At least one pixel, and all of them at fraction 1.
        let one = top_fraction_mask(Tensor::<3>::zeros([1, 3, 3], &Device::flex()), 0.01);
        assert_eq!(one.int().sum().into_scalar::<i64>(), 1);
        let all = top_fraction_mask(Tensor::<3>::zeros([1, 3, 3], &Device::flex()), 1.0);
        assert_eq!(all.int().sum().into_scalar::<i64>(), 9);
    }

    #[test]
    fn top_half_iou_by_hand() {
        // image 0: top-2 of a = {3, 2}, of h = {3, 1} -> 1 / 3; image 1: same sets -> 1
        let a = maps([0.0, 1.0, 2.0, 3.0, 4.0, 3.0, 0.0, 0.0]);
        let h = maps([0.0, 5.0, 0.0, 6.0, 9.0, 8.0, 1.0, 0.0]);
        assert_values(top_fraction_iou(a, h, 0.5), [1.0 / 3.0, 1.0]);
    }

    #[test]
    fn ties_at_the_bottom_do_not_make_the_whole_map_top() {
        // Top half = 2 of 4 pixels. Image 0: the map is zero but on pixel 3 and the human
        // region is pixels 0 and 1: their top regions are {3} and {0, 1}, IoU 0 (ties at the
        // zeros would make both the whole image, IoU 1). Image 1: a constant map is top
        // everywhere; the human region {3} -> IoU 1/4.
        let a = maps([0.0, 0.0, 0.0, 0.7, 2.0, 2.0, 2.0, 2.0]);
        let h = maps([1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        assert_values(top_fraction_iou(a, h, 0.5), [0.0, 0.25]);
    }

    #[test]
    fn pointing_game_by_hand() {
        // image 0 peaks at pixel 3 (human 0.2 < 0.5): miss; image 1 peaks at 0 (0.9): hit
        let a = maps([0.0, 1.0, 2.0, 3.0, 4.0, 3.0, 0.0, 0.0]);
        let h = maps([1.0, 1.0, 1.0, 0.2, 0.9, 0.0, 0.0, 0.0]);
        assert_values(pointing_game(a, h, 0.5), [0.0, 1.0]);
    }
}
