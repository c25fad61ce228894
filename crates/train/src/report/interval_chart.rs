//! Dot-and-whisker charts: a mean and its interval per row (one row per method), panels side
//! by side; what a benchmark over seeds reports. Drawn like [`Chart`](super::Chart), through
//! plotters, PNG text in the built-in font.

use plotters::coord::Shift;
use plotters::prelude::*;

use cyborg_cam::RgbImage;

use super::chart::{PALETTE, panels_picture, tick};

/// One row of an [`IntervalPanel`]: a label and a mean with its interval (`None`: nothing to
/// show, the row left empty).
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalRow {
    /// What the row is.
    pub label: String,
    /// `[low, mean, high]`.
    pub value: Option<[f64; 3]>,
}

/// One panel: a title, the x axis's title and range, its rows top to bottom, and vertical
/// reference lines.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalPanel {
    /// Above the panel.
    pub title: String,
    /// Under the x axis.
    pub x_label: String,
    /// The rows, top to bottom; row `i` of every panel has colour `i`.
    pub rows: Vec<IntervalRow>,
    /// The x axis's `[left, right]`; values beyond are drawn at the edge.
    pub range: [f64; 2],
    /// x values marked by a dashed vertical line (1: as good as the ceiling).
    pub references: Vec<f64>,
}

impl IntervalPanel {
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        font: f64,
        label_width: u32,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let [x0, x1] = self.range;
        let n = self.rows.len().max(1);
        let labels: Vec<String> = self.rows.iter().map(|r| r.label.clone()).collect();
        // Row i sits at y = n - i - 0.5: the first row on top.
        let row_label = move |y: &f64| {
            let i = n as f64 - y - 0.5;
            match (i.fract().abs() < 1e-6, i.round() as usize) {
                (true, i) if i < labels.len() => labels[i].clone(),
                _ => String::new(),
            }
        };
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", font * 1.15))
            .margin(8)
            .margin_right(18)
            .x_label_area_size(font * 3.0)
            .y_label_area_size(label_width)
            .build_cartesian_2d(x0..x1, 0.0..n as f64)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .x_labels(6)
            .x_label_formatter(&tick)
            .y_labels(2 * n + 1)
            .y_label_formatter(&row_label)
            .disable_y_mesh()
            .label_style(("sans-serif", font * 0.85))
            .axis_desc_style(("sans-serif", font))
            .light_line_style(RGBColor(240, 240, 240))
            .bold_line_style(RGBColor(220, 220, 220))
            .draw()?;
        let gray = RGBColor(150, 150, 150);
        for &r in &self.references {
            chart.draw_series(DashedLineSeries::new(
                [(r, 0.0), (r, n as f64)],
                5,
                4,
                gray.into(),
            ))?;
        }
        let clamp = |v: f64| v.clamp(x0, x1);
        for (i, row) in self.rows.iter().enumerate() {
            let Some([low, mean, high]) = row.value else {
                continue;
            };
            let (r, g, b) = PALETTE[i % PALETTE.len()];
            let color = RGBColor(r, g, b);
            let y = n as f64 - i as f64 - 0.5;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(clamp(low), y), (clamp(high), y)],
                color.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(Circle::new(
                (clamp(mean), y),
                4,
                color.filled(),
            )))?;
        }
        Ok(())
    }
}

/// `panels` as one picture, `columns` to a row; every panel has the size of the largest
/// (most rows, longest label).
pub fn interval_chart_picture(panels: &[IntervalPanel], columns: usize) -> RgbImage {
    let rows = panels
        .iter()
        .map(|p| p.rows.len())
        .max()
        .unwrap_or(1)
        .max(1) as u32;
    let longest = panels
        .iter()
        .flat_map(|p| p.rows.iter().map(|r| r.label.chars().count()))
        .max()
        .unwrap_or(4) as u32;
    // Tick labels at 12 px come out in the 5×7 font at scale 1: 6 pixels a character.
    let label_width = 6 * longest + 16;
    let panel = (label_width + 300, 26 * rows + 90);
    panels_picture(panels.len(), columns, panel, |i, area| {
        // Drawing into memory cannot fail.
        let _ = panels[i].draw(area, 14.0, label_width);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_share_one_size_fitted_to_the_longest_label() {
        let panel = |rows: usize, label: &str| IntervalPanel {
            title: "t".into(),
            x_label: "share".into(),
            rows: (0..rows)
                .map(|i| IntervalRow {
                    label: label.into(),
                    value: (i > 0).then_some([0.2, 0.5, 1.5]),
                })
                .collect(),
            range: [0.0, 1.2],
            references: vec![1.0],
        };
        let picture = interval_chart_picture(&[panel(3, "ce"), panel(2, "masked (l=1)")], 2);
        let width = 2 * (6 * 12 + 16 + 300);
        assert_eq!(picture.dimensions(), (width, 26 * 3 + 90));
        if let Some(path) = std::env::var_os("CYBORG_CHART_PICTURE") {
            picture.save(path).unwrap();
        }
        // Something was drawn in both panels.
        let half = width / 2;
        let inked = |x0: u32| {
            (x0..x0 + half)
                .any(|x| (0..picture.height()).any(|y| picture.get_pixel(x, y).0 != [255; 3]))
        };
        assert!(inked(0) && inked(half));
    }
}
