//! The flex kernels against Burn's own ops: the same outputs and the same gradients (input,
//! weight, bias, gamma, beta) to 1e-4 of each tensor's scale, and the same running statistics,
//! over shapes that cover stride, padding, dilation, non-square kernels, bias, batch 1, several
//! im2col chunks, and both checkpointing strategies; cases the kernels do not take (groups,
//! asymmetric padding) fall back to Burn's ops.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{Distribution, Gradients};
use cyborg_ops::{
    SIMD_ENV, SimdLevel, batch_norm, batch_norm_relu, conv2d, fast_kernels_on, max_pool2d,
    simd_level,
};

fn device(checkpointing: bool) -> Device {
    let device = Device::flex().autodiff();
    if checkpointing {
        device.gradient_checkpointing()
    } else {
        device
    }
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

/// Every element within 1e-4 of the reference tensor's largest magnitude.
fn assert_close<const D: usize>(got: Tensor<D>, want: Tensor<D>, what: &str) {
    assert_eq!(got.dims(), want.dims(), "{what}: shape");
    let (got, want) = (values(got), values(want));
    let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-4 * scale,
            "{what}[{i}]: {g} against {w} (scale {scale})"
        );
    }
}

/// `t`'s values on plain flex (no autodiff).
fn plain<const D: usize>(t: &Tensor<D>) -> Tensor<D> {
    Tensor::from_data(t.to_data(), &Device::flex())
}

/// A random-weighted sum of `y`, so every output element gets its own gradient.
fn loss(y: Tensor<4>, seed_weights: &Tensor<4>) -> Tensor<1> {
    (y * seed_weights.clone()).sum()
}

/// Backpropagates the weighted sums of `fast` and `reference` and checks that `x` gets the
/// same gradient from both; returns both gradients (fast first).
fn assert_same_input_gradient(
    x: &Tensor<4>,
    fast: Tensor<4>,
    reference: Tensor<4>,
    weights: &Tensor<4>,
    what: &str,
) -> (Gradients, Gradients) {
    let grads_ref = loss(reference, weights).backward();
    let grads_fast = loss(fast, weights).backward();
    assert_close(
        x.grad(&grads_fast).unwrap(),
        x.grad(&grads_ref).unwrap(),
        &format!("{what} dx"),
    );
    (grads_fast, grads_ref)
}

struct ConvCase {
    channels: [usize; 2],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: PaddingConfig2d,
    dilation: [usize; 2],
    groups: usize,
    bias: bool,
    input: [usize; 4],
}

fn case(
    channels: [usize; 2],
    kernel: [usize; 2],
    stride: usize,
    padding: [usize; 2],
    dilation: usize,
    input: [usize; 4],
) -> ConvCase {
    ConvCase {
        channels,
        kernel,
        stride: [stride, stride],
        padding: PaddingConfig2d::Explicit(padding[0], padding[1], padding[0], padding[1]),
        dilation: [dilation, dilation],
        groups: 1,
        bias: false,
        input,
    }
}

fn check_conv(c: &ConvCase, checkpointing: bool) {
    let device = device(checkpointing);
    device.seed(11);
    let conv: Conv2d = Conv2dConfig::new(c.channels, c.kernel)
        .with_stride(c.stride)
        .with_padding(c.padding.clone())
        .with_dilation(c.dilation)
        .with_groups(c.groups)
        .with_bias(c.bias)
        .init(&device);
    let x = Tensor::<4>::random(c.input, Distribution::Normal(0.0, 1.0), &device).require_grad();
    let reference = conv.forward(x.clone());
    let weights = Tensor::random(reference.dims(), Distribution::Normal(0.0, 1.0), &device);
    let fast = conv2d(&conv, x.clone());
    let what = format!("{:?} {:?} {:?}", c.channels, c.kernel, c.input);
    assert_close(fast.clone(), reference.clone(), &format!("{what} output"));
    // Without autodiff (inference), on plain flex.
    let (plain_conv, plain_x) = (conv.valid(), plain(&x));
    assert_close(
        conv2d(&plain_conv, plain_x.clone()),
        plain_conv.forward(plain_x),
        &format!("{what} inference"),
    );
    let (grads_fast, grads_ref) = assert_same_input_gradient(&x, fast, reference, &weights, &what);
    assert_close(
        conv.weight.grad(&grads_fast).unwrap(),
        conv.weight.grad(&grads_ref).unwrap(),
        &format!("{what} dw"),
    );
    if let Some(bias) = &conv.bias {
        assert_close(
            bias.grad(&grads_fast).unwrap(),
            bias.grad(&grads_ref).unwrap(),
            &format!("{what} dbias"),
        );
    }
}

#[test]
fn the_kernels_are_built_in() {
    assert!(fast_kernels_on(&Device::flex()));
    assert!(fast_kernels_on(&Device::flex().autodiff()));
}

/// The kernels run at the level `CYBORG_SIMD` names when the CPU has it (CI runs these tests
/// again with `CYBORG_SIMD=avx2`, AVX-512 CPUs' fallback, and `portable`), else at the CPU's
/// best; never above it.
#[test]
fn the_simd_level_follows_the_environment() {
    let detected = SimdLevel::detected();
    let level = simd_level();
    assert!(level <= detected, "{level} above the CPU's {detected}");
    let requested = std::env::var(SIMD_ENV).ok();
    let named = SimdLevel::ALL
        .into_iter()
        .find(|l| requested.as_deref() == Some(l.name()));
    match named {
        Some(named) if named <= detected => assert_eq!(level, named),
        _ => assert_eq!(level, detected),
    }
}

#[test]
fn convolution_matches_burn_in_value_and_gradient() {
    let mut cases = vec![
        case([3, 8], [3, 3], 1, [1, 1], 1, [2, 3, 9, 9]),
        case([4, 6], [1, 1], 1, [0, 0], 1, [3, 4, 7, 7]),
        case([5, 7], [3, 3], 2, [1, 1], 1, [1, 5, 10, 11]),
        case([4, 4], [3, 3], 1, [2, 2], 2, [2, 4, 9, 8]),
        case([3, 5], [7, 7], 2, [3, 3], 1, [2, 3, 17, 17]),
        case([6, 4], [1, 1], 2, [0, 0], 1, [2, 6, 8, 8]),
        case([4, 6], [1, 7], 1, [0, 3], 1, [2, 4, 9, 9]),
        case([4, 6], [7, 1], 1, [3, 0], 1, [1, 4, 9, 9]),
        case([3, 4], [3, 3], 3, [0, 0], 1, [2, 3, 11, 10]),
        // Wider layers, as in the ImageNet models.
        case([40, 32], [3, 3], 1, [1, 1], 1, [2, 40, 6, 6]),
        case([48, 32], [1, 1], 1, [0, 0], 1, [3, 48, 5, 5]),
        case([33, 34], [3, 3], 2, [1, 1], 1, [1, 33, 9, 8]),
        case([36, 30], [3, 3], 1, [2, 2], 2, [2, 36, 7, 9]),
        case([35, 31], [1, 7], 1, [0, 3], 1, [2, 35, 6, 6]),
        // Several im2col bands per image (48·9 rows × 64 columns: 9 output rows a band, the
        // last band one row), then with stride 2 (40·9 × 33: bands of 22 and 13 rows).
        case([48, 24], [3, 3], 1, [1, 1], 1, [3, 48, 64, 64]),
        case([40, 24], [3, 3], 2, [1, 1], 1, [2, 40, 70, 66]),
        // Few output pixels and a large im2col: two whole images a product (256·9 rows × 196
        // columns each), so three images a thread make a product of two and one of one.
        case([256, 8], [3, 3], 1, [1, 1], 1, [6, 256, 14, 14]),
    ];
    cases[2].bias = true;
    cases[11].bias = true;
    cases.push(ConvCase {
        padding: PaddingConfig2d::Valid,
        bias: true,
        ..case([3, 4], [2, 2], 1, [0, 0], 1, [2, 3, 6, 5])
    });
    for c in &cases {
        check_conv(c, false);
    }
    check_conv(&cases[0], true);
    check_conv(&cases[2], true);
    check_conv(&cases[9], true);
}

#[test]
fn convolutions_the_kernels_do_not_take_fall_back() {
    let grouped = ConvCase {
        groups: 2,
        ..case([4, 6], [3, 3], 1, [1, 1], 1, [2, 4, 8, 8])
    };
    let asymmetric = ConvCase {
        padding: PaddingConfig2d::Explicit(1, 0, 0, 1),
        ..case([3, 4], [3, 3], 1, [0, 0], 1, [2, 3, 8, 8])
    };
    let same = ConvCase {
        padding: PaddingConfig2d::Same,
        ..case([3, 4], [3, 3], 1, [0, 0], 1, [1, 3, 8, 8])
    };
    for c in [grouped, asymmetric, same] {
        check_conv(&c, false);
    }
}

fn batch_norm_module(channels: usize, device: &Device) -> BatchNorm {
    let mut bn = BatchNormConfig::new(channels).init(device);
    let gamma = Tensor::<1>::from_floats(
        (0..channels)
            .map(|i| 0.5 + i as f32 * 0.37 % 1.3)
            .collect::<Vec<_>>()
            .as_slice(),
        device,
    );
    let beta = Tensor::<1>::from_floats(
        (0..channels)
            .map(|i| i as f32 * 0.21 - 0.4)
            .collect::<Vec<_>>()
            .as_slice(),
        device,
    );
    bn.gamma = Param::from_tensor(gamma);
    bn.beta = Param::from_tensor(beta);
    bn
}

/// `mean`: the inputs' mean (their spread is 2).
fn check_batch_norm(input: [usize; 4], mean: f64, then_relu: bool, checkpointing: bool) {
    let device = device(checkpointing);
    device.seed(5);
    let [_, channels, _, _] = input;
    // Two modules with the same values and their own running statistics.
    let (reference_bn, fast_bn) = (
        batch_norm_module(channels, &device),
        batch_norm_module(channels, &device),
    );
    let x = Tensor::<4>::random(input, Distribution::Normal(mean, 2.0), &device).require_grad();
    let weights = Tensor::random(input, Distribution::Normal(0.0, 1.0), &device);
    let what = format!("{input:?} relu {then_relu} checkpointing {checkpointing}");
    for step in 0..2 {
        let reference = match then_relu {
            true => relu(reference_bn.forward(x.clone())),
            false => reference_bn.forward(x.clone()),
        };
        let fast = match then_relu {
            true => batch_norm_relu(&fast_bn, x.clone()),
            false => batch_norm(&fast_bn, x.clone()),
        };
        assert_close(fast.clone(), reference.clone(), &format!("{what} output"));
        let grads_ref = loss(reference, &weights).backward();
        let grads_fast = loss(fast, &weights).backward();
        let pairs = [(x.grad(&grads_fast), x.grad(&grads_ref), "dx")];
        for (got, want, name) in pairs {
            assert_close(
                got.unwrap(),
                want.unwrap(),
                &format!("{what} {name} step {step}"),
            );
        }
        for (param, name) in [(&fast_bn.gamma, "dgamma"), (&fast_bn.beta, "dbeta")] {
            let reference_param = if name == "dgamma" {
                &reference_bn.gamma
            } else {
                &reference_bn.beta
            };
            assert_close(
                param.grad(&grads_fast).unwrap(),
                reference_param.grad(&grads_ref).unwrap(),
                &format!("{what} {name}"),
            );
        }
        assert_close(
            fast_bn.running_mean.value_sync(),
            reference_bn.running_mean.value_sync(),
            &format!("{what} running mean after step {step}"),
        );
        assert_close(
            fast_bn.running_var.value_sync(),
            reference_bn.running_var.value_sync(),
            &format!("{what} running var after step {step}"),
        );
    }
}

#[test]
fn batch_norm_matches_burn_in_value_gradient_and_running_statistics() {
    for (input, then_relu) in [
        ([4, 3, 5, 5], false),
        ([4, 3, 5, 5], true),
        ([1, 6, 3, 7], true),
        ([3, 5, 1, 1], false),
        ([2, 16, 17, 9], true),
        // More values per plane than one block of the lane sums.
        ([2, 3, 40, 30], true),
    ] {
        check_batch_norm(input, 1.5, then_relu, false);
    }
    check_batch_norm([4, 3, 5, 5], 1.5, true, true);
}

/// A mean far from zero against the spread (300 against 2): the kernels keep their digits.
/// Burn's generic batch norm sums in `f32` and drifts here (its `dγ` by about 1e-4 of the
/// scale), so the reference is the same formulas in `f64`.
#[test]
fn batch_norm_keeps_its_digits_far_from_zero() {
    let device = device(false);
    let input = [3, 4, 20, 20];
    let [n, c, h, w] = input;
    let (m, plane) = ((n * h * w) as f64, h * w);
    let x = Tensor::<4>::from_data(
        TensorData::new(
            (0..n * c * plane)
                .map(|i| 300.0 + 2.0 * ((i as f32 * 0.7311).sin() + (i as f32 * 0.123).cos()))
                .collect::<Vec<f32>>(),
            input,
        ),
        &device,
    )
    .require_grad();
    let weights = Tensor::<4>::from_data(
        TensorData::new(
            (0..n * c * plane)
                .map(|i| (i as f32 * 0.917).sin())
                .collect::<Vec<f32>>(),
            input,
        ),
        &device,
    );
    let bn = batch_norm_module(c, &device);
    let y = batch_norm(&bn, x.clone());
    let grads = loss(y.clone(), &weights).backward();
    let (xs, ws) = (values(x.clone()), values(weights));
    let (gamma, beta) = (values(bn.gamma.val()), values(bn.beta.val()));
    // Each channel's values and output-gradient weights, in f64.
    let channel = |v: &[f32], ch: usize| -> Vec<f64> {
        (0..n)
            .flat_map(|b| v[(b * c + ch) * plane..][..plane].iter().map(|&x| x as f64))
            .collect()
    };
    let (mut want_y, mut want_dx) = (vec![0.0; xs.len()], vec![0.0; xs.len()]);
    let (mut want_dgamma, mut want_dbeta) = (vec![0.0; c], vec![0.0; c]);
    for ch in 0..c {
        let (xc, wc) = (channel(&xs, ch), channel(&ws, ch));
        let mean = xc.iter().sum::<f64>() / m;
        let var = xc.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m;
        let inv_std = 1.0 / (var + bn.epsilon).sqrt();
        let xhat: Vec<f64> = xc.iter().map(|v| (v - mean) * inv_std).collect();
        let dbeta: f64 = wc.iter().sum();
        let dgamma: f64 = wc.iter().zip(&xhat).map(|(w, x)| w * x).sum();
        (want_dgamma[ch], want_dbeta[ch]) = (dgamma, dbeta);
        let k = gamma[ch] as f64 * inv_std;
        for (i, (wv, xh)) in wc.iter().zip(&xhat).enumerate() {
            let at = ((i / plane) * c + ch) * plane + i % plane;
            want_y[at] = gamma[ch] as f64 * xh + beta[ch] as f64;
            want_dx[at] = k * (wv - dbeta / m - xh * dgamma / m);
        }
    }
    let expect = |got: Vec<f32>, want: &[f64], what: &str| {
        let scale = want.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (*g as f64 - w).abs() <= 1e-5 * scale,
                "{what}[{i}]: {g} against {w} (scale {scale})"
            );
        }
    };
    expect(values(y), &want_y, "output");
    expect(values(x.grad(&grads).unwrap()), &want_dx, "dx");
    expect(
        values(bn.gamma.grad(&grads).unwrap()),
        &want_dgamma,
        "dgamma",
    );
    expect(values(bn.beta.grad(&grads).unwrap()), &want_dbeta, "dbeta");
}

#[test]
fn batch_norm_in_inference_matches_the_modules_own() {
    // Running statistics of two training steps, then the inference module on plain flex.
    let device = device(false);
    device.seed(9);
    let bn = batch_norm_module(3, &device);
    for _ in 0..2 {
        let x = Tensor::<4>::random([4, 3, 5, 5], Distribution::Normal(2.0, 3.0), &device);
        let _ = bn.forward(x);
    }
    let bn = bn.valid();
    let mean = values(bn.running_mean.value());
    assert!(mean.iter().all(|m| m.abs() > 0.05), "{mean:?}");
    let plain = Device::flex();
    let x = Tensor::<4>::random([2, 3, 4, 4], Distribution::Normal(2.0, 3.0), &plain);
    assert_close(
        batch_norm_relu(&bn, x.clone()),
        relu(bn.forward(x.clone())),
        "inference with ReLU",
    );
    assert_close(
        batch_norm(&bn, x.clone()),
        bn.forward(x.clone()),
        "inference",
    );
    // An input held by nothing else (a convolution's output) is overwritten in place.
    assert_close(
        batch_norm_relu(&bn, x.clone().add_scalar(0.0)),
        relu(bn.forward(x)),
        "inference in place",
    );
}

fn check_max_pool(
    input: [usize; 4],
    kernel: usize,
    stride: usize,
    padding: usize,
    checkpointing: bool,
) {
    let device = device(checkpointing);
    device.seed(3);
    let x = Tensor::<4>::random(input, Distribution::Normal(0.0, 1.0), &device).require_grad();
    let options = MaxPoolOptions::new([kernel, kernel])
        .with_stride([stride, stride])
        .with_padding([padding, padding]);
    let pool = |x: Tensor<4>| max_pool2d(x, [kernel; 2], [stride; 2], [padding; 2]);
    let reference = burn::tensor::module::max_pool2d(x.clone(), options.clone());
    let fast = pool(x.clone());
    let what = format!("{input:?} kernel {kernel} stride {stride} padding {padding}");
    assert_close(fast.clone(), reference.clone(), &format!("{what} output"));
    let weights = Tensor::random(reference.dims(), Distribution::Normal(0.0, 1.0), &device);
    assert_same_input_gradient(&x, fast, reference, &weights, &what);
    let x = plain(&x);
    assert_close(
        pool(x.clone()),
        burn::tensor::module::max_pool2d(x, options),
        &format!("{what} inference"),
    );
}

#[test]
fn max_pooling_matches_burn_in_value_and_gradient() {
    // The small CNN's, ResNet's and DenseNet's stem, Inception's; odd sizes, batch 1,
    // overlapping windows (an input can be the maximum of several), padding 1 with a 2-kernel.
    check_max_pool([3, 4, 8, 8], 2, 2, 0, false);
    check_max_pool([2, 3, 11, 9], 3, 2, 1, false);
    check_max_pool([1, 5, 10, 7], 3, 2, 0, false);
    check_max_pool([2, 3, 6, 6], 3, 1, 1, false);
    check_max_pool([2, 2, 7, 7], 2, 1, 1, false);
    check_max_pool([2, 3, 11, 9], 3, 2, 1, true);
    // Padding above half the kernel: Burn's own op (PyTorch refuses it).
    check_max_pool([1, 2, 6, 6], 3, 2, 2, false);
}
