//! `cyborg annotate` end to end in a real browser (headless Chromium through WebDriver): draw a
//! stroke with the pointer, give the class, save with the keyboard, find ink on disk where the
//! stroke went and nowhere else, move on, reload and see the saved map; then `cyborg train` on
//! the manifest it wrote. Skipped with a message where Debian's `chromium` and
//! `chromium-driver` are missing, unless `CYBORG_REQUIRE_BROWSER=1` (as in `.ci/run`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use cyborg_testing::Browser;
use serde_json::json;

const WIDTH: u32 = 64;
const HEIGHT: u32 = 48;

/// Four RGB images of a bright ellipse on a dark texture, classes shirt/shoe, no maps.
fn write_images(dir: &Path) -> std::path::PathBuf {
    let mut csv = String::from("image,saliency,label\n");
    for i in 0..4u32 {
        let (cx, cy) = (20.0 + 8.0 * i as f32, 22.0 + 2.0 * i as f32);
        image::RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
            let (dx, dy) = ((x as f32 - cx) / 14.0, (y as f32 - cy) / 9.0);
            let texture = ((x * 7 + y * 13 + i * 5) % 40) as u8;
            match dx * dx + dy * dy < 1.0 {
                true => image::Rgb([230 - texture, 180, 60 + 2 * texture]),
                false => image::Rgb([20 + texture, 30 + texture / 2, 50]),
            }
        })
        .save(dir.join(format!("photo{i}.png")))
        .unwrap();
        csv.push_str(&format!(
            "photo{i}.png,,{}\n",
            ["shirt", "shoe"][i as usize % 2]
        ));
    }
    let manifest = dir.join("images.csv");
    std::fs::write(&manifest, csv).unwrap();
    manifest
}

/// `cyborg annotate` running in the background, and the address it printed.
struct Annotate {
    child: Child,
    url: String,
}

impl Annotate {
    fn start(manifest: &Path, out: &Path, flags: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cyborg"))
            .args(["annotate", "--manifest"])
            .arg(manifest)
            .arg("--out")
            .arg(out)
            .args(["--annotator", "tester"])
            .args(flags)
            .stdout(Stdio::piped())
            .spawn()
            .expect("run cyborg annotate");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let url = stdout
            .lines()
            .map(|l| l.unwrap())
            .find_map(|l| {
                l.split_whitespace()
                    .find(|w| w.starts_with("http://"))
                    .map(String::from)
            })
            .expect("cyborg annotate prints the address to open");
        Self { child, url }
    }
}

impl Drop for Annotate {
    fn drop(&mut self) {
        // SIGKILL: what was saved must survive it (the manifest is read back below).
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The ink canvas's alpha channel, row by row.
const READ_INK: &str = "const c = document.getElementById('ink');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return Array.from({length: c.width * c.height}, (_, i) => d[4 * i + 3]);";

#[test]
fn a_stroke_drawn_in_the_browser_becomes_a_map_that_trains() {
    let Some(browser) = Browser::start_or_skip("cyborg annotate in a browser", 1200, 760) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_images(dir.path());
    let out = dir.path().join("annotations");
    let annotate = Annotate::start(&manifest, &out, &["--ask-label"]);
    assert!(
        annotate.url.starts_with("http://127.0.0.1:"),
        "{}",
        annotate.url
    );

    browser.goto(&annotate.url);
    browser.wait_for("window.cyborg && window.cyborg.ready", 30);
    assert_eq!(browser.execute("return window.cyborg.index;", json!([])), 0);
    let size = browser.execute("return window.cyborg.size;", json!([]));
    assert_eq!(size, HEIGHT.min(WIDTH).div_ceil(16)); // round(48 / 16) = 3
    let size = size.as_f64().unwrap();
    let rect = browser.execute(
        "const r = document.getElementById('ink').getBoundingClientRect();
         return [r.left, r.top, r.width, r.height];",
        json!([]),
    );
    let rect: Vec<f64> = rect
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        rect[2] > 4.0 * WIDTH as f64,
        "the image is scaled up: {rect:?}"
    );
    // A horizontal stroke through the middle of pixel row 24, from x = 16 to x = 48.
    let (row, from, to) = (24.5, 16.5, 48.5);
    let to_view = |x: f64, y: f64| {
        (
            rect[0] + x * rect[2] / WIDTH as f64,
            rect[1] + y * rect[3] / HEIGHT as f64,
        )
    };
    let points: Vec<(f64, f64)> = (0..=8)
        .map(|k| to_view(from + (to - from) * k as f64 / 8.0, row))
        .collect();
    browser.drag(&points);
    let read_ink = || -> Vec<u64> {
        let ink = browser.execute(READ_INK, json!([]));
        ink.as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect()
    };
    let drawn = read_ink();
    assert!(drawn.iter().any(|&a| a > 0));
    browser.press("z"); // undo
    assert!(read_ink().iter().all(|&a| a == 0));
    browser.press("y"); // redo
    assert_eq!(read_ink(), drawn);
    browser.press("2"); // the second class, "shoe"
    browser.press("\u{E007}"); // Enter: save and next
    browser.wait_for("window.cyborg.index === 1 && window.cyborg.ready", 30);

    let map = image::open(out.join("maps/tester/photo0.png")).unwrap();
    assert_eq!(map.color(), image::ColorType::L8);
    let map = map.to_luma8();
    assert_eq!(map.dimensions(), (WIDTH, HEIGHT));
    let reach = size / 2.0 + 1.0;
    for (x, y, value) in map.enumerate_pixels() {
        let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
        let near = (py - row).abs() <= reach && px >= from - reach && px <= to + reach;
        if !near {
            assert_eq!(value[0], 0, "ink at ({x}, {y}), away from the stroke");
        }
        if py == row && px >= from + 1.0 && px <= to - 1.0 {
            assert!(
                value[0] >= 200,
                "no ink at ({x}, {y}) on the stroke: {}",
                value[0]
            );
        }
    }
    let log = cyborg_annotate::read_entries(&out.join("tester-log.jsonl")).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].label_given.as_deref(), Some("shoe"));
    assert_eq!(log[0].label, "shirt");

    // The keyboard moves on without saving what was not drawn, and back.
    browser.press("\u{E014}"); // right arrow
    browser.wait_for("window.cyborg.index === 2 && window.cyborg.ready", 30);
    browser.press("\u{E012}"); // left arrow
    browser.wait_for("window.cyborg.index === 1 && window.cyborg.ready", 30);
    browser.press("\u{E012}");
    browser.wait_for("window.cyborg.index === 0 && window.cyborg.ready", 30);
    assert!(!out.join("maps/tester/photo1.png").exists());

    // A reload comes back to the same image, its saved map on the canvas.
    browser.refresh();
    browser.wait_for("window.cyborg && window.cyborg.ready", 30);
    assert_eq!(browser.execute("return window.cyborg.index;", json!([])), 0);
    let ink = browser.execute(READ_INK, json!([]));
    let ink: Vec<u8> = ink
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u8)
        .collect();
    assert_eq!(ink, map.as_raw().as_slice());
    let counter = browser.execute(
        "return document.getElementById('count').textContent;",
        json!([]),
    );
    assert_eq!(counter, "1 / 4 annotated");

    // A rectangle added to the same map, saved with Enter.
    browser.press("r");
    browser.drag(&[to_view(4.0, 4.0), to_view(8.0, 7.0), to_view(12.0, 10.0)]);
    browser.press("\u{E007}");
    browser.wait_for("window.cyborg.index === 1 && window.cyborg.ready", 30);
    let boxed = image::open(out.join("maps/tester/photo0.png"))
        .unwrap()
        .to_luma8();
    for (x, y, value) in boxed.enumerate_pixels() {
        let inside = (5..=10).contains(&x) && (5..=8).contains(&y);
        let near = (3..=12).contains(&x) && (3..=10).contains(&y);
        match (inside, near, y < 20) {
            (true, ..) => assert!(value[0] >= 200, "({x}, {y}) not filled: {}", value[0]),
            (false, false, true) => assert_eq!(value[0], 0, "ink at ({x}, {y}), off the box"),
            // The stroke below stays as it was.
            (_, _, false) => assert_eq!(value[0], map.get_pixel(x, y)[0], "({x}, {y})"),
            _ => {}
        }
    }
    assert_eq!(
        cyborg_annotate::read_entries(&out.join("tester-log.jsonl"))
            .unwrap()
            .len(),
        2
    );

    // A lasso around the next image's ellipse, for the picture in docs/annotate.md.
    browser.press("l");
    let lasso: Vec<(f64, f64)> = (0..=24)
        .map(|k| {
            let angle = std::f64::consts::TAU * k as f64 / 24.0;
            to_view(28.0 + 16.0 * angle.cos(), 24.0 + 11.0 * angle.sin())
        })
        .collect();
    browser.drag(&lasso);
    let inked = read_ink();
    let at = |ink: &[u64], x: usize, y: usize| ink[y * WIDTH as usize + x];
    assert!(
        at(&inked, 28, 24) >= 200 && at(&inked, 16, 24) >= 200,
        "the polygon is filled"
    );
    assert_eq!(
        (at(&inked, 2, 2), at(&inked, 60, 45)),
        (0, 0),
        "and nothing outside it"
    );
    // The eraser takes a line out of it; clear empties it; undo brings it back.
    browser.press("e");
    browser.drag(&[to_view(18.0, 24.5), to_view(38.0, 24.5)]);
    let erased = read_ink();
    assert_eq!(at(&erased, 28, 24), 0, "erased on the line");
    assert_eq!(at(&erased, 28, 18), at(&inked, 28, 18), "untouched off it");
    browser.press("c");
    assert!(read_ink().iter().all(|&a| a == 0));
    browser.press("zz");
    assert_eq!(read_ink(), inked);
    browser.press("l");
    let screenshot = browser.screenshot();
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("annotate.png");
    std::fs::write(&shot, &screenshot).unwrap();
    assert_eq!(image::load_from_memory(&screenshot).unwrap().width(), 1200);
    drop(annotate);

    // The manifest it wrote trains as it is.
    let written = out.join("tester.csv");
    let records = cyborg_data::read_manifest(&written, None).unwrap();
    assert_eq!(records.annotated(), 1);
    assert!(records.items[0].saliency.is_some());
    let run = dir.path().join("run");
    let output = Command::new(env!("CARGO_BIN_EXE_cyborg"))
        .arg("train")
        .args([
            "--model",
            "small-cnn",
            "--channels",
            "3",
            "--image-size",
            "16",
        ])
        .args(["--normalization", "none", "--num-classes", "2", "--train"])
        .arg(&written)
        .arg("--val")
        .arg(&written)
        .args(["--epochs", "1", "--batch-size", "2", "--out"])
        .arg(&run)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("epoch 1/1 valid"), "{stderr}");
}

#[test]
fn a_manifest_of_ten_thousand_images_loads_and_moves() {
    let Some(browser) = Browser::start_or_skip("cyborg annotate with 10,000 images", 1000, 700)
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write_images(dir.path());
    let mut csv = String::from("image,saliency,label\n");
    for i in 0..10_000 {
        csv.push_str(&format!("photo{}.png,,{}\n", i % 4, i % 2));
    }
    let manifest = dir.path().join("big.csv");
    std::fs::write(&manifest, csv).unwrap();
    let out = dir.path().join("annotations");
    let annotate = Annotate::start(&manifest, &out, &[]);

    browser.goto(&annotate.url);
    browser.wait_for("window.cyborg && window.cyborg.ready", 30);
    assert_eq!(
        browser.execute("return window.cyborg.items.length;", json!([])),
        10_000
    );
    // Nothing marked: the first Enter asks, the second saves an empty map and moves on.
    browser.press("\u{E007}");
    let message = browser.wait_for("document.getElementById('message').textContent", 10);
    assert!(
        message.as_str().unwrap().starts_with("nothing is marked"),
        "{message}"
    );
    assert_eq!(browser.execute("return window.cyborg.index;", json!([])), 0);
    browser.press("\u{E007}");
    browser.wait_for("window.cyborg.index === 1 && window.cyborg.ready", 30);
    // #N in the address jumps to image N.
    browser.execute("location.hash = '#9999';", json!([]));
    browser.wait_for("window.cyborg.index === 9998 && window.cyborg.ready", 30);
    browser.press("\u{E007}\u{E007}");
    browser.wait_for("window.cyborg.index === 9999 && window.cyborg.ready", 30);
    browser.press("u"); // the next without a map, past the end: image 2
    browser.wait_for("window.cyborg.index === 1 && window.cyborg.ready", 30);
    let counter = browser.execute(
        "return document.getElementById('count').textContent;",
        json!([]),
    );
    assert_eq!(counter, "2 / 10000 annotated");
    drop(annotate);
    let records = cyborg_data::read_manifest(out.join("tester.csv"), None).unwrap();
    let annotated: Vec<usize> = (0..records.len())
        .filter(|&i| records.items[i].saliency.is_some())
        .collect();
    assert_eq!(annotated, [0, 9998]);
    let last = image::open(records.items[9998].saliency.as_ref().unwrap()).unwrap();
    assert_eq!(
        last.to_luma8().as_raw(),
        &vec![0; (WIDTH * HEIGHT) as usize]
    );
}

#[test]
fn a_flat_folder_is_one_class_and_merged_maps_print_their_agreement() {
    let dir = tempfile::tempdir().unwrap();
    let flat = dir.path().join("flowers");
    std::fs::create_dir(&flat).unwrap();
    for i in 0..2u8 {
        image::GrayImage::from_pixel(4, 4, image::Luma([i * 90]))
            .save(flat.join(format!("f{i}.png")))
            .unwrap();
    }
    let out = dir.path().join("annotations");
    // An address this machine does not have: the store is opened (the manifest written) and
    // the listen fails with one line.
    let output = Command::new(env!("CARGO_BIN_EXE_cyborg"))
        .args(["annotate", "--images"])
        .arg(&flat)
        .arg("--out")
        .arg(&out)
        .args(["--annotator", "ada", "--host", "203.0.113.1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("warning: listening on 203.0.113.1, not loopback"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cyborg: cannot listen on 203.0.113.1:0"),
        "{stderr}"
    );
    let records = cyborg_data::read_manifest(out.join("ada.csv"), None).unwrap();
    assert_eq!(
        (records.len(), records.classes.as_slice()),
        (2, ["flowers".to_string()].as_slice())
    );

    for (name, value) in [("ada", 255u8), ("grace", 0)] {
        let records = cyborg_data::read_manifest(out.join("ada.csv"), None).unwrap();
        let mut store = cyborg_annotate::AnnotationStore::open(records, &out, name).unwrap();
        let map =
            image::GrayImage::from_fn(4, 4, |x, _| image::Luma([if x < 2 { 255 } else { value }]));
        store.save(0, &map, 1.0, None).unwrap();
    }
    let merged = dir.path().join("merged");
    let output = Command::new(env!("CARGO_BIN_EXE_cyborg"))
        .args(["maps", "--merge"])
        .args([out.join("maps/ada"), out.join("maps/grace")])
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // ada marks everything (a constant map: no correlation), grace the left half: IoU 1/2.
    assert!(
        stdout.contains("2 annotators (ada, grace); 1 of 2 images have a map"),
        "{stdout}"
    );
    assert!(stdout.contains("Pearson n/a, IoU 0.500"), "{stdout}");
    assert!(merged.join("manifest.csv").is_file());

    let output = Command::new(env!("CARGO_BIN_EXE_cyborg"))
        .args(["maps", "--manifest", "m.csv", "--out", "x", "--merge", "a"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
