//! A box CSV of any bytes is boxes or a `DataError`, never a panic; its maps are finite.
#![no_main]

use std::path::Path;

use cyborg_data::{BoxShape, box_map, parse_box_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(boxes) = parse_box_csv(data, Path::new("fuzz.csv")) {
        for boxes in boxes.values() {
            for shape in [BoxShape::Hard, BoxShape::Gaussian { spread: 0.5 }] {
                let map = box_map(boxes, [9, 7], shape);
                assert!(map.iter().all(|v| (0.0..=1.0).contains(v)), "{map:?}");
            }
        }
    }
});
