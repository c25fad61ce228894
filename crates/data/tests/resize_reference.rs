//! Resizing against Pillow and PyTorch (`scripts/gen_resize_reference.py`):
//! ```python
//! Image.fromarray(plane, mode="F").resize((w, h), Image.BILINEAR)   # ResizeFilter::Bilinear
//! F.adaptive_avg_pool2d(plane[None, None], (h, w))                 # ResizeFilter::Area
//! ```

use cyborg_data::{ResizeFilter, resize_plane};
use cyborg_testing::{Fixture, compare_slices, f64_from_json};

#[test]
fn matches_pillow_bilinear_and_torch_area() {
    let f = Fixture::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/resize_reference.json"
    ));
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .expect("array")
            .iter()
            .map(f64_from_json)
            .collect()
    };
    let input: Vec<f32> = floats(f.at("/input"))
        .into_iter()
        .map(|v| v as f32)
        .collect();
    let size = floats(f.at("/input_size"));
    let size = [size[0] as usize, size[1] as usize];
    let cases = f.at("/cases").as_array().expect("cases");
    assert_eq!(cases.len(), 5);
    for case in cases {
        let out = floats(&case["size"]);
        let out = [out[0] as usize, out[1] as usize];
        let as_f64 = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<_>>();
        let bilinear = as_f64(resize_plane(&input, size, out, ResizeFilter::Bilinear));
        compare_slices(
            &format!("bilinear {out:?}"),
            &bilinear,
            &floats(&case["bilinear"]),
            1e-6,
            1e-6,
        );
        if !case["area"].is_null() {
            let area = as_f64(resize_plane(&input, size, out, ResizeFilter::Area));
            compare_slices(
                &format!("area {out:?}"),
                &area,
                &floats(&case["area"]),
                1e-6,
                1e-6,
            );
        }
    }
}
