//! `cyborg report` as a user runs it: two runs trained by `cyborg train` (cross-entropy and
//! CYBORG) and a third whose files are damaged, compared on one page; the page opened in
//! headless Chromium (Debian's `chromium`, `chromium-driver`) with no console error, the
//! numbers read back from the DOM equal to each run's metrics.json, the gallery present, and
//! the damage named on the page. Skipped with a message where the browser is missing, unless
//! `CYBORG_REQUIRE_BROWSER=1` (as in `.ci/run`).

use std::path::{Path, PathBuf};
use std::process::Command;

use cyborg_testing::Browser;
use serde_json::{Value, json};

/// Eight 16×16 gray images with a bright square (where the maps are), labels 0/1, maps for
/// every image; a manifest of them.
fn write_dataset(dir: &Path) -> PathBuf {
    let mut csv = String::from("image,saliency,label\n");
    for i in 0..8u32 {
        let (ox, oy) = ((i * 3) % 10, (i * 5) % 10);
        let inside = move |x: u32, y: u32| x >= ox && x < ox + 6 && y >= oy && y < oy + 6;
        let bar = i % 2;
        image::GrayImage::from_fn(16, 16, |x, y| {
            let mark = if bar == 0 { y == 2 } else { x == 2 };
            image::Luma([if inside(x, y) || mark {
                230
            } else {
                ((x * 7 + y * 13) % 50) as u8
            }])
        })
        .save(dir.join(format!("{i}.png")))
        .unwrap();
        image::GrayImage::from_fn(16, 16, |x, y| image::Luma([255 * inside(x, y) as u8]))
            .save(dir.join(format!("{i}_map.png")))
            .unwrap();
        csv.push_str(&format!("{i}.png,{i}_map.png,{bar}\n"));
    }
    let path = dir.join("data.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

fn cyborg(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cyborg"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn train(csv: &str, out: &Path, alpha: &str) {
    cyborg(&[
        "train",
        "--model",
        "small-cnn",
        "--channels",
        "1",
        "--image-size",
        "16",
        "--normalization",
        "none",
        "--num-classes",
        "2",
        "--train",
        csv,
        "--val",
        csv,
        "--test",
        csv,
        "--epochs",
        "2",
        "--batch-size",
        "4",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--schedule",
        "constant",
        "--alpha",
        alpha,
        "--out",
        out.to_str().unwrap(),
    ]);
}

#[test]
fn the_report_shows_every_runs_numbers_and_names_what_is_damaged() {
    let Some(browser) = Browser::start_or_skip("cyborg report in a browser", 1280, 900) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = write_dataset(dir.path());
    let csv = csv.to_str().unwrap();
    let (ce, guided, damaged) = (
        dir.path().join("ce"),
        dir.path().join("cyborg"),
        dir.path().join("damaged"),
    );
    train(csv, &ce, "1");
    train(csv, &guided, "0.5");
    // cyborg train wrote its own report.
    assert!(
        std::fs::read_to_string(ce.join("report.html"))
            .unwrap()
            .contains("<h1>cyborg report: ce</h1>")
    );
    // A copy of the CYBORG run without its history and with a damaged metrics.json.
    std::fs::create_dir(&damaged).unwrap();
    for entry in std::fs::read_dir(&guided).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, damaged.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::remove_file(damaged.join("history.csv")).unwrap();
    std::fs::write(
        damaged.join("metrics.json"),
        "{\"best_epoch\": 2, \"val\": ",
    )
    .unwrap();
    // Its sets/ copied, its model.json damaged: left out of the gallery with a note.
    std::fs::create_dir(damaged.join("sets")).unwrap();
    for entry in std::fs::read_dir(guided.join("sets")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, damaged.join("sets").join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(damaged.join("model.json"), "{ damaged").unwrap();

    let report = dir.path().join("report.html");
    let stdout = cyborg(&[
        "report",
        ce.to_str().unwrap(),
        guided.to_str().unwrap(),
        damaged.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    assert!(
        stdout.contains("3 run(s); 3 file(s) missing or unreadable"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(&report).unwrap();
    for fetch in [
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
        "<script src",
    ] {
        assert!(!html.contains(fetch), "nothing is fetched: {fetch}");
    }

    browser.goto(&format!("file://{}", report.display()));
    browser.wait_for("document.readyState === 'complete'", 30);
    assert_eq!(browser.console_errors(), Vec::<String>::new());

    // Every number of the results tables equals metrics.json's.
    let cells = browser.execute(
        "return Array.from(document.querySelectorAll('table.metrics td[data-value]')).map(td =>
           [td.closest('table').dataset.set, td.closest('tr').dataset.metric, td.dataset.run,
            Number(td.dataset.value), td.textContent]);",
        json!([]),
    );
    let cells = cells.as_array().unwrap();
    let metrics = |run: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap()
    };
    let (ce_metrics, guided_metrics) = (metrics(&ce), metrics(&guided));
    let mut checked = 0;
    for cell in cells {
        let [set, metric, run, value, text] = cell.as_array().unwrap().as_slice() else {
            panic!("{cell}");
        };
        let json = match run.as_str().unwrap() {
            "ce" => &ce_metrics,
            "cyborg" => &guided_metrics,
            other => panic!("a value shown for {other}"),
        };
        let set = set.as_str().unwrap();
        let evaluation = match set.strip_prefix("test-") {
            Some(name) => &json["test"][name],
            None => &json["val"],
        };
        let expected = evaluation[metric.as_str().unwrap()].as_f64().unwrap();
        assert!(
            (value.as_f64().unwrap() - expected).abs() <= 1e-12 * expected.abs().max(1.0),
            "{cell}"
        );
        assert!(
            text.as_str()
                .unwrap()
                .starts_with(&format!("{expected:.3}")),
            "{cell}"
        );
        checked += 1;
    }
    // val and test-data, accuracy + AUC + six CAM measures, two runs.
    assert_eq!(checked, 2 * 8 * 2, "{cells:?}");
    // The stars: in each row, exactly the cells with the best value (lowest for CAM MSE).
    let rows = browser.execute(
        "return Array.from(document.querySelectorAll('table.metrics tr[data-metric]')).map(tr =>
           [tr.dataset.metric, Array.from(tr.querySelectorAll('td[data-value]')).map(td =>
             [Number(td.dataset.value), td.classList.contains('best')])]);",
        json!([]),
    );
    assert_eq!(rows.as_array().unwrap().len(), 16);
    for row in rows.as_array().unwrap() {
        let metric = row[0].as_str().unwrap();
        let cells: Vec<(f64, bool)> = row[1]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c[0].as_f64().unwrap(), c[1].as_bool().unwrap()))
            .collect();
        let values = cells.iter().map(|c| c.0);
        let best = match metric {
            "cam_mse" => values.fold(f64::INFINITY, f64::min),
            _ => values.fold(f64::NEG_INFINITY, f64::max),
        };
        for (value, starred) in &cells {
            assert_eq!(*starred, *value == best, "{metric}: {cells:?}");
        }
    }

    // The damage, named; the damaged run's cells empty.
    let problems = browser.execute(
        "return document.getElementById('problems').textContent;",
        json!([]),
    );
    let problems = problems.as_str().unwrap();
    assert!(
        problems.contains("damaged: metrics.json is damaged"),
        "{problems}"
    );
    assert!(problems.contains("damaged: history.csv"), "{problems}");
    let empty = browser.execute(
        "return document.querySelectorAll('table.metrics td.none[data-run=damaged]').length;",
        json!([]),
    );
    assert_eq!(empty, 16);

    // Charts: five learning-curve panels (loss, cross-entropy, saliency term, accuracy, AUC),
    // ROC per set; the gallery: a row per image, a CAM per run with its model and sets/ (the
    // damaged copy has no sets/: named among the problems).
    let count = |selector: &str| {
        browser
            .execute(
                &format!("return document.querySelectorAll('{selector}').length;"),
                json!([]),
            )
            .as_u64()
            .unwrap()
    };
    assert_eq!(count("#curves svg"), 5);
    assert_eq!(count("#roc svg"), 2);
    assert_eq!(count("#gallery tbody tr"), 8);
    assert_eq!(count("#gallery tbody tr:first-child img"), 2 + 2);
    assert!(
        problems.contains("damaged: not in the CAM gallery (") && problems.contains("model.json"),
        "{problems}"
    );
    let texts = browser.execute(
        "return Array.from(document.querySelectorAll('#curves svg text')).map(t => t.textContent.trim());",
        json!([]),
    );
    let texts: Vec<&str> = texts
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"epoch") && texts.contains(&"accuracy"),
        "{texts:?}"
    );

    // Pictures for the docs: the top of the page, and the gallery.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(shots.join("report.png"), browser.screenshot()).unwrap();
    browser.execute(
        "document.getElementById('gallery').scrollIntoView();",
        json!([]),
    );
    std::fs::write(shots.join("report-gallery.png"), browser.screenshot()).unwrap();
}
