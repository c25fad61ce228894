//! The report page: one self-contained HTML file (styles inline, charts as inline SVG, pictures
//! as `data:` URLs), nothing fetched, so it opens from disk anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

use super::chart::{Chart, ChartSeries, PALETTE};
use super::curves::CURVES;
use super::gallery::Gallery;
use super::run_data::ReportRun;
use crate::evaluation::evaluate::Evaluation;

/// A measure of an [`Evaluation`], as the results table shows it.
struct Measure {
    key: &'static str,
    title: &'static str,
    value: fn(&Evaluation) -> Option<f64>,
    /// Whether a higher value is better (false: lower is).
    higher: bool,
}

const MEASURES: [Measure; 8] = [
    Measure {
        key: "accuracy",
        title: "accuracy",
        value: |e| Some(e.accuracy),
        higher: true,
    },
    Measure {
        key: "auc",
        title: "ROC AUC",
        value: |e| e.auc,
        higher: true,
    },
    Measure {
        key: "cam_mse",
        title: "CAM MSE to the human map",
        value: |e| e.cam_mse,
        higher: false,
    },
    Measure {
        key: "cam_pearson",
        title: "CAM Pearson with the human map",
        value: |e| e.cam_pearson,
        higher: true,
    },
    Measure {
        key: "cam_top_iou",
        title: "CAM top-cells IoU",
        value: |e| e.cam_top_iou,
        higher: true,
    },
    Measure {
        key: "pointing_game",
        title: "pointing game",
        value: |e| e.pointing_game,
        higher: true,
    },
    Measure {
        key: "cam_mass_inside",
        title: "CAM mass inside the human map",
        value: |e| e.cam_mass_inside,
        higher: true,
    },
    Measure {
        key: "cam_confidence_drop",
        title: "confidence drop (faithfulness)",
        value: |e| e.cam_confidence_drop,
        higher: true,
    },
];

const STYLE: &str = "
body { font: 15px/1.45 system-ui, sans-serif; color: #1d1d1f; margin: 0 auto; max-width: 1180px;
  padding: 20px 28px 60px; }
h1 { margin-bottom: 2px; } h2 { margin-top: 34px; border-bottom: 1px solid #ddd; }
.meta { color: #6e6e73; margin-top: 0; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; margin-right: 6px;
  vertical-align: -1px; }
table { border-collapse: collapse; margin: 8px 0 18px; }
th, td { padding: 5px 10px; border-bottom: 1px solid #eee; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #ccc; }
td.best { font-weight: 700; background: #eef7ee; }
td.none { color: #aaa; }
tr.differs td { background: #fff8e5; }
.problems { background: #fff4f4; border: 1px solid #f1c0c0; padding: 8px 16px; border-radius: 6px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.charts svg { border: 1px solid #eee; border-radius: 6px; }
.gallery td, .gallery th { text-align: center; vertical-align: top; font-size: 13px; }
.gallery img { width: 112px; height: 112px; image-rendering: pixelated; display: block;
  margin: 0 auto 3px; }
.wrong { color: #c0392b; font-weight: 600; }
.note { color: #6e6e73; }
code { background: #f5f5f7; padding: 1px 4px; border-radius: 4px; }
";

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn color(run: usize) -> String {
    let (r, g, b) = PALETTE[run % PALETTE.len()];
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The whole page for `runs` (in their colours' order), with `gallery` where there is one.
pub fn report_html(runs: &[ReportRun], gallery: Option<&Gallery>) -> String {
    let mut page = String::new();
    let title = match runs.len() {
        1 => format!("cyborg report: {}", runs[0].name),
        n => format!("cyborg report: {n} runs"),
    };
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n\
         <p class=\"meta\">written by cyborg {}</p>\n",
        escape(&title),
        escape(&title),
        env!("CARGO_PKG_VERSION"),
    );
    runs_list(&mut page, runs);
    problems(&mut page, runs, gallery);
    results(&mut page, runs);
    curves(&mut page, runs);
    rocs(&mut page, runs);
    if let Some(gallery) = gallery.filter(|g| !g.rows.is_empty()) {
        gallery_section(&mut page, gallery);
    }
    settings(&mut page, runs);
    page.push_str("</body>\n</html>\n");
    page
}

fn runs_list(page: &mut String, runs: &[ReportRun]) {
    page.push_str(
        "<section id=\"runs\"><h2>Runs</h2>\n<table>\n<thead><tr><th>run</th>\
                   <th>folder</th><th>best epoch</th><th>epochs</th></tr></thead>\n<tbody>\n",
    );
    for (i, run) in runs.iter().enumerate() {
        let epochs = run.history.iter().map(|r| r.epoch).max();
        let _ = writeln!(
            page,
            "<tr data-run=\"{0}\"><td><span class=\"swatch\" style=\"background:{1}\"></span>{0}\
             </td><td><code>{2}</code></td><td>{3}</td><td>{4}</td></tr>",
            escape(&run.name),
            color(i),
            escape(&run.dir.display().to_string()),
            run.best_epoch().map_or("—".into(), |e| e.to_string()),
            epochs.map_or("—".into(), |e| e.to_string()),
        );
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

fn problems(page: &mut String, runs: &[ReportRun], gallery: Option<&Gallery>) {
    let mut lines: Vec<String> = runs
        .iter()
        .flat_map(|r| {
            r.problems
                .iter()
                .map(move |p| format!("<li><b>{}</b>: {}</li>", escape(&r.name), escape(p)))
        })
        .collect();
    if let Some(g) = gallery {
        lines.extend(g.notes.iter().map(|n| format!("<li>{}</li>", escape(n))));
    }
    if lines.is_empty() {
        return;
    }
    let _ = write!(
        page,
        "<section id=\"problems\" class=\"problems\"><h3>Missing or unreadable</h3>\n<ul>\n{}\n\
         </ul>\n<p class=\"note\">The rest of the report shows what could be read.</p></section>\n",
        lines.join("\n")
    );
}

/// The sets evaluated by any run: `val` first, then the test sets by name.
fn sets(runs: &[ReportRun]) -> Vec<(String, String)> {
    let mut tests = BTreeSet::new();
    let mut val = false;
    for metrics in runs.iter().filter_map(|r| r.metrics.as_ref()) {
        val = true;
        tests.extend(metrics.test.keys().cloned());
    }
    let mut sets = Vec::new();
    if val {
        sets.push(("val".to_string(), "validation".to_string()));
    }
    sets.extend(
        tests
            .into_iter()
            .map(|t| (format!("test-{t}"), format!("test: {t}"))),
    );
    sets
}

fn evaluation<'a>(run: &'a ReportRun, set: &str) -> Option<&'a Evaluation> {
    let metrics = run.metrics.as_ref()?;
    match set.strip_prefix("test-") {
        Some(name) => metrics.test.get(name),
        None => Some(&metrics.val),
    }
}

fn results(page: &mut String, runs: &[ReportRun]) {
    page.push_str("<section id=\"results\"><h2>Results of the best models</h2>\n");
    let sets = sets(runs);
    if sets.is_empty() {
        page.push_str("<p class=\"note\">No run has a readable metrics.json yet.</p>\n");
    }
    for (set, title) in &sets {
        let images = runs
            .iter()
            .filter_map(|r| evaluation(r, set).map(|e| e.images))
            .max()
            .unwrap_or(0);
        let _ = write!(
            page,
            "<h3>{} <span class=\"note\">({images} images)</span></h3>\n<table class=\"metrics\" \
             data-set=\"{}\">\n<thead><tr><th>measure</th>",
            escape(title),
            escape(set)
        );
        for (i, run) in runs.iter().enumerate() {
            let _ = write!(
                page,
                "<th><span class=\"swatch\" style=\"background:{}\"></span>{}</th>",
                color(i),
                escape(&run.name)
            );
        }
        page.push_str("</tr></thead>\n<tbody>\n");
        for measure in &MEASURES {
            let values: Vec<Option<f64>> = runs
                .iter()
                .map(|r| {
                    evaluation(r, set)
                        .and_then(measure.value)
                        .filter(|v| v.is_finite())
                })
                .collect();
            if values.iter().all(Option::is_none) {
                continue;
            }
            let best = values
                .iter()
                .flatten()
                .copied()
                .fold(None, |best: Option<f64>, v| {
                    Some(match best {
                        Some(b) if (measure.higher && b >= v) || (!measure.higher && b <= v) => b,
                        _ => v,
                    })
                });
            let marked = runs.len() > 1;
            let _ = write!(
                page,
                "<tr data-metric=\"{}\"><td>{}{}</td>",
                measure.key,
                measure.title,
                if measure.higher {
                    ""
                } else {
                    " <span class=\"note\">(lower is better)</span>"
                }
            );
            for (run, value) in runs.iter().zip(&values) {
                match value {
                    Some(v) => {
                        let is_best = marked && Some(*v) == best;
                        let _ = write!(
                            page,
                            "<td data-run=\"{}\" data-value=\"{v}\"{}>{v:.3}{}</td>",
                            escape(&run.name),
                            if is_best { " class=\"best\"" } else { "" },
                            if is_best { " ★" } else { "" },
                        );
                    }
                    None => {
                        let _ = write!(
                            page,
                            "<td class=\"none\" data-run=\"{}\">—</td>",
                            escape(&run.name)
                        );
                    }
                }
            }
            page.push_str("</tr>\n");
        }
        page.push_str("</tbody>\n</table>\n");
    }
    if runs.len() > 1 {
        page.push_str("<p class=\"note\">★ the best value of each row.</p>\n");
    }
    page.push_str("</section>\n");
}

fn curves(page: &mut String, runs: &[ReportRun]) {
    page.push_str(
        "<section id=\"curves\"><h2>Learning curves</h2>\n<p class=\"note\">Solid: validation; \
         dashed: training. One colour per run.</p>\n<div class=\"charts\">\n",
    );
    let mut any = false;
    for (title, value, range, legend) in CURVES {
        let mut series = Vec::new();
        for (i, run) in runs.iter().enumerate() {
            for (split, dashed) in [("valid", false), ("train", true)] {
                let points: Vec<[f64; 2]> = run
                    .history
                    .iter()
                    .filter(|r| r.split == split)
                    .filter_map(|r| Some([r.epoch as f64, value(r)?]))
                    .collect();
                if !points.is_empty() {
                    series.push(ChartSeries {
                        label: if dashed {
                            String::new()
                        } else {
                            run.name.clone()
                        },
                        points,
                        color: i,
                        dashed,
                    });
                }
            }
        }
        if series.is_empty() {
            continue;
        }
        any = true;
        let chart = Chart {
            title: title.into(),
            x_label: "epoch".into(),
            y_label: title.into(),
            x_range: None,
            y_range: range,
            series,
            marks: vec![],
            diagonal: false,
            legend,
        };
        page.push_str(&chart.svg(370, 280));
        page.push('\n');
    }
    if !any {
        page.push_str("<p class=\"note\">No run has a readable history.csv yet.</p>\n");
    }
    page.push_str("</div>\n</section>\n");
}

fn rocs(page: &mut String, runs: &[ReportRun]) {
    let sets: BTreeSet<&String> = runs.iter().flat_map(|r| r.rocs.keys()).collect();
    if sets.is_empty() {
        return;
    }
    page.push_str("<section id=\"roc\"><h2>ROC curves</h2>\n<div class=\"charts\">\n");
    for set in sets {
        let mut series = Vec::new();
        for (i, run) in runs.iter().enumerate() {
            let Some(curves) = run.rocs.get(set) else {
                continue;
            };
            let several = curves.len() > 1;
            for (k, curve) in curves.iter().enumerate() {
                let name = match several {
                    true => format!("{} · {}", run.name, curve.class),
                    false => run.name.clone(),
                };
                series.push(ChartSeries {
                    label: format!("{name}: AUC {:.3}", curve.auc),
                    points: curve.points.clone(),
                    color: if several { i * curves.len() + k } else { i },
                    dashed: false,
                });
            }
        }
        let chart = Chart::roc(set, series);
        page.push_str(&chart.svg(420, 380));
        page.push('\n');
    }
    page.push_str("</div>\n</section>\n");
}

fn gallery_section(page: &mut String, gallery: &Gallery) {
    let _ = write!(
        page,
        "<section id=\"gallery\"><h2>CAMs of the best models, {}</h2>\n<p class=\"note\">The \
         same test images through each run's best model: the CAM of the class it predicts, \
         with that class and its probability (✗: wrong). The images where the runs disagree \
         most come first (different predictions, then the CAMs' mean squared difference).</p>\n\
         <table class=\"gallery\">\n<thead><tr><th>image</th><th>human map</th>",
        escape(&gallery.set)
    );
    for run in &gallery.runs {
        let _ = write!(page, "<th>{}</th>", escape(run));
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for row in &gallery.rows {
        let name = row
            .image
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let _ = write!(
            page,
            "<tr><td><img alt=\"{0}\" src=\"{1}\">{0}<br>label: {2}</td><td>{3}</td>",
            escape(&name),
            row.input,
            escape(&row.label),
            match &row.human {
                Some(url) => format!("<img alt=\"human map\" src=\"{url}\">"),
                None => "<span class=\"note\">none</span>".into(),
            },
        );
        for cam in &row.cams {
            let wrong = cam.class != row.label;
            let _ = write!(
                page,
                "<td><img alt=\"CAM\" src=\"{}\"><span{}>{}{} · {:.0} %</span></td>",
                cam.picture,
                if wrong { " class=\"wrong\"" } else { "" },
                if wrong { "✗ " } else { "" },
                escape(&cam.class),
                100.0 * cam.probability,
            );
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

/// `config.json` and `model.json` flattened to `key → value`, one row per key, the keys whose
/// values differ between runs first.
fn settings(page: &mut String, runs: &[ReportRun]) {
    let flat: Vec<BTreeMap<String, String>> = runs
        .iter()
        .map(|r| {
            let mut map = BTreeMap::new();
            if let Some(config) = &r.config {
                flatten("recipe", config, &mut map);
            }
            if let Some(model) = &r.model {
                flatten("model", model, &mut map);
            }
            map
        })
        .collect();
    let keys: BTreeSet<&String> = flat.iter().flat_map(|m| m.keys()).collect();
    if keys.is_empty() {
        return;
    }
    let differs = |key: &String| {
        let first = flat[0].get(key);
        flat.iter().any(|m| m.get(key) != first)
    };
    let mut keys: Vec<&String> = keys.into_iter().collect();
    keys.sort_by_key(|k| !differs(k));
    page.push_str(
        "<section id=\"settings\"><h2>Recipe and model</h2>\n<p class=\"note\">From each run's \
         config.json and model.json; the settings that differ between runs come first, \
         highlighted.</p>\n<table>\n<thead><tr><th>setting</th>",
    );
    for run in runs {
        let _ = write!(page, "<th>{}</th>", escape(&run.name));
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for key in keys {
        let class = if runs.len() > 1 && differs(key) {
            " class=\"differs\""
        } else {
            ""
        };
        let _ = write!(page, "<tr{class}><td>{}</td>", escape(key));
        for map in &flat {
            let _ = write!(
                page,
                "<td>{}</td>",
                escape(map.get(key).map_or("—", String::as_str))
            );
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table>\n</section>\n");
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        Value::Null => {
            out.insert(prefix.to_string(), "—".into());
        }
        Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(escape("a<b & \"c\"'"), "a&lt;b &amp; &quot;c&quot;&#39;");
    }

    #[test]
    fn nested_settings_flatten_to_dotted_keys() {
        let mut out = BTreeMap::new();
        let value: Value =
            serde_json::from_str(r#"{"loss": {"Cyborg": {"alpha": 0.5}}, "lr": 0.005, "x": null}"#)
                .unwrap();
        flatten("recipe", &value, &mut out);
        assert_eq!(out["recipe.loss.Cyborg.alpha"], "0.5");
        assert_eq!(out["recipe.lr"], "0.005");
        assert_eq!(out["recipe.x"], "—");
    }
}
