//! Shows what the library crates log through `tracing` (each training split's summary line,
//! warnings) on standard error, one plain line each.

/// cyborg's `info` lines (the epoch summaries) and every crate's warnings, or what `RUST_LOG`
/// asks for (`RUST_LOG=warn` hides the epoch lines, `RUST_LOG=info` adds Burn's own).
pub fn show_logs() {
    cyborg::train::show_logs("warn,cyborg_train=info");
}
