//! [`show_logs`]: what the library crates log through `tracing`, on standard error.

/// Installs a `tracing` subscriber that prints events to standard error as plain lines (no
/// time, level or target): what `RUST_LOG` asks for (`RUST_LOG=info`,
/// `RUST_LOG=cyborg_train=debug`), else `default_filter` (e.g. `"warn"`, or
/// `"warn,cyborg_train=info"` for the epoch lines of [`LogProgress`](crate::LogProgress)).
/// Does nothing if the program already installed one. For programs, not libraries (feature
/// `stderr-logs`).
pub fn show_logs(default_filter: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .with_level(false)
        .with_ansi(false)
        .try_init();
}
