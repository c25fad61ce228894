//! Dot-and-whisker charts: means with their intervals, one row per method, panels side by
//! side (what a benchmark over seeds reports).

use burn::config::Config;
use image::RgbImage;

use super::chart_style::{GRID, INK, MARGIN, PALETTE, PanelLayout, REFERENCE, fill, tick_label};
use super::font::{draw_text, text_size};

/// One row of a panel: a label, and a mean with its interval (`None`: nothing to show,
/// drawn as a dash).
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalRow {
    /// What the row is (printable ASCII; other characters draw as boxes).
    pub label: String,
    /// `[low, mean, high]`.
    pub value: Option<[f64; 3]>,
}

/// One panel: a title, its rows top to bottom, the x range and vertical reference lines.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalPanel {
    /// Drawn above the panel.
    pub title: String,
    /// The rows, top to bottom.
    pub rows: Vec<IntervalRow>,
    /// The x axis' `[left, right]` values; what lies outside is drawn at the edge.
    pub range: [f64; 2],
    /// x values marked by a dashed vertical line (e.g. 1 for "as good as the ceiling").
    pub references: Vec<f64>,
}

/// Layout of an [`interval_chart`].
#[derive(Config, Debug)]
pub struct IntervalChartConfig {
    /// Panels per line; more panels wrap onto further lines.
    #[config(default = 3)]
    pub columns: usize,
    /// Width of each panel's plotting area in pixels.
    #[config(default = 280)]
    pub plot_width: u32,
    /// Height of a row in pixels.
    #[config(default = 24)]
    pub row_height: u32,
    /// Tick marks on the x axis, both ends included (at least 2).
    #[config(default = 5)]
    pub ticks: usize,
    /// Scale of the built-in 5×7 font.
    #[config(default = 2)]
    pub text_scale: u32,
}

/// Draws `panels` as dot-and-whisker charts on a white picture: per row a dot at the mean
/// and a whisker from low to high, in the row's colour (row `i` of every panel shares
/// colour `i`); row labels on the left, tick labels under the x axis, light grid lines at
/// the ticks, dashed lines at the references. Panels sit `config.columns` to a line; all
/// share one size, fitted to the longest label and the most rows.
///
/// # Panics
/// If `config.columns` is 0, `config.ticks < 2`, or a panel's range is empty or not finite.
pub fn interval_chart(config: &IntervalChartConfig, panels: &[IntervalPanel]) -> RgbImage {
    assert!(config.columns > 0, "columns must be positive");
    assert!(config.ticks >= 2, "at least two ticks");
    for panel in panels {
        let [left, right] = panel.range;
        assert!(
            left.is_finite() && right.is_finite() && left < right,
            "panel {:?}: range {:?} is not an interval",
            panel.title,
            panel.range
        );
    }
    let scale = config.text_scale;
    let (_, line) = text_size("", scale);
    let label_width = panels
        .iter()
        .flat_map(|p| &p.rows)
        .map(|row| text_size(&row.label, scale).0)
        .max()
        .unwrap_or(0)
        + MARGIN;
    let rows = panels.iter().map(|p| p.rows.len()).max().unwrap_or(0) as u32;
    // Title, rows, axis with tick labels; a tick label may reach half its width past the end.
    let tick_overhang = text_size("0.00", scale).0 / 2;
    let panel_width = MARGIN + label_width + config.plot_width + tick_overhang + MARGIN;
    let panel_height = MARGIN + line + MARGIN + rows * config.row_height + 6 + line + MARGIN;
    let layout = PanelLayout {
        columns: config.columns,
        width: panel_width,
        height: panel_height,
    };
    let mut image = layout.canvas(panels.len());
    for (index, panel) in panels.iter().enumerate() {
        let (x0, y0) = layout.origin(index);
        let plot_left = x0 + MARGIN + label_width;
        let plot_top = y0 + MARGIN + line + MARGIN;
        let plot_bottom = plot_top + rows * config.row_height;
        let [lo, hi] = panel.range;
        let x_of = |v: f64| {
            let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
            plot_left + (t * f64::from(config.plot_width)).round() as u32
        };
        draw_text(
            &mut image,
            x0 + MARGIN,
            y0 + MARGIN,
            &panel.title,
            scale,
            INK,
        );
        // Grid lines and tick labels.
        for tick in 0..config.ticks {
            let value = lo + (hi - lo) * tick as f64 / (config.ticks - 1) as f64;
            let x = x_of(value);
            fill(&mut image, x, plot_top, 1, plot_bottom - plot_top, GRID);
            fill(&mut image, x, plot_bottom, 1, 5, INK);
            let label = tick_label(value);
            let width = text_size(&label, scale).0;
            draw_text(
                &mut image,
                x.saturating_sub(width / 2),
                plot_bottom + 6,
                &label,
                scale,
                INK,
            );
        }
        for &reference in &panel.references {
            let x = x_of(reference);
            for y in (plot_top..plot_bottom).step_by(6) {
                fill(&mut image, x, y, 1, 3.min(plot_bottom - y), REFERENCE);
            }
        }
        fill(
            &mut image,
            plot_left,
            plot_bottom,
            config.plot_width + 1,
            1,
            INK,
        );
        for (i, row) in panel.rows.iter().enumerate() {
            let centre = plot_top + i as u32 * config.row_height + config.row_height / 2;
            let text_top = centre.saturating_sub(line / 2);
            draw_text(&mut image, x0 + MARGIN, text_top, &row.label, scale, INK);
            let color = PALETTE[i % PALETTE.len()];
            match row.value {
                Some([low, mean, high]) => {
                    let (left, right) = (x_of(low), x_of(high));
                    fill(&mut image, left, centre - 1, right - left + 1, 3, color);
                    fill(&mut image, left, centre - 5, 1, 11, color);
                    fill(&mut image, right, centre - 5, 1, 11, color);
                    let x = x_of(mean);
                    fill(&mut image, x.saturating_sub(4), centre - 4, 9, 9, color);
                }
                None => draw_text(&mut image, plot_left + 4, text_top, "-", scale, REFERENCE),
            }
        }
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn panel(rows: Vec<IntervalRow>) -> IntervalPanel {
        IntervalPanel {
            title: "t".into(),
            rows,
            range: [0.0, 1.0],
            references: vec![1.0],
        }
    }

    #[test]
    fn draws_the_mean_and_whisker_where_the_values_say() {
        let config = IntervalChartConfig::new()
            .with_plot_width(100)
            .with_text_scale(1);
        let chart = interval_chart(
            &config,
            &[panel(vec![IntervalRow {
                label: "ab".into(),
                value: Some([0.25, 0.5, 0.75]),
            }])],
        );
        // Label "ab" is 11 px wide: the plot starts at 12 + 11 + 12 = 35 and is 100 px wide;
        // one font line is 7 px, so the row's centre is 12 + 7 + 12 + 24/2 = 43.
        let (left, centre) = (35, 43);
        let blue = Rgb(PALETTE[0]);
        // The whisker spans x = 60 (0.25) to 85 (0.75), the dot is 9 px around x = 85 (0.5).
        assert_eq!(*chart.get_pixel(left + 25, centre), blue);
        assert_eq!(*chart.get_pixel(left + 75, centre), blue);
        assert_eq!(*chart.get_pixel(left + 50 + 4, centre + 4), blue);
        assert_ne!(*chart.get_pixel(left + 24, centre), blue);
        assert_ne!(*chart.get_pixel(left + 76, centre), blue);
        // The axis line under the single row, and the dashed reference line at x = 1.
        let axis = 12 + 7 + 12 + 24;
        assert_eq!(*chart.get_pixel(left + 10, axis), Rgb(INK));
        assert_eq!(*chart.get_pixel(left + 100, centre - 12), Rgb(REFERENCE));
        // Width: margins, label, plot, half a tick label ("0.00" is 23 px at scale 1).
        assert_eq!(chart.width(), 12 + 11 + 12 + 100 + 11 + 12);
    }

    #[test]
    fn missing_values_and_values_outside_the_range_stay_inside() {
        let config = IntervalChartConfig::new().with_columns(2);
        let rows = vec![
            IntervalRow {
                label: "none".into(),
                value: None,
            },
            IntervalRow {
                label: "far".into(),
                value: Some([-3.0, 2.0, 9.0]),
            },
        ];
        let one = interval_chart(&config, &[panel(rows.clone())]);
        let chart = interval_chart(
            &config,
            &[panel(rows.clone()), panel(rows.clone()), panel(rows)],
        );
        // Three panels, two to a line: two columns, two lines, each panel the size of one.
        assert_eq!(
            (chart.width(), chart.height()),
            (2 * one.width(), 2 * one.height())
        );
        // The far row is clamped: its whisker runs from the plot's left edge to its right.
        let blue = |x: u32, y: u32| *one.get_pixel(x, y) == Rgb(PALETTE[1]);
        let (line, label) = (14, text_size("none", 2).0 + MARGIN);
        let (left, centre) = (MARGIN + label, MARGIN + line + MARGIN + 24 + 12);
        assert!(blue(left, centre) && blue(left + 280, centre));
        assert!(!blue(left - 1, centre) && !blue(left + 285, centre));
    }
}
