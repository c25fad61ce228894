//! A fixation CSV of any bytes is fixations or a `DataError`, never a panic; its maps lie in
//! [0, 1].
#![no_main]

use std::path::Path;

use cyborg_data::{fixation_map, parse_fixation_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(fixations) = parse_fixation_csv(data, Path::new("fuzz.csv")) {
        for fixations in fixations.values() {
            let map = fixation_map(fixations, [8, 6], 1.5);
            assert!(map.iter().all(|v| (0.0..=1.0).contains(v)), "{map:?}");
        }
    }
});
