//! A manifest CSV of any bytes is records or a `DataError`, never a panic.
#![no_main]

use std::path::Path;

use cyborg_data::parse_manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(records) = parse_manifest(data, Path::new("/nonexistent/fuzz.csv"), None) {
        assert!(records.items.iter().all(|r| r.label < records.classes.len()));
    }
});
