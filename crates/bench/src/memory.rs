//! The process's resident memory, for peak-memory figures on CPU backends.

/// This process's resident memory now and its peak since the last [`reset_peak_memory`], in
/// bytes (`VmRSS`, `VmHWM` of `/proc/self/status`); `None` off Linux.
pub fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kib| kib * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Resets the peak resident memory (`VmHWM`) to the current one (Linux: writes 5 to
/// `/proc/self/clear_refs`). Returns whether it could.
pub fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn peak_follows_an_allocation() {
        let (before, _) = memory().unwrap();
        assert!(reset_peak_memory());
        let block = vec![1u8; 64 << 20];
        std::hint::black_box(&block);
        let (now, peak) = memory().unwrap();
        assert!(
            peak >= now && now >= before + (60 << 20),
            "{before} {now} {peak}"
        );
    }
}
