//! Run with: `cargo bench --bench data`
//!
//! How fast `cyborg-data` turns files into batches: 64 RGB PNGs of 224×224 (noise, so they
//! do not compress away) with 224×224 gray saliency maps, decoded, resized to 224×224 /
//! the 7×7 CAM grid, normalised and batched (16 per batch) through Burn's `DataLoader`, with
//! 0 (in the calling thread), 1 and 2 workers, and through cyborg's `OrderedLoader` (what
//! training uses: batches in order whatever the workers) with 1 and 2. Reported as images
//! per second.
//! Results are recorded in docs/benchmarks.md.

use std::sync::Arc;

use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::prelude::*;
use cyborg::data::{
    ImageConfig, SaliencyBatcher, SaliencyConfig, SaliencyDataset, SplitMix64, read_manifest,
};
use cyborg::train::OrderedLoader;

const IMAGES: usize = 64;
const SIDE: u32 = 224;

fn main() {
    divan::main();
}

/// Writes the PNGs and a manifest into a temporary folder.
fn fixture() -> (tempfile::TempDir, SaliencyDataset) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut rng = SplitMix64::new(7);
    let mut rows = String::from("image,saliency,label\n");
    for i in 0..IMAGES {
        let image = image::RgbImage::from_fn(SIDE, SIDE, |_, _| {
            let v = rng.next_u64().to_le_bytes();
            image::Rgb([v[0], v[1], v[2]])
        });
        let map = image::GrayImage::from_fn(SIDE, SIDE, |x, y| image::Luma([((x + y) / 2) as u8]));
        image
            .save(dir.path().join(format!("{i}.png")))
            .expect("write png");
        map.save(dir.path().join(format!("{i}-map.png")))
            .expect("write png");
        rows.push_str(&format!("{i}.png,{i}-map.png,{}\n", i % 2));
    }
    std::fs::write(dir.path().join("train.csv"), rows).expect("write manifest");
    let records = read_manifest(dir.path().join("train.csv"), None).expect("manifest");
    let dataset = SaliencyDataset::new(
        records,
        ImageConfig::new(224, 224),
        SaliencyConfig::new([7, 7]),
    );
    (dir, dataset)
}

#[divan::bench(args = [0, 1, 2], sample_count = 5)]
fn decode_resize_batch(bencher: divan::Bencher, workers: usize) {
    let (_dir, dataset) = fixture();
    let loader = DataLoaderBuilder::new(SaliencyBatcher::new([3, 224, 224], [7, 7]))
        .batch_size(16)
        .num_workers(workers)
        .set_device(Device::flex())
        .build(dataset);
    run(bencher, loader.as_ref());
}

#[divan::bench(args = [1, 2], sample_count = 5)]
fn ordered_loader(bencher: divan::Bencher, workers: usize) {
    let (_dir, dataset) = fixture();
    let loader = OrderedLoader::new(
        Arc::new(dataset),
        Arc::new(SaliencyBatcher::new([3, 224, 224], [7, 7])),
        16,
        workers,
        Device::flex(),
    );
    run(bencher, &loader);
}

/// Times whole passes over `loader`.
fn run(bencher: divan::Bencher, loader: &dyn DataLoader<cyborg::data::SaliencyBatch>) {
    bencher
        .counter(divan::counter::ItemsCount::new(IMAGES))
        .bench_local(|| {
            for batch in loader.iter() {
                divan::black_box(batch.expect("fixture images decode"));
            }
        });
}
