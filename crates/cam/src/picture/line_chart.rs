//! Line charts: training curves per epoch, ROC curves; panels side by side.

use burn::config::Config;
use image::RgbImage;

use super::chart_style::{GRID, INK, MARGIN, PALETTE, PanelLayout, REFERENCE, WHITE, fill};
use super::font::{draw_text, text_size};

/// One line of a panel.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its name in the panel's legend (printable ASCII).
    pub label: String,
    /// `[x, y]` points, joined in order; non-finite points break the line.
    pub points: Vec<[f64; 2]>,
}

/// One panel of a [`line_chart`].
#[derive(Debug, Clone, PartialEq)]
pub struct LinePanel {
    /// Drawn above the panel.
    pub title: String,
    /// The lines; series `i` of every panel gets colour `i`.
    pub series: Vec<Series>,
    /// The axes' `[low, high]` ranges; `None` fits the finite points (with some room).
    pub x_range: Option<[f64; 2]>,
    /// See `x_range`.
    pub y_range: Option<[f64; 2]>,
    /// x values marked by a dashed vertical line (the best epoch, say).
    pub marks: Vec<f64>,
    /// Draws the diagonal `y = x`, dashed (a ROC curve's chance line).
    pub diagonal: bool,
    /// Where the legend goes.
    pub legend: Legend,
}

/// Where a panel's legend goes: one entry (a short line in the series' colour and its label)
/// per series that has points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Legend {
    /// On the title line, right-aligned, entries side by side.
    #[default]
    TitleLine,
    /// Inside the plot's bottom-right corner, one entry per line on a white ground (where a
    /// ROC curve leaves room).
    BottomRight,
}

/// Layout of a [`line_chart`].
#[derive(Config, Debug)]
pub struct LineChartConfig {
    /// Panels per line; more panels wrap onto further lines.
    #[config(default = 2)]
    pub columns: usize,
    /// Width of each plotting area in pixels.
    #[config(default = 320)]
    pub plot_width: u32,
    /// Height of each plotting area in pixels.
    #[config(default = 200)]
    pub plot_height: u32,
    /// Tick marks per axis, both ends included (at least 2).
    #[config(default = 5)]
    pub ticks: usize,
    /// Scale of the built-in 5×7 font.
    #[config(default = 2)]
    pub text_scale: u32,
}

/// Draws `panels` as line charts on a white picture: axes with tick labels (round values on
/// fitted axes), light grid lines, each series a 2-pixel line in its colour, a legend of the
/// series that have points ([`Legend`]), dashed marks and diagonal. Panels
/// sit `config.columns` to a line, all the same size.
///
/// # Panics
/// If `config.columns` is 0 or `config.ticks < 2`.
pub fn line_chart(config: &LineChartConfig, panels: &[LinePanel]) -> RgbImage {
    assert!(config.columns > 0, "columns must be positive");
    assert!(config.ticks >= 2, "at least two ticks");
    let scale = config.text_scale;
    let (_, line) = text_size("", scale);
    let y_label_width = text_size("0.000", scale).0 + 8;
    let panel_width = MARGIN + y_label_width + config.plot_width + MARGIN * 2;
    let panel_height = MARGIN + line + MARGIN + config.plot_height + 8 + line + MARGIN;
    let layout = PanelLayout {
        columns: config.columns,
        width: panel_width,
        height: panel_height,
    };
    let mut image = layout.canvas(panels.len());
    for (index, panel) in panels.iter().enumerate() {
        let (x0, y0) = layout.origin(index);
        let axis = |range: Option<[f64; 2]>, axis: usize| match range {
            Some(range) => Axis::even(range, config.ticks),
            None => Axis::fitted(panel, axis, config.ticks),
        };
        let plot = Plot {
            left: x0 + MARGIN + y_label_width,
            top: y0 + MARGIN + line + MARGIN,
            width: config.plot_width,
            height: config.plot_height,
            x: axis(panel.x_range, 0),
            y: axis(panel.y_range, 1),
        };
        draw_text(
            &mut image,
            x0 + MARGIN,
            y0 + MARGIN,
            &panel.title,
            scale,
            INK,
        );
        plot.axes(&mut image, scale);
        let ([x_lo, x_hi], [y_lo, y_hi]) = (plot.x.range, plot.y.range);
        if panel.diagonal {
            let (lo, hi) = (x_lo.max(y_lo), x_hi.min(y_hi));
            plot.dashed(&mut image, [lo, lo], [hi, hi]);
        }
        for &mark in &panel.marks {
            plot.dashed(&mut image, [mark, y_lo], [mark, y_hi]);
        }
        draw_legend(&mut image, panel, &plot, y0 + MARGIN, scale);
        for (i, series) in panel.series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            for pair in series.points.windows(2) {
                if pair.iter().flatten().all(|v| v.is_finite()) {
                    plot.segment(&mut image, pair[0], pair[1], color);
                }
            }
            if let [only] = series.points[..]
                && only.iter().all(|v| v.is_finite())
            {
                let (x, y) = plot.pixel(only);
                fill(
                    &mut image,
                    x.saturating_sub(2),
                    y.saturating_sub(2),
                    5,
                    5,
                    color,
                );
            }
        }
    }
    image
}

/// Draws `panel`'s legend as [`Legend`] says; `title_top` is the title line's top.
fn draw_legend(image: &mut RgbImage, panel: &LinePanel, plot: &Plot, title_top: u32, scale: u32) {
    let (_, line) = text_size("", scale);
    let entries: Vec<(usize, &Series)> = panel
        .series
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.points.is_empty())
        .collect();
    let entry_width = |s: &Series| text_size(&s.label, scale).0 + 22;
    let entry = |image: &mut RgbImage, i: usize, series: &Series, left: u32, top: u32| {
        let color = PALETTE[i % PALETTE.len()];
        fill(image, left, top + line / 2 - 1, 16, 3, color);
        draw_text(image, left + 20, top, &series.label, scale, INK);
    };
    match panel.legend {
        Legend::TitleLine => {
            let mut right = plot.left + plot.width;
            for &(i, series) in entries.iter().rev() {
                let left = right.saturating_sub(entry_width(series));
                entry(image, i, series, left, title_top);
                right = left.saturating_sub(12);
            }
        }
        Legend::BottomRight => {
            let width = entries
                .iter()
                .map(|(_, s)| entry_width(s))
                .max()
                .unwrap_or(0);
            let height = entries.len() as u32 * (line + 4);
            let left = (plot.left + plot.width).saturating_sub(width + 8);
            let top = (plot.top + plot.height).saturating_sub(height + 8);
            fill(
                image,
                left.saturating_sub(4),
                top.saturating_sub(4),
                width + 8,
                height + 4,
                WHITE,
            );
            for (row, &(i, series)) in entries.iter().enumerate() {
                entry(image, i, series, left, top + row as u32 * (line + 4));
            }
        }
    }
}

/// An axis: its range, where its ticks go and how many decimals their labels show.
#[derive(Debug, Clone, PartialEq)]
struct Axis {
    range: [f64; 2],
    ticks: Vec<f64>,
    decimals: usize,
}

impl Axis {
    /// `count` evenly spaced ticks over `range`, both ends included.
    ///
    /// # Panics
    /// If `range` is empty or not finite.
    fn even(range: [f64; 2], count: usize) -> Self {
        let [lo, hi] = range;
        assert!(
            lo.is_finite() && hi.is_finite() && lo < hi,
            "range {range:?} is not an interval"
        );
        let step = (hi - lo) / (count - 1) as f64;
        Axis {
            range,
            ticks: (0..count).map(|i| lo + step * i as f64).collect(),
            decimals: decimals(step),
        }
    }

    /// Round ticks (steps of 1, 2 or 5 × 10ᵏ, about `count` of them; on x at least 1 apart
    /// where every value is whole) over a range that holds
    /// axis `axis` of every finite point of `panel` (and the marks, on x); `[0, 1]` without
    /// points.
    fn fitted(panel: &LinePanel, axis: usize, count: usize) -> Self {
        let marks = if axis == 0 {
            panel.marks.clone()
        } else {
            Vec::new()
        };
        let values: Vec<f64> = panel
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| p.iter().all(|v| v.is_finite()))
            .map(|p| p[axis])
            .chain(marks)
            .filter(|v| v.is_finite())
            .collect();
        let (lo, hi) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        // Whole x values (epochs) get whole ticks.
        let whole = axis == 0 && values.iter().all(|v| v.fract() == 0.0);
        if lo > hi {
            return Axis::even([0.0, 1.0], count);
        }
        // A constant gets some room around it.
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else {
            let room = (lo.abs() * 0.1).max(0.1);
            (lo - room, hi + room)
        };
        let raw = (hi - lo) / (count - 1).max(1) as f64;
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|&step| step >= raw * (1.0 - 1e-9))
            .unwrap_or(10.0 * magnitude);
        let step = if whole { step.max(1.0) } else { step };
        let first = (lo / step + 1e-9).floor();
        let last = (hi / step - 1e-9).ceil();
        let ticks: Vec<f64> = (0..=(last - first) as usize)
            .map(|i| (first + i as f64) * step)
            .collect();
        Axis {
            range: [first * step, last * step],
            ticks,
            decimals: decimals(step),
        }
    }

    /// A tick's label.
    fn label(&self, value: f64) -> String {
        let text = format!("{value:.*}", self.decimals);
        // "-0" and "-0.00" read as 0.
        if text
            .trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            text.trim_start_matches('-').to_string()
        } else {
            text
        }
    }
}

/// The fewest decimals (at most 3) that write multiples of `step` exactly: 0 for 1 or 5,
/// 1 for 0.2, 2 for 0.25.
fn decimals(step: f64) -> usize {
    (0..3)
        .find(|&d| {
            let scaled = step * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() <= 1e-6 * scaled.abs().max(1.0)
        })
        .unwrap_or(3)
}

/// A panel's plotting area and its axes.
struct Plot {
    left: u32,
    top: u32,
    width: u32,
    height: u32,
    x: Axis,
    y: Axis,
}

impl Plot {
    /// The pixel of `[x, y]`, clamped to the area.
    fn pixel(&self, [x, y]: [f64; 2]) -> (u32, u32) {
        let t = |v: f64, [lo, hi]: [f64; 2]| ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        let px = self.left + (t(x, self.x.range) * f64::from(self.width)).round() as u32;
        let py =
            self.top + self.height - (t(y, self.y.range) * f64::from(self.height)).round() as u32;
        (px, py)
    }

    fn axes(&self, image: &mut RgbImage, scale: u32) {
        let bottom = self.top + self.height;
        let (_, line) = text_size("", scale);
        for &value in &self.x.ticks {
            let (x, _) = self.pixel([value, self.y.range[0]]);
            fill(image, x, self.top, 1, self.height, GRID);
            fill(image, x, bottom, 1, 5, INK);
            let label = self.x.label(value);
            let width = text_size(&label, scale).0;
            draw_text(
                image,
                x.saturating_sub(width / 2),
                bottom + 8,
                &label,
                scale,
                INK,
            );
        }
        for &value in &self.y.ticks {
            let (_, y) = self.pixel([self.x.range[0], value]);
            fill(image, self.left, y, self.width, 1, GRID);
            fill(image, self.left - 5, y, 5, 1, INK);
            let label = self.y.label(value);
            let width = text_size(&label, scale).0;
            let left = self.left.saturating_sub(8 + width);
            draw_text(image, left, y.saturating_sub(line / 2), &label, scale, INK);
        }
        fill(image, self.left, self.top, 1, self.height + 1, INK);
        fill(image, self.left, bottom, self.width + 1, 1, INK);
    }

    /// A 2-pixel line from `a` to `b` in `color`.
    fn segment(&self, image: &mut RgbImage, a: [f64; 2], b: [f64; 2], color: [u8; 3]) {
        self.stroke(image, a, b, color, |_| true);
    }

    /// A 1-pixel dashed line from `a` to `b` (4 on, 4 off).
    fn dashed(&self, image: &mut RgbImage, a: [f64; 2], b: [f64; 2]) {
        self.stroke(image, a, b, REFERENCE, |step| step % 8 < 4);
    }

    /// Steps from `a` to `b` one pixel at a time along the longer axis, painting where `on`.
    fn stroke(
        &self,
        image: &mut RgbImage,
        a: [f64; 2],
        b: [f64; 2],
        color: [u8; 3],
        on: impl Fn(u32) -> bool,
    ) {
        let (ax, ay) = self.pixel(a);
        let (bx, by) = self.pixel(b);
        let (dx, dy) = (f64::from(bx) - f64::from(ax), f64::from(by) - f64::from(ay));
        let steps = dx.abs().max(dy.abs()).max(1.0) as u32;
        let thick = if color == REFERENCE { 1 } else { 2 };
        for step in 0..=steps {
            if !on(step) {
                continue;
            }
            let t = f64::from(step) / f64::from(steps);
            let x = (f64::from(ax) + dx * t).round() as u32;
            let y = (f64::from(ay) + dy * t).round() as u32;
            fill(image, x, y, thick, thick, color);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LineChartConfig {
        LineChartConfig::new()
            .with_plot_width(100)
            .with_plot_height(50)
            .with_text_scale(1)
    }

    /// The plot's top-left pixel at scale 1: margin, "0.000" (29 px) + 8, and one text line.
    const LEFT: u32 = 12 + 29 + 8;
    const TOP: u32 = 12 + 7 + 12;

    #[test]
    fn a_line_runs_between_its_points() {
        let panel = LinePanel {
            title: "loss".into(),
            series: vec![Series {
                label: "train".into(),
                points: vec![[0.0, 0.0], [1.0, 1.0]],
            }],
            x_range: Some([0.0, 1.0]),
            y_range: Some([0.0, 1.0]),
            marks: vec![],
            diagonal: false,
            legend: Legend::TitleLine,
        };
        let chart = line_chart(&config(), &[panel]);
        let blue = |x: u32, y: u32| chart.get_pixel(x, y).0 == PALETTE[0];
        // From the bottom-left corner (LEFT, TOP + 50) to the top-right one (LEFT + 100, TOP),
        // through the middle (LEFT + 50, TOP + 25).
        assert!(blue(LEFT, TOP + 50) && blue(LEFT + 100, TOP) && blue(LEFT + 50, TOP + 25));
        assert!(!blue(LEFT + 50, TOP + 40) && !blue(LEFT + 80, TOP + 45));
        assert_eq!(chart.width(), 12 + 37 + 100 + 24);
        assert_eq!(chart.height(), 12 + 7 + 12 + 50 + 8 + 7 + 12);
    }

    #[test]
    fn fitted_axes_have_round_ticks() {
        let panel = |points: Vec<[f64; 2]>| LinePanel {
            title: String::new(),
            series: vec![Series {
                label: String::new(),
                points,
            }],
            x_range: None,
            y_range: None,
            marks: vec![],
            diagonal: false,
            legend: Legend::TitleLine,
        };
        // Six epochs: a raw step of 1.25 rounds up to 2, from 0 to 6.
        let epochs = panel((1..=6).map(|e| [e as f64, 0.1 * e as f64]).collect());
        let x = Axis::fitted(&epochs, 0, 5);
        assert_eq!(
            (x.range, x.ticks, x.decimals),
            ([0.0, 6.0], vec![0.0, 2.0, 4.0, 6.0], 0)
        );
        // 0.1 to 0.6: steps of 0.2 from 0 to 0.6, one decimal.
        let y = Axis::fitted(&epochs, 1, 5);
        assert_eq!((y.ticks.len(), y.decimals), (4, 1));
        assert!((y.range[1] - 0.6).abs() < 1e-12);
        assert_eq!(y.label(y.ticks[0]), "0.0");
        // A constant gets room: 1 ± 0.1 in steps of 0.05.
        let flat = Axis::fitted(&panel(vec![[1.0, 1.0], [2.0, 1.0]]), 1, 5);
        assert_eq!((flat.ticks.len(), flat.decimals), (5, 2));
        assert_eq!(flat.label(flat.ticks[2]), "1.00");
        // Two epochs: whole ticks, not 1.25, 1.5, ….
        let two = Axis::fitted(&panel(vec![[1.0, 0.5], [2.0, 0.7]]), 0, 5);
        assert_eq!((two.ticks, two.decimals), (vec![1.0, 2.0], 0));
        // No points: [0, 1].
        assert_eq!(Axis::fitted(&panel(vec![]), 0, 5).range, [0.0, 1.0]);
        assert_eq!((decimals(0.25), decimals(5.0), decimals(0.2)), (2, 0, 1));
    }

    #[test]
    fn marks_diagonals_and_fitted_ranges() {
        let panel = LinePanel {
            title: "roc".into(),
            series: vec![Series {
                label: "x".into(),
                points: vec![[2.0, 10.0], [f64::NAN, 3.0], [4.0, 30.0]],
            }],
            x_range: None,
            y_range: None,
            marks: vec![3.0],
            diagonal: false,
            legend: Legend::TitleLine,
        };
        // x from 2 to 4, whole values: steps of 1 (not 0.5); y from 10 to 30 in steps of 5.
        let x = Axis::fitted(&panel, 0, 5);
        assert_eq!((x.range, x.ticks.len(), x.decimals), ([2.0, 4.0], 3, 0));
        assert_eq!(x.label(3.0), "3");
        let y = Axis::fitted(&panel, 1, 5);
        assert_eq!(
            (y.range, y.ticks, y.decimals),
            ([10.0, 30.0], vec![10.0, 15.0, 20.0, 25.0, 30.0], 0)
        );
        let chart = line_chart(&config(), &[panel]);
        // The mark at 3 is the middle of the x axis.
        assert_eq!(chart.get_pixel(LEFT + 50, TOP).0, REFERENCE);
        let diagonal = LinePanel {
            title: "roc".into(),
            series: vec![],
            x_range: Some([0.0, 1.0]),
            y_range: Some([0.0, 1.0]),
            marks: vec![],
            diagonal: true,
            legend: Legend::TitleLine,
        };
        let chart = line_chart(&config(), &[diagonal]);
        assert_eq!(chart.get_pixel(LEFT, TOP + 50).0, REFERENCE);
        assert_eq!(chart.get_pixel(LEFT + 2, TOP + 49).0, REFERENCE);
    }
}
