//! The machine a figure was measured on: the CPU's model name and the SIMD extensions that
//! decide which kernels run, written beside every measurement.

/// The SIMD extensions named in [`cpu_description`], in this order.
pub const SIMD_FLAGS: [&str; 5] = ["avx512f", "avx512bw", "avx2", "fma", "f16c"];

/// `MODEL NAME (flag flag …)` of this CPU from `/proc/cpuinfo`, e.g. `AMD EPYC (avx2 fma
/// f16c)`, with the [`SIMD_FLAGS`] it has; `unknown CPU` where it cannot be read.
pub fn cpu_description() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|text| describe_cpuinfo(&text))
        .unwrap_or_else(|_| "unknown CPU".to_string())
}

/// [`cpu_description`] of a `/proc/cpuinfo` text (its first processor).
fn describe_cpuinfo(text: &str) -> String {
    let field = |name: &str| {
        text.lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(key, _)| key.trim() == name)
            .map(|(_, value)| value.trim().to_string())
    };
    let model = field("model name").unwrap_or_else(|| "unknown CPU".to_string());
    let flags = field("flags").unwrap_or_default();
    let present: Vec<&str> = SIMD_FLAGS
        .into_iter()
        .filter(|flag| flags.split_whitespace().any(|f| f == *flag))
        .collect();
    format!("{model} ({})", present.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_model_and_its_simd_flags() {
        let text = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.50GHz\n\
                    flags\t\t: fpu sse2 avx avx2 fma avx512f avx512dq avx512bw\n\n\
                    processor\t: 1\nmodel name\t: other\n";
        assert_eq!(
            describe_cpuinfo(text),
            "Intel(R) Xeon(R) CPU @ 2.50GHz (avx512f avx512bw avx2 fma)"
        );
        assert_eq!(describe_cpuinfo(""), "unknown CPU ()");
    }
}
