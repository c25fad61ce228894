//! Any bytes: `parse_idx` returns an array whose data fills its dimensions, or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(array) = cyborg_data::parse_idx(bytes) {
        assert_eq!(array.data.len(), array.dims.iter().product::<usize>());
    }
});
