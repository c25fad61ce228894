//! Real data: Fashion-MNIST's test split from Debian's `dataset-fashion-mnist` package, read
//! as IDX and turned into a decoy dataset in the manifest layout.
//!
//! Without the package the tests say so and pass, so `cargo test` works on any machine; CI
//! installs the package and sets `CYBORG_REQUIRE_FASHION_MNIST=1`, which makes its absence a
//! failure. Reference values from NumPy:
//! ```python
//! labels = np.frombuffer(gzip.open(".../t10k-labels-idx1-ubyte.gz").read()[8:], np.uint8)
//! images = np.frombuffer(gzip.open(".../t10k-images-idx3-ubyte.gz").read()[16:], np.uint8)
//! labels[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]; images[:784].sum() == 33456
//! ```

use std::path::{Path, PathBuf};

use cyborg_data::{
    DecoyConfig, DecoySplit, IdxArray, SaliencyConfig, load_saliency, read_idx, read_manifest,
};

const FOLDER: &str = "/usr/share/datasets/fashion-mnist";

fn test_split() -> Option<(IdxArray, IdxArray)> {
    let folder = Path::new(FOLDER);
    let file = |name: &str| -> PathBuf { folder.join(name) };
    if !file("t10k-images-idx3-ubyte.gz").is_file() {
        assert!(
            std::env::var_os("CYBORG_REQUIRE_FASHION_MNIST").is_none(),
            "Fashion-MNIST is required but {FOLDER} is missing: apt-get install dataset-fashion-mnist"
        );
        eprintln!("skipped: {FOLDER} not found (apt-get install dataset-fashion-mnist)");
        return None;
    }
    let images = read_idx(file("t10k-images-idx3-ubyte.gz")).expect("images");
    let labels = read_idx(file("t10k-labels-idx1-ubyte.gz")).expect("labels");
    Some((images, labels))
}

#[test]
fn reads_the_real_test_split() {
    let Some((images, labels)) = test_split() else {
        return;
    };
    assert_eq!(images.dims, vec![10_000, 28, 28]);
    assert_eq!(labels.dims, vec![10_000]);
    assert_eq!(labels.data[..10], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    let first: u32 = images.data[..784].iter().map(|&p| p as u32).sum();
    assert_eq!(first, 33_456);
    for class in 0..10u8 {
        assert_eq!(labels.data.iter().filter(|&&l| l == class).count(), 1000);
    }
}

#[test]
fn decoy_fashion_mnist_round_trips_through_the_manifest() {
    let Some((images, labels)) = test_split() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = DecoyConfig::new().with_seed(3);
    let written = config
        .write_dataset(
            &images,
            &labels,
            dir.path(),
            "train",
            DecoySplit::Train,
            Some(40),
        )
        .unwrap();
    let records =
        read_manifest(dir.path().join("train.csv"), Some(written.classes.clone())).unwrap();
    assert_eq!(records, written);
    assert_eq!(records.len(), 40);
    for (i, record) in records.items.iter().enumerate() {
        assert_eq!(record.label, labels.data[i] as usize);
        let pixels = image::open(&record.image).unwrap().to_luma8().into_raw();
        // Exactly one corner holds the class-coded 4×4 patch; every other pixel is the original.
        let level = 255 - 25 * record.label as u8;
        let original = &images.data[i * 784..(i + 1) * 784];
        let corners = [(0, 0), (0, 24), (24, 0), (24, 24)];
        let stamped: Vec<_> = corners
            .iter()
            .filter(|&&(top, left)| {
                (top..top + 4).all(|r| (left..left + 4).all(|c| pixels[r * 28 + c] == level))
            })
            .collect();
        assert!(
            !stamped.is_empty(),
            "image {i}: no corner holds level {level}"
        );
        let &(top, left) = stamped[0];
        let changed = (0..784)
            .filter(|&p| pixels[p] != original[p])
            .all(|p| (top..top + 4).contains(&(p / 28)) && (left..left + 4).contains(&(p % 28)));
        assert!(changed, "image {i}: pixels outside the patch changed");
        // The human map is zero on the patch and covers the garment.
        let map = load_saliency(
            record.saliency.as_ref().unwrap(),
            &SaliencyConfig::new([28, 28]),
        )
        .unwrap();
        assert!((top..top + 4).all(|r| (left..left + 4).all(|c| map[r * 28 + c] == 0.0)));
        let on_garment = (0..784)
            .filter(|&p| original[p] >= 128)
            .map(|p| map[p])
            .sum::<f32>();
        assert!(on_garment > 0.0, "image {i}: the map misses the garment");
    }
}
