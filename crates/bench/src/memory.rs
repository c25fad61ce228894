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

/// Mebibytes in `bytes`.
pub(crate) fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The rise of the process's peak resident memory over its level when [`PeakMemory::start`]
/// was called: what `cyborg bench` and `cyborg bench-epoch` report.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeakMemory {
    before: Option<u64>,
    readable: bool,
}

impl PeakMemory {
    /// Notes the resident memory now and resets the peak to it.
    pub(crate) fn start() -> Self {
        let before = memory().map(|(rss, _)| rss);
        Self {
            before,
            readable: reset_peak_memory(),
        }
    }

    /// How far the peak rose since [`PeakMemory::start`], in MiB; `None` where it cannot be
    /// read (not Linux).
    pub(crate) fn rise_mib(&self) -> Option<f64> {
        let peak = memory().map(|(_, peak)| peak);
        match (self.before, peak, self.readable) {
            (Some(before), Some(peak), true) => Some(mib(peak.saturating_sub(before))),
            _ => None,
        }
    }
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
        // Other tests of this process run on other threads and may free memory meanwhile
        // (a run measured 57.5 of the 64 MiB): half of the block must show.
        assert!(
            peak >= now && now >= before + (32 << 20),
            "{before} {now} {peak}"
        );
    }
}
