//! The mixed blocks of Inception-v3 (torchvision's `InceptionA` … `InceptionE` and
//! `InceptionAux`), with torchvision's branch names.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

use crate::conv_bn::{ConvBn, ConvBnConfig};
use crate::layers::{avg_pool, max_pool};
use cyborg_cam::global_average_pool;

/// Builds the blocks' convolutions: torchvision's `BasicConv2d` (batch norm epsilon 0.001)
/// with every width divided by `divisor`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Widths {
    pub divisor: usize,
}

impl Widths {
    /// `c` at this width.
    pub fn of(&self, channels: usize) -> usize {
        channels / self.divisor
    }

    /// A `BasicConv2d` from `input` (already scaled) to `output` (full-size, scaled here).
    pub fn conv(
        &self,
        input: usize,
        output: usize,
        kernel: [usize; 2],
        stride: usize,
        padding: [usize; 2],
        device: &Device,
    ) -> ConvBn {
        ConvBnConfig::new([input, self.of(output)], kernel)
            .with_stride(stride)
            .with_padding(padding)
            .with_epsilon(1e-3)
            .init(device)
    }

    /// A 1×1 `BasicConv2d`.
    pub fn conv1x1(&self, input: usize, output: usize, device: &Device) -> ConvBn {
        self.conv(input, output, [1, 1], 1, [0, 0], device)
    }
}

/// 1×1, 5×5, double 3×3 and pooled branches at 35×35 (`Mixed_5b` … `Mixed_5d`).
#[derive(Module, Debug)]
pub struct InceptionA {
    /// 1×1 branch.
    pub branch1x1: ConvBn,
    /// 5×5 branch, 1×1 reduction.
    pub branch5x5_1: ConvBn,
    /// 5×5 branch, 5×5 convolution.
    pub branch5x5_2: ConvBn,
    /// Double 3×3 branch, 1×1 reduction.
    pub branch3x3dbl_1: ConvBn,
    /// Double 3×3 branch, first 3×3.
    pub branch3x3dbl_2: ConvBn,
    /// Double 3×3 branch, second 3×3.
    pub branch3x3dbl_3: ConvBn,
    /// 1×1 after 3×3 average pooling.
    pub branch_pool: ConvBn,
}

impl InceptionA {
    pub(crate) fn new(w: Widths, input: usize, pool_features: usize, device: &Device) -> Self {
        Self {
            branch1x1: w.conv1x1(input, 64, device),
            branch5x5_1: w.conv1x1(input, 48, device),
            branch5x5_2: w.conv(w.of(48), 64, [5, 5], 1, [2, 2], device),
            branch3x3dbl_1: w.conv1x1(input, 64, device),
            branch3x3dbl_2: w.conv(w.of(64), 96, [3, 3], 1, [1, 1], device),
            branch3x3dbl_3: w.conv(w.of(96), 96, [3, 3], 1, [1, 1], device),
            branch_pool: w.conv1x1(input, pool_features, device),
        }
    }

    /// # Shapes
    /// - x: `[batch, input, h, w]`
    /// - output: `[batch, 224 + pool_features (scaled), h, w]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1x1.forward(x.clone());
        let b5 = self
            .branch5x5_2
            .forward(self.branch5x5_1.forward(x.clone()));
        let b3 = self.branch3x3dbl_3.forward(
            self.branch3x3dbl_2
                .forward(self.branch3x3dbl_1.forward(x.clone())),
        );
        let pool = self.branch_pool.forward(avg_pool(x, 3, 1, 1));
        Tensor::cat(vec![b1, b5, b3, pool], 1)
    }
}

/// Grid reduction 35×35 → 17×17 (`Mixed_6a`).
#[derive(Module, Debug)]
pub struct InceptionB {
    /// Strided 3×3 branch.
    pub branch3x3: ConvBn,
    /// Double 3×3 branch, 1×1 reduction.
    pub branch3x3dbl_1: ConvBn,
    /// Double 3×3 branch, first 3×3.
    pub branch3x3dbl_2: ConvBn,
    /// Double 3×3 branch, strided 3×3.
    pub branch3x3dbl_3: ConvBn,
}

impl InceptionB {
    pub(crate) fn new(w: Widths, input: usize, device: &Device) -> Self {
        Self {
            branch3x3: w.conv(input, 384, [3, 3], 2, [0, 0], device),
            branch3x3dbl_1: w.conv1x1(input, 64, device),
            branch3x3dbl_2: w.conv(w.of(64), 96, [3, 3], 1, [1, 1], device),
            branch3x3dbl_3: w.conv(w.of(96), 96, [3, 3], 2, [0, 0], device),
        }
    }

    /// # Shapes
    /// - x: `[batch, input, h, w]`
    /// - output: `[batch, 480 (scaled) + input, (h - 3) / 2 + 1, (w - 3) / 2 + 1]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b3 = self.branch3x3.forward(x.clone());
        let b3dbl = self.branch3x3dbl_3.forward(
            self.branch3x3dbl_2
                .forward(self.branch3x3dbl_1.forward(x.clone())),
        );
        let pool = max_pool(x, 3, 2, 0);
        Tensor::cat(vec![b3, b3dbl, pool], 1)
    }
}

/// Factorised 7×7 branches at 17×17 (`Mixed_6b` … `Mixed_6e`).
#[derive(Module, Debug)]
pub struct InceptionC {
    /// 1×1 branch.
    pub branch1x1: ConvBn,
    /// 7×7 branch: 1×1.
    pub branch7x7_1: ConvBn,
    /// 7×7 branch: 1×7.
    pub branch7x7_2: ConvBn,
    /// 7×7 branch: 7×1.
    pub branch7x7_3: ConvBn,
    /// Double 7×7 branch: 1×1.
    pub branch7x7dbl_1: ConvBn,
    /// Double 7×7 branch: 7×1.
    pub branch7x7dbl_2: ConvBn,
    /// Double 7×7 branch: 1×7.
    pub branch7x7dbl_3: ConvBn,
    /// Double 7×7 branch: 7×1.
    pub branch7x7dbl_4: ConvBn,
    /// Double 7×7 branch: 1×7.
    pub branch7x7dbl_5: ConvBn,
    /// 1×1 after 3×3 average pooling.
    pub branch_pool: ConvBn,
}

impl InceptionC {
    pub(crate) fn new(w: Widths, input: usize, c7: usize, device: &Device) -> Self {
        let (row, col) = (([1, 7], [0, 3]), ([7, 1], [3, 0]));
        let c = w.of(c7);
        Self {
            branch1x1: w.conv1x1(input, 192, device),
            branch7x7_1: w.conv1x1(input, c7, device),
            branch7x7_2: w.conv(c, c7, row.0, 1, row.1, device),
            branch7x7_3: w.conv(c, 192, col.0, 1, col.1, device),
            branch7x7dbl_1: w.conv1x1(input, c7, device),
            branch7x7dbl_2: w.conv(c, c7, col.0, 1, col.1, device),
            branch7x7dbl_3: w.conv(c, c7, row.0, 1, row.1, device),
            branch7x7dbl_4: w.conv(c, c7, col.0, 1, col.1, device),
            branch7x7dbl_5: w.conv(c, 192, row.0, 1, row.1, device),
            branch_pool: w.conv1x1(input, 192, device),
        }
    }

    /// # Shapes
    /// - x: `[batch, input, h, w]`
    /// - output: `[batch, 768 (scaled), h, w]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1x1.forward(x.clone());
        let b7 = [&self.branch7x7_1, &self.branch7x7_2, &self.branch7x7_3]
            .iter()
            .fold(x.clone(), |y, conv| conv.forward(y));
        let b7dbl = [
            &self.branch7x7dbl_1,
            &self.branch7x7dbl_2,
            &self.branch7x7dbl_3,
            &self.branch7x7dbl_4,
            &self.branch7x7dbl_5,
        ]
        .iter()
        .fold(x.clone(), |y, conv| conv.forward(y));
        let pool = self.branch_pool.forward(avg_pool(x, 3, 1, 1));
        Tensor::cat(vec![b1, b7, b7dbl, pool], 1)
    }
}

/// Grid reduction 17×17 → 8×8 (`Mixed_7a`).
#[derive(Module, Debug)]
pub struct InceptionD {
    /// 3×3 branch: 1×1.
    pub branch3x3_1: ConvBn,
    /// 3×3 branch: strided 3×3.
    pub branch3x3_2: ConvBn,
    /// 7×7×3 branch: 1×1.
    pub branch7x7x3_1: ConvBn,
    /// 7×7×3 branch: 1×7.
    pub branch7x7x3_2: ConvBn,
    /// 7×7×3 branch: 7×1.
    pub branch7x7x3_3: ConvBn,
    /// 7×7×3 branch: strided 3×3.
    pub branch7x7x3_4: ConvBn,
}

impl InceptionD {
    pub(crate) fn new(w: Widths, input: usize, device: &Device) -> Self {
        let c = w.of(192);
        Self {
            branch3x3_1: w.conv1x1(input, 192, device),
            branch3x3_2: w.conv(c, 320, [3, 3], 2, [0, 0], device),
            branch7x7x3_1: w.conv1x1(input, 192, device),
            branch7x7x3_2: w.conv(c, 192, [1, 7], 1, [0, 3], device),
            branch7x7x3_3: w.conv(c, 192, [7, 1], 1, [3, 0], device),
            branch7x7x3_4: w.conv(c, 192, [3, 3], 2, [0, 0], device),
        }
    }

    /// # Shapes
    /// - x: `[batch, input, h, w]`
    /// - output: `[batch, 512 (scaled) + input, (h - 3) / 2 + 1, (w - 3) / 2 + 1]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b3 = self
            .branch3x3_2
            .forward(self.branch3x3_1.forward(x.clone()));
        let b7 = [
            &self.branch7x7x3_1,
            &self.branch7x7x3_2,
            &self.branch7x7x3_3,
            &self.branch7x7x3_4,
        ]
        .iter()
        .fold(x.clone(), |y, conv| conv.forward(y));
        let pool = max_pool(x, 3, 2, 0);
        Tensor::cat(vec![b3, b7, pool], 1)
    }
}

/// Expanded filter bank at 8×8 (`Mixed_7b`, `Mixed_7c`).
#[derive(Module, Debug)]
pub struct InceptionE {
    /// 1×1 branch.
    pub branch1x1: ConvBn,
    /// 3×3 branch: 1×1.
    pub branch3x3_1: ConvBn,
    /// 3×3 branch: 1×3 half.
    pub branch3x3_2a: ConvBn,
    /// 3×3 branch: 3×1 half.
    pub branch3x3_2b: ConvBn,
    /// Double 3×3 branch: 1×1.
    pub branch3x3dbl_1: ConvBn,
    /// Double 3×3 branch: 3×3.
    pub branch3x3dbl_2: ConvBn,
    /// Double 3×3 branch: 1×3 half.
    pub branch3x3dbl_3a: ConvBn,
    /// Double 3×3 branch: 3×1 half.
    pub branch3x3dbl_3b: ConvBn,
    /// 1×1 after 3×3 average pooling.
    pub branch_pool: ConvBn,
}

impl InceptionE {
    pub(crate) fn new(w: Widths, input: usize, device: &Device) -> Self {
        let c = w.of(384);
        Self {
            branch1x1: w.conv1x1(input, 320, device),
            branch3x3_1: w.conv1x1(input, 384, device),
            branch3x3_2a: w.conv(c, 384, [1, 3], 1, [0, 1], device),
            branch3x3_2b: w.conv(c, 384, [3, 1], 1, [1, 0], device),
            branch3x3dbl_1: w.conv1x1(input, 448, device),
            branch3x3dbl_2: w.conv(w.of(448), 384, [3, 3], 1, [1, 1], device),
            branch3x3dbl_3a: w.conv(c, 384, [1, 3], 1, [0, 1], device),
            branch3x3dbl_3b: w.conv(c, 384, [3, 1], 1, [1, 0], device),
            branch_pool: w.conv1x1(input, 192, device),
        }
    }

    /// # Shapes
    /// - x: `[batch, input, h, w]`
    /// - output: `[batch, 2048 (scaled), h, w]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1x1.forward(x.clone());
        let b3 = self.branch3x3_1.forward(x.clone());
        let b3 = Tensor::cat(
            vec![
                self.branch3x3_2a.forward(b3.clone()),
                self.branch3x3_2b.forward(b3),
            ],
            1,
        );
        let b3dbl = self
            .branch3x3dbl_2
            .forward(self.branch3x3dbl_1.forward(x.clone()));
        let b3dbl = Tensor::cat(
            vec![
                self.branch3x3dbl_3a.forward(b3dbl.clone()),
                self.branch3x3dbl_3b.forward(b3dbl),
            ],
            1,
        );
        let pool = self.branch_pool.forward(avg_pool(x, 3, 1, 1));
        Tensor::cat(vec![b1, b3, b3dbl, pool], 1)
    }
}

/// The auxiliary classifier on the 17×17 grid (`AuxLogits`), used as an extra training loss.
#[derive(Module, Debug)]
pub struct InceptionAux {
    /// 1×1 convolution after 5×5/3 average pooling.
    pub conv0: ConvBn,
    /// 5×5 convolution.
    pub conv1: ConvBn,
    /// Linear classifier.
    pub fc: Linear,
}

impl InceptionAux {
    pub(crate) fn new(w: Widths, input: usize, num_classes: usize, device: &Device) -> Self {
        Self {
            conv0: w.conv1x1(input, 128, device),
            conv1: w.conv(w.of(128), 768, [5, 5], 1, [0, 0], device),
            fc: LinearConfig::new(w.of(768), num_classes).init(device),
        }
    }

    /// # Shapes
    /// - x: `[batch, 768 (scaled), 17, 17]` (at least 17×17)
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = avg_pool(x, 5, 3, 0);
        let x = self.conv1.forward(self.conv0.forward(x));
        self.fc.forward(global_average_pool(x))
    }
}
