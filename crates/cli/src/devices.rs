//! The backends this binary was built with, and their devices (`--backend`, `--devices`).

use burn::prelude::*;

use crate::error::CliError;

/// The device named by `--backend`, among the backends compiled in.
pub fn device(backend: &str) -> Result<Device, CliError> {
    match backend {
        #[cfg(feature = "flex")]
        "flex" => Ok(Device::flex()),
        #[cfg(feature = "wgpu")]
        "wgpu" => Ok(Device::wgpu(burn::tensor::DeviceKind::DiscreteGpu(0))),
        // A software adapter (e.g. Mesa's lavapipe), which `wgpu` does not pick.
        #[cfg(feature = "wgpu")]
        "wgpu-cpu" => Ok(Device::wgpu(burn::tensor::DeviceKind::Cpu)),
        #[cfg(feature = "cuda")]
        "cuda" => Ok(Device::cuda(0)),
        // Deprecated in Burn 0.22 in favour of flex; kept for benchmark comparisons.
        #[cfg(feature = "ndarray")]
        #[allow(deprecated)]
        "ndarray" => Ok(Device::ndarray()),
        other => Err(CliError::Usage(format!(
            "--backend {other:?} is not compiled in (available: {})",
            compiled_backends().join(", ")
        ))),
    }
}

/// The first `count` devices of `backend` (GPUs 0..count of wgpu or cuda), for data-parallel
/// training; the CPU backend has one device.
pub fn devices(backend: &str, count: usize) -> Result<Vec<Device>, CliError> {
    let first = device(backend)?;
    match (backend, count) {
        (_, 0) => Err(CliError::Usage("--devices must be at least 1".into())),
        (_, 1) => Ok(vec![first]),
        #[cfg(feature = "wgpu")]
        ("wgpu", n) => present(
            backend,
            (0..n)
                .map(|i| Device::wgpu(burn::tensor::DeviceKind::DiscreteGpu(i)))
                .collect(),
            burn::tensor::DeviceType::Wgpu,
        ),
        #[cfg(feature = "cuda")]
        ("cuda", n) => present(
            backend,
            (0..n).map(Device::cuda).collect(),
            burn::tensor::DeviceType::Cuda,
        ),
        (other, n) => Err(CliError::Usage(format!(
            "--devices {n}: the {other} backend has one device"
        ))),
    }
}

/// `wanted` if every one of them is among the devices of `kind` on this machine, else a usage
/// error saying how many there are: asked for more GPUs than the machine has, the run would
/// otherwise fail at its first step on the missing one.
#[cfg(any(feature = "wgpu", feature = "cuda"))]
fn present(
    backend: &str,
    wanted: Vec<Device>,
    kind: burn::tensor::DeviceType,
) -> Result<Vec<Device>, CliError> {
    let available = Device::enumerate(kind).into_vec();
    let found = wanted
        .iter()
        .filter(|device| available.contains(device))
        .count();
    if found == wanted.len() {
        return Ok(wanted);
    }
    Err(CliError::Usage(format!(
        "--devices {}: only {found} {backend} GPU(s) found on this machine",
        wanted.len()
    )))
}

/// The backends this binary was built with.
pub fn compiled_backends() -> Vec<&'static str> {
    [
        ("flex", cfg!(feature = "flex")),
        ("wgpu", cfg!(feature = "wgpu")),
        ("cuda", cfg!(feature = "cuda")),
        ("ndarray", cfg!(feature = "ndarray")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect()
}
