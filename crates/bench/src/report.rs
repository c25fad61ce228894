//! The tables `cyborg bench` prints: workloads by backend.

use std::fmt::Write;

use crate::Measurement;

/// A line with each backend's thread count, a line with each backend's machine (CPU model,
/// SIMD flags, kernels' level; where recorded), then markdown tables of `measurements` (rows:
/// workloads, columns: backends, both in order of
/// first appearance, except that `…/cyborg-official` follows its `…/cyborg`):
///
/// 1. the median time per iteration and the peak memory (host RSS rise; device pool where
///    reported);
/// 2. the overhead of CYBORG: each `…/cyborg` (and `…/cyborg-official`) workload's median
///    over its `…/ce` baseline's, on the same backend;
/// 3. the first iteration (kernel compilation and autotuning on GPU backends) and the
///    steady-state throughput in images per second.
pub fn markdown_report(measurements: &[Measurement]) -> String {
    let backends = unique(measurements.iter().map(|m| m.backend.as_str()));
    let mut workloads = unique(measurements.iter().map(|m| m.workload.as_str()));
    // Each official variant right after the vectorised loss it reimplements.
    let position = |name: &str| {
        let base = name.strip_suffix("-official").unwrap_or(name);
        let first = workloads.iter().position(|w| *w == base);
        (first.unwrap_or(usize::MAX), name.ends_with("-official"))
    };
    let mut keyed: Vec<_> = workloads.iter().map(|w| (position(w), *w)).collect();
    keyed.sort_by_key(|(key, _)| *key);
    workloads = keyed.into_iter().map(|(_, w)| w).collect();
    let find = |workload: &str, backend: &str| {
        measurements
            .iter()
            .find(|m| m.workload == workload && m.backend == backend)
    };
    let mut out = String::new();
    let threads: Vec<String> = backends
        .iter()
        .filter_map(|b| {
            let m = measurements.iter().find(|m| m.backend == *b)?;
            Some(format!("{b} {}", m.threads))
        })
        .collect();
    let _ = writeln!(out, "Threads: {}.\n", threads.join(", "));
    let machines: Vec<String> = backends
        .iter()
        .filter_map(|b| {
            let m = measurements
                .iter()
                .find(|m| m.backend == *b && !m.machine.is_empty())?;
            Some(format!("{b}: {}", m.machine))
        })
        .collect();
    if !machines.is_empty() {
        let _ = writeln!(out, "Machine: {}.\n", machines.join("; "));
    }
    let header = |out: &mut String, first: &str| {
        let _ = writeln!(out, "| {first} | {} |", backends.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(backends.len()));
    };

    header(&mut out, "median time (peak memory)");
    for workload in &workloads {
        let cells: Vec<String> = backends
            .iter()
            .map(|backend| match find(workload, backend) {
                Some(m) => format!("{} ({})", milliseconds(m.median_ms), memory(m)),
                None => "—".into(),
            })
            .collect();
        let _ = writeln!(out, "| {workload} | {} |", cells.join(" | "));
    }

    let ratios: Vec<(&str, &str)> = workloads
        .iter()
        .filter_map(|w| {
            let prefix = w
                .strip_suffix("/cyborg")
                .or_else(|| w.strip_suffix("/cyborg-official"))?;
            Some((*w, prefix))
        })
        .collect();
    if !ratios.is_empty() {
        out.push('\n');
        header(&mut out, "CYBORG time / cross-entropy time");
        for (workload, prefix) in ratios {
            let baseline = format!("{prefix}/ce");
            let cells: Vec<String> = backends
                .iter()
                .map(
                    |backend| match (find(workload, backend), find(&baseline, backend)) {
                        (Some(m), Some(b)) => format!("{:.2}×", m.median_ms / b.median_ms),
                        _ => "—".into(),
                    },
                )
                .collect();
            let _ = writeln!(out, "| {workload} | {} |", cells.join(" | "));
        }
    }

    out.push('\n');
    header(&mut out, "first iteration; images/s after it");
    for workload in &workloads {
        let cells: Vec<String> = backends
            .iter()
            .map(|backend| match find(workload, backend) {
                Some(m) => format!(
                    "{}; {:.0}/s",
                    milliseconds(m.first_ms),
                    m.images_per_second()
                ),
                None => "—".into(),
            })
            .collect();
        let _ = writeln!(out, "| {workload} | {} |", cells.join(" | "));
    }
    out
}

fn unique<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for name in names {
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    seen
}

/// `0.84 ms`, `12.3 ms`, `1234 ms`.
fn milliseconds(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn memory(m: &Measurement) -> String {
    let host = m.peak_mib.map_or("—".into(), |mib| format!("{mib:.0} MiB"));
    match m.device_mib {
        Some(device) => format!("{host}; device {device:.0} MiB"),
        None => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(workload: &str, backend: &str, median_ms: f64, device_mib: Option<f64>) -> Measurement {
        Measurement {
            workload: workload.into(),
            backend: backend.into(),
            threads: 2,
            batch: 16,
            first_ms: 2.0 * median_ms,
            median_ms,
            iterations: 5,
            peak_mib: Some(100.0),
            device_mib,
            machine: String::new(),
        }
    }

    #[test]
    fn tables_by_workload_and_backend_with_ratios() {
        // The official variant comes before the vectorised one here, and after it in the
        // tables.
        let report = markdown_report(&[
            m("step/resnet18/ce", "flex", 2000.0, None),
            m("step/resnet18/ce", "wgpu", 50.0, Some(1024.0)),
            m("step/resnet18/ce", "pytorch-cpu", 1000.0, None),
            m("step/resnet18/cyborg-official", "pytorch-cpu", 1500.0, None),
            m("step/resnet18/cyborg", "flex", 2100.0, None),
            m("step/resnet18/cyborg", "wgpu", 55.0, Some(1100.0)),
        ]);
        let expected = "\
Threads: flex 2, wgpu 2, pytorch-cpu 2.

| median time (peak memory) | flex | wgpu | pytorch-cpu |
|---|---|---|---|
| step/resnet18/ce | 2000 ms (100 MiB) | 50.0 ms (100 MiB; device 1024 MiB) | 1000 ms (100 MiB) |
| step/resnet18/cyborg | 2100 ms (100 MiB) | 55.0 ms (100 MiB; device 1100 MiB) | — |
| step/resnet18/cyborg-official | — | — | 1500 ms (100 MiB) |

| CYBORG time / cross-entropy time | flex | wgpu | pytorch-cpu |
|---|---|---|---|
| step/resnet18/cyborg | 1.05× | 1.10× | — |
| step/resnet18/cyborg-official | — | — | 1.50× |

| first iteration; images/s after it | flex | wgpu | pytorch-cpu |
|---|---|---|---|
| step/resnet18/ce | 4000 ms; 8/s | 100 ms; 320/s | 2000 ms; 16/s |
| step/resnet18/cyborg | 4200 ms; 8/s | 110 ms; 291/s | — |
| step/resnet18/cyborg-official | — | — | 3000 ms; 11/s |
";
        assert_eq!(report, expected);
    }

    #[test]
    fn names_each_backends_machine_where_recorded() {
        let mut flex = m("inference/resnet18", "flex", 700.0, None);
        flex.machine = "AMD EPYC (avx2 fma f16c); kernels avx2".into();
        let mut torch = m("inference/resnet18", "pytorch-cpu", 600.0, None);
        torch.machine = "AMD EPYC (avx2 fma f16c); kernels avx2".into();
        let old = m("inference/resnet18", "ndarray", 900.0, None);
        let report = markdown_report(&[flex, old, torch]);
        assert!(report.starts_with(
            "Threads: flex 2, ndarray 2, pytorch-cpu 2.\n\nMachine: flex: AMD EPYC (avx2 fma \
             f16c); kernels avx2; pytorch-cpu: AMD EPYC (avx2 fma f16c); kernels avx2.\n\n| "
        ));
    }
}
