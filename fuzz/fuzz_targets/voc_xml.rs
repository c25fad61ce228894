//! A VOC file of any text is an annotation or a `DataError`, never a panic.
#![no_main]

use std::path::Path;

use cyborg_data::parse_voc_xml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(voc) = parse_voc_xml(text, Path::new("fuzz.xml")) {
        assert!(voc.boxes.iter().all(|b| b.x1 > b.x0 && b.y1 > b.y0));
    }
});
