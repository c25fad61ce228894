//! A `.npy` file of any bytes is a finite 2-D map or an error, never a panic.
#![no_main]

use cyborg_data::parse_npy_map;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(map) = parse_npy_map(data) {
        assert_eq!(map.values.len(), map.size[0] * map.size[1]);
        assert!(map.values.iter().all(|v| v.is_finite()));
    }
});
