//! Run with: `cargo bench -p cyborg-annotate`
//!
//! `cyborg annotate` with a manifest of 10,000 images (one 28×28 PNG listed 10,000 times):
//! opening the store (paths made absolute, map names, the manifest written), one save (the
//! map, the whole manifest rewritten and the log line appended, each synced), and the page's
//! state request over HTTP. Results are recorded in docs/benchmarks.md.

use std::io::Read;

use cyborg_annotate::{AnnotationServer, AnnotationStore, ServerConfig};
use cyborg_data::{Record, Records};

const IMAGES: usize = 10_000;

fn main() {
    divan::main();
}

/// A folder with one image and 10,000 records of it, two classes.
fn fixture() -> (tempfile::TempDir, Records) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let image = dir.path().join("digit.png");
    image::GrayImage::from_fn(28, 28, |x, y| image::Luma([(x * 9 + y) as u8]))
        .save(&image)
        .expect("write png");
    let items = (0..IMAGES)
        .map(|i| Record {
            image: image.clone(),
            saliency: None,
            label: i % 2,
        })
        .collect();
    let records = Records {
        items,
        classes: vec!["a".into(), "b".into()],
    };
    (dir, records)
}

#[divan::bench(sample_count = 10)]
fn open_10k(bencher: divan::Bencher) {
    let (dir, records) = fixture();
    bencher.bench_local(|| {
        AnnotationStore::open(records.clone(), dir.path().join("out"), "bench").expect("open")
    });
}

#[divan::bench(sample_count = 20)]
fn save_10k(bencher: divan::Bencher) {
    let (dir, records) = fixture();
    let mut store = AnnotationStore::open(records, dir.path().join("out"), "bench").expect("open");
    let map = image::GrayImage::from_fn(28, 28, |x, _| image::Luma([if x < 14 { 255 } else { 0 }]));
    let mut index = 0;
    bencher.bench_local(|| {
        index = (index + 1) % IMAGES;
        store
            .save(index, &map, 1.0, Some("a".into()))
            .expect("save")
    });
}

#[divan::bench(sample_count = 20)]
fn state_10k(bencher: divan::Bencher) {
    let (dir, records) = fixture();
    let store = AnnotationStore::open(records, dir.path().join("out"), "bench").expect("open");
    let server = AnnotationServer::start(store, &ServerConfig::default()).expect("start");
    let url = format!(
        "http://{}/api/state?token={}",
        server.address(),
        server.token()
    );
    bencher.bench_local(|| {
        let mut body = Vec::new();
        ureq::get(&url)
            .call()
            .expect("state")
            .into_reader()
            .read_to_end(&mut body)
            .expect("body");
        body.len()
    });
    server.stop();
}
