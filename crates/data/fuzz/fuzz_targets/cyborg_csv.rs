//! Any bytes as a CYBORG-layout CSV: records or a typed error, never a panic.
#![no_main]

use std::path::Path;

use cyborg_data::{CyborgSplit, parse_cyborg_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let root = Path::new("/nonexistent-cyborg-fuzz");
    for split in [CyborgSplit::Train, CyborgSplit::Test] {
        let _ = parse_cyborg_csv(bytes, &root.join("data.csv"), root, Path::new("heatmaps"), split);
    }
});
