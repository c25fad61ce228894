//! Any bytes as a manifest CSV: records or a typed error, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let table = Path::new("/nonexistent-cyborg-fuzz/train.csv");
    if let Ok(records) = cyborg_data::parse_manifest(bytes, table, None) {
        assert!(records.items.iter().all(|r| r.label < records.classes.len()));
    }
});
