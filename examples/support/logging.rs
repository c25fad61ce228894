//! Shows what the library crates log through `tracing` (each training split's summary line,
//! warnings) on standard error, one plain line each.

/// Installs a plain standard-error subscriber: cyborg's `info` lines (the epoch summaries)
/// and every crate's warnings, or what `RUST_LOG` asks for (`RUST_LOG=warn` hides the epoch
/// lines, `RUST_LOG=info` adds Burn's own).
pub fn show_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,cyborg_train=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .with_level(false)
        .with_ansi(false)
        .try_init();
}
