//! Which SIMD kernels the matrix products of the flex kernels run: the best the CPU has, or a
//! lower level when the environment variable [`SIMD_ENV`] asks for one (to test or measure the
//! fallback on a CPU that has more).

use std::fmt;
use std::sync::OnceLock;

use gemm_common::pulp::WithSimd;

/// The environment variable that caps the [`SimdLevel`]: `avx512`, `avx2`, `portable` or
/// `auto` (the default: the best the CPU has). Read once, at the first matrix product.
pub const SIMD_ENV: &str = "CYBORG_SIMD";

/// The instruction set of the matrix-product kernels (`gemm`'s micro-kernels), lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SimdLevel {
    /// No x86 vector extension: `gemm`'s own choice without them (NEON on aarch64, scalar
    /// code on an x86 CPU without AVX2 and FMA).
    Portable,
    /// AVX2 with FMA, 8 floats a register (x86-64-v3: every x86 CPU since about 2013).
    Avx2,
    /// AVX-512F, 16 floats a register (x86-64-v4: Intel Xeon since Skylake-SP, AMD Zen 4).
    Avx512,
}

impl SimdLevel {
    /// Every level, lowest first.
    pub const ALL: [SimdLevel; 3] = [SimdLevel::Portable, SimdLevel::Avx2, SimdLevel::Avx512];

    /// `portable`, `avx2` or `avx512`: the values [`SIMD_ENV`] takes.
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Portable => "portable",
            SimdLevel::Avx2 => "avx2",
            SimdLevel::Avx512 => "avx512",
        }
    }

    /// The best level this CPU runs.
    pub fn detected() -> SimdLevel {
        super::gemm::detected_level()
    }
}

impl fmt::Display for SimdLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The level the matrix products run at in this process: [`SimdLevel::detected`], capped by
/// [`SIMD_ENV`] when it is set. A value it does not know, or a level above the CPU's, is
/// reported once through `tracing` (warning) and the CPU's best level is used.
pub fn simd_level() -> SimdLevel {
    static LEVEL: OnceLock<SimdLevel> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let requested = std::env::var(SIMD_ENV).ok();
        let (level, warning) = choose(SimdLevel::detected(), requested.as_deref());
        if let Some(warning) = warning {
            tracing::warn!("{warning}");
        }
        level
    })
}

/// Runs `op` with the vector instructions of [`simd_level`] (pulp's SIMD types, the ones
/// gemm's micro-kernels use): AVX-512 (`V4`), AVX2 + FMA (`V3`), or one value at a time
/// (`Scalar`); NEON where the CPU is an aarch64 one. A level whose pulp type the CPU lacks
/// falls to the next one down.
pub(super) fn vectorize<Op: WithSimd>(op: Op) -> Op::Output {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        use gemm_common::pulp::{Scalar, Simd, x86::V3, x86::V4};
        let level = simd_level();
        if level >= SimdLevel::Avx512
            && let Some(simd) = V4::try_new()
        {
            return Simd::vectorize(simd, op);
        }
        if level >= SimdLevel::Avx2
            && let Some(simd) = V3::try_new()
        {
            return Simd::vectorize(simd, op);
        }
        Scalar.vectorize(op)
    }
    #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
    {
        gemm_common::pulp::Arch::new().dispatch(op)
    }
}

/// The level for a CPU whose best is `detected` when [`SIMD_ENV`] is `requested`, with a
/// warning when the request cannot be followed.
fn choose(detected: SimdLevel, requested: Option<&str>) -> (SimdLevel, Option<String>) {
    let Some(requested) = requested.map(str::trim).filter(|r| !r.is_empty()) else {
        return (detected, None);
    };
    if requested.eq_ignore_ascii_case("auto") {
        return (detected, None);
    }
    let Some(level) = SimdLevel::ALL
        .into_iter()
        .find(|level| requested.eq_ignore_ascii_case(level.name()))
    else {
        return (
            detected,
            Some(format!(
                "{SIMD_ENV}={requested:?} is none of auto, avx512, avx2, portable: using \
                 {detected}, the best this CPU has"
            )),
        );
    };
    if level > detected {
        return (
            detected,
            Some(format!(
                "{SIMD_ENV}={requested}: this CPU has no {level}; using {detected}"
            )),
        );
    }
    (level, None)
}

/// Running a kernel at each SIMD width this CPU has, for the kernels' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use gemm_common::pulp::{Simd, WithSimd};

    /// The SIMD widths this CPU runs (the fallback first).
    #[derive(Debug, Clone, Copy)]
    pub(crate) enum Width {
        Scalar,
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        Avx2,
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        Avx512,
    }

    pub(crate) fn widths() -> Vec<Width> {
        #[allow(unused_mut)]
        let mut widths = vec![Width::Scalar];
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        {
            use gemm_common::pulp::x86::{V3, V4};
            if V3::try_new().is_some() {
                widths.push(Width::Avx2);
            }
            if V4::try_new().is_some() {
                widths.push(Width::Avx512);
            }
        }
        widths
    }

    pub(crate) fn run<Op: WithSimd>(width: Width, op: Op) -> Op::Output {
        match width {
            Width::Scalar => Simd::vectorize(gemm_common::pulp::Scalar, op),
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Width::Avx2 => Simd::vectorize(gemm_common::pulp::x86::V3::try_new().unwrap(), op),
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Width::Avx512 => Simd::vectorize(gemm_common::pulp::x86::V4::try_new().unwrap(), op),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_caps_the_level_and_never_raises_it() {
        use SimdLevel::*;
        assert_eq!(choose(Avx512, None), (Avx512, None));
        assert_eq!(choose(Avx512, Some("auto")), (Avx512, None));
        assert_eq!(choose(Avx512, Some(" AVX2 ")), (Avx2, None));
        assert_eq!(choose(Avx512, Some("portable")), (Portable, None));
        assert_eq!(choose(Avx2, Some("avx2")), (Avx2, None));
        let (level, warning) = choose(Avx2, Some("avx512"));
        assert_eq!(level, Avx2);
        assert!(warning.unwrap().contains("has no avx512"));
        let (level, warning) = choose(Avx2, Some("sse9"));
        assert_eq!(level, Avx2);
        assert!(warning.unwrap().contains("\"sse9\" is none of"));
        assert_eq!(choose(Portable, Some("")), (Portable, None));
    }

    #[test]
    fn detection_agrees_with_the_cpu() {
        let level = SimdLevel::detected();
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        {
            let avx512 = std::arch::is_x86_feature_detected!("avx512f");
            let avx2 = std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma");
            assert_eq!(level == SimdLevel::Avx512, avx512);
            assert_eq!(level >= SimdLevel::Avx2, avx2);
        }
        #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
        assert_eq!(level, SimdLevel::Portable);
        assert!(simd_level() <= level);
    }
}
