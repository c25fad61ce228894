//! Stacking items into device tensors.

use burn::data::dataloader::batcher::Batcher;
use burn::prelude::*;
use burn::tensor::TensorData;

use crate::SaliencyItem;

/// A batch for the CYBORG loss.
#[derive(Debug, Clone)]
pub struct SaliencyBatch {
    /// `[batch, channels, height, width]`
    pub images: Tensor<4>,
    /// `[batch]` class indices.
    pub labels: Tensor<1, Int>,
    /// `[batch, grid_height, grid_width]`; zeros for images without a map.
    pub saliency: Tensor<3>,
    /// `[batch]`, `true` where the image has a human map: pass it to
    /// `SaliencyLoss::forward_annotated` so the saliency term skips the others.
    pub annotated: Tensor<1, Bool>,
}

/// Stacks [`SaliencyItem`]s of one image shape and one CAM grid into a [`SaliencyBatch`].
#[derive(Debug, Clone, Copy)]
pub struct SaliencyBatcher {
    image_shape: [usize; 3],
    grid: [usize; 2],
}

impl SaliencyBatcher {
    /// A batcher for images `[channels, height, width]` and maps at `grid`.
    pub fn new(image_shape: [usize; 3], grid: [usize; 2]) -> Self {
        Self { image_shape, grid }
    }
}

impl Batcher<SaliencyItem, SaliencyBatch> for SaliencyBatcher {
    /// # Panics
    /// If an item's image or map does not have the batcher's shape.
    fn batch(&self, items: Vec<SaliencyItem>, device: &Device) -> SaliencyBatch {
        let n = items.len();
        let [c, h, w] = self.image_shape;
        let cells = self.grid[0] * self.grid[1];
        let mut images = Vec::with_capacity(n * c * h * w);
        let mut saliency = Vec::with_capacity(n * cells);
        let mut labels = Vec::with_capacity(n);
        let mut annotated = Vec::with_capacity(n);
        for item in items {
            assert_eq!(
                item.image.len(),
                c * h * w,
                "{}: image has {} values, the batch expects {:?}",
                item.path.display(),
                item.image.len(),
                self.image_shape
            );
            images.extend(item.image);
            match item.saliency {
                Some(map) => {
                    assert_eq!(
                        map.len(),
                        cells,
                        "{}: map is not {:?}",
                        item.path.display(),
                        self.grid
                    );
                    saliency.extend(map);
                    annotated.push(true);
                }
                None => {
                    saliency.extend(std::iter::repeat_n(0.0, cells));
                    annotated.push(false);
                }
            }
            labels.push(item.label as i64);
        }
        SaliencyBatch {
            images: Tensor::from_data(TensorData::new(images, [n, c, h, w]), device),
            labels: Tensor::from_data(TensorData::new(labels, [n]), device),
            saliency: Tensor::from_data(
                TensorData::new(saliency, [n, self.grid[0], self.grid[1]]),
                device,
            ),
            annotated: Tensor::from_data(TensorData::new(annotated, [n]), device),
        }
    }
}
