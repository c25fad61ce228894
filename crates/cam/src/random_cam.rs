//! Random-CAM's channel weights (pytorch-grad-cam's `RandomCAM`): a baseline for the
//! faithfulness measures, which a method worth its cost should beat.

use burn::prelude::*;

use crate::random::SeededRandom;

/// Uniform channel weights in `(−1, 1]`, image `i`'s from stream `i` of `seed`, so the same
/// seed gives the same weights on every backend.
///
/// # Shapes
/// - activations: `[batch, channels, h, w]`
/// - output: `[batch, channels]`
pub(crate) fn random_cam_weights(activations: &Tensor<4>, seed: u64) -> Tensor<2> {
    let [batch, channels, _, _] = activations.dims();
    let values: Vec<f32> = (0..batch)
        .flat_map(|image| {
            let mut rng = SeededRandom::new(seed, image as u64);
            (0..channels)
                .map(move |_| (2.0 * rng.uniform() - 1.0) as f32)
                .collect::<Vec<_>>()
        })
        .collect();
    Tensor::<1>::from_floats(values.as_slice(), &activations.device()).reshape([batch, channels])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(batch: usize, seed: u64) -> Vec<f32> {
        let activations = Tensor::<4>::zeros([batch, 64, 2, 2], &Device::flex());
        random_cam_weights(&activations, seed)
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap()
    }

    #[test]
    fn seeded_uniform_weights_per_image() {
        let w = weights(2, 5);
        assert_eq!(w.len(), 128);
        assert!(w.iter().all(|v| *v > -1.0 && *v <= 1.0), "{w:?}");
        // Spread over the range, centred.
        let mean = w.iter().sum::<f32>() / 128.0;
        assert!(mean.abs() < 0.2 && w.iter().any(|v| *v < -0.5) && w.iter().any(|v| *v > 0.5));
        assert_eq!(w, weights(2, 5));
        assert_ne!(w, weights(2, 6));
        // Images draw their own weights, and an image's do not depend on the batch.
        assert_ne!(w[..64], w[64..]);
        assert_eq!(w[..64], weights(1, 5)[..]);
    }
}
