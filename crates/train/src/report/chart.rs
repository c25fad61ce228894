//! Line charts with titled axes, one drawing for both outputs: SVG for the report (the
//! browser sets the text) and PNG for the run folder's pictures. Both go through plotters; the
//! PNG's text is drawn in cyborg-cam's built-in bitmap font by [`FontBackend`], because
//! plotters' bitmap backend needs font files for text, and a run must draw its pictures on a
//! machine that has none.

use plotters::backend::{BitMapBackend, SVGBackend};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontTransform,
    text_anchor::{HPos, VPos},
};

use cyborg_cam::{RgbImage, text_size};

/// Ten colours told apart by most readers (Tableau 10); series take them in turn.
pub const PALETTE: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// One line of a [`Chart`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSeries {
    /// The legend's text.
    pub label: String,
    /// `[x, y]` in drawing order; non-finite points are left out.
    pub points: Vec<[f64; 2]>,
    /// Index into [`PALETTE`] (modulo its length).
    pub color: usize,
    /// Dashed rather than solid.
    pub dashed: bool,
}

/// Where a [`Chart`]'s legend sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegendCorner {
    /// Upper right: for falling curves (losses).
    UpperRight,
    /// Lower right: for rising curves (accuracy, ROC).
    LowerRight,
}

/// A line chart: a title, both axes titled, fixed or fitted ranges.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Above the plot.
    pub title: String,
    /// Under the x axis.
    pub x_label: String,
    /// Beside the y axis.
    pub y_label: String,
    /// The x axis's range; `None` fits the data.
    pub x_range: Option<[f64; 2]>,
    /// The y axis's range; `None` fits the data (from 0 when no value is negative). Give
    /// `[0, 1]` for accuracy, AUC and rates: a share never runs past them.
    pub y_range: Option<[f64; 2]>,
    /// The lines.
    pub series: Vec<ChartSeries>,
    /// x values marked by a dashed vertical line (the best epoch).
    pub marks: Vec<f64>,
    /// The dashed diagonal from (0, 0) to (1, 1) (chance, for ROC curves).
    pub diagonal: bool,
    /// Where the legend goes.
    pub legend: LegendCorner,
}

impl Chart {
    /// The chart as an SVG document of `width` × `height` pixels.
    pub fn svg(&self, width: u32, height: u32) -> String {
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, (width, height)).into_drawing_area();
            // Drawing into a string cannot fail.
            let _ = self.draw(&root, 14.0);
            let _ = root.present();
        }
        text
    }

    /// A ROC chart of `set`: false against true positive rate on [0, 1], the chance diagonal
    /// dashed, the legend lower right.
    pub fn roc(set: &str, series: Vec<ChartSeries>) -> Self {
        Chart {
            title: format!("ROC, {set}"),
            x_label: "false positive rate".into(),
            y_label: "true positive rate".into(),
            x_range: Some([0.0, 1.0]),
            y_range: Some([0.0, 1.0]),
            series,
            marks: vec![],
            diagonal: true,
            legend: LegendCorner::LowerRight,
        }
    }

    /// The chart's x and y ranges: given, or fitted to the data with a margin.
    pub fn ranges(&self) -> ([f64; 2], [f64; 2]) {
        let values = |axis: usize| {
            self.series
                .iter()
                .flat_map(move |s| s.points.iter().map(move |p| p[axis]))
                .filter(|v| v.is_finite())
                .chain(if axis == 0 {
                    self.marks.clone()
                } else {
                    vec![]
                })
        };
        let fit = |axis: usize, pad: bool| {
            let (lo, hi) = values(axis).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
            if !lo.is_finite() {
                return [0.0, 1.0];
            }
            let lo = if pad && lo >= 0.0 { 0.0 } else { lo };
            let span = (hi - lo).max(1e-9);
            let margin = if pad { span * 0.05 } else { 0.0 };
            match hi - lo < 1e-12 {
                true => [lo - 0.5, hi + 0.5],
                false => [lo - if lo == 0.0 { 0.0 } else { margin }, hi + margin],
            }
        };
        (
            self.x_range.unwrap_or_else(|| fit(0, false)),
            self.y_range.unwrap_or_else(|| fit(1, true)),
        )
    }

    /// Draws the chart on `area`, text at `font` pixels.
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        font: f64,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let ([x0, x1], [y0, y1]) = self.ranges();
        // Whole numbers on x (epochs) get a tick each, up to ten, and no fractions between.
        let whole = self
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .all(|p| p[0].fract() == 0.0);
        let x_ticks = match whole && x1 - x0 <= 9.0 {
            true => (x1 - x0).round() as usize + 1,
            false => 6,
        };
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", font * 1.15))
            .margin(8)
            .margin_right(18)
            .x_label_area_size(font * 3.0)
            .y_label_area_size(font * 4.6)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_labels(x_ticks)
            .y_labels(6)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style(("sans-serif", font * 0.85))
            .axis_desc_style(("sans-serif", font))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()?;
        let gray = RGBColor(150, 150, 150);
        if self.diagonal {
            chart.draw_series(DashedLineSeries::new(
                [(0.0, 0.0), (1.0, 1.0)],
                5,
                4,
                gray.into(),
            ))?;
        }
        for &mark in &self.marks {
            chart.draw_series(DashedLineSeries::new(
                [(mark, y0), (mark, y1)],
                5,
                4,
                gray.into(),
            ))?;
        }
        for series in &self.series {
            let (r, g, b) = PALETTE[series.color % PALETTE.len()];
            let style = ShapeStyle::from(RGBColor(r, g, b)).stroke_width(2);
            let points: Vec<(f64, f64)> = series
                .points
                .iter()
                .filter(|p| p[0].is_finite() && p[1].is_finite())
                .map(|p| (p[0], p[1]))
                .collect();
            let legend =
                move |(x, y): (i32, i32)| PathElement::new(vec![(x, y), (x + 18, y)], style);
            let drawn = match series.dashed {
                true => chart.draw_series(DashedLineSeries::new(points, 6, 4, style))?,
                false => chart.draw_series(LineSeries::new(points, style))?,
            };
            if !series.label.is_empty() {
                drawn.label(&series.label).legend(legend);
            }
        }
        if self.series.iter().any(|s| !s.label.is_empty()) {
            chart
                .configure_series_labels()
                .position(match self.legend {
                    LegendCorner::UpperRight => SeriesLabelPosition::UpperRight,
                    LegendCorner::LowerRight => SeriesLabelPosition::LowerRight,
                })
                .label_font(("sans-serif", font * 0.85))
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 200))
                .draw()?;
        }
        Ok(())
    }
}

/// `charts` as one picture, `columns` to a row, each `panel` = `(width, height)` pixels.
pub fn charts_picture(charts: &[Chart], columns: usize, panel: (u32, u32)) -> RgbImage {
    panels_picture(charts.len(), columns, panel, |i, area| {
        // Drawing into memory cannot fail.
        let _ = charts[i].draw(area, 14.0);
    })
}

/// A white picture of `count` panels of `panel` pixels, `columns` to a row, each drawn by
/// `draw(index, area)` through [`FontBackend`].
pub(crate) fn panels_picture(
    count: usize,
    columns: usize,
    panel: (u32, u32),
    draw: impl Fn(usize, &DrawingArea<FontBackend<'_>, Shift>),
) -> RgbImage {
    let columns = columns.clamp(1, count.max(1));
    let rows = count.div_ceil(columns).max(1);
    let size = (panel.0 * columns as u32, panel.1 * rows as u32);
    let mut buffer = vec![255u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = FontBackend {
            inner: BitMapBackend::with_buffer(&mut buffer, size),
        }
        .into_drawing_area();
        for (i, area) in root
            .split_evenly((rows, columns))
            .iter()
            .take(count)
            .enumerate()
        {
            draw(i, area);
        }
        let _ = root.present();
    }
    RgbImage::from_raw(size.0, size.1, buffer).expect("a buffer of the picture's size")
}

/// plotters' bitmap backend with its text drawn in the built-in 5×7 font (see the module's
/// docs for why).
pub(crate) struct FontBackend<'a> {
    pub(crate) inner: BitMapBackend<'a>,
}

/// The font's scale for text of `size` pixels: the largest whose 7-pixel glyphs fit in it
/// (tick labels come out at 1, titles at 2).
fn scale_of(size: f64) -> u32 {
    ((size / 7.0).floor() as u32).max(1)
}

/// A tick label: at most three decimals, trailing zeros dropped (`1`, `0.25`, `0.2`).
pub(crate) fn tick(value: &f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" | "" => "0".into(),
        t => t.into(),
    }
}

type BackendError<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> DrawingBackend for FontBackend<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), BackendError<'a>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), BackendError<'a>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), BackendError<'a>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), BackendError<'a>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), BackendError<'a>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), BackendError<'a>> {
        self.inner.draw_path(path, style)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vertices: I,
        style: &S,
    ) -> Result<(), BackendError<'a>> {
        self.inner.fill_polygon(vertices, style)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), BackendError<'a>> {
        Ok(text_size(text, scale_of(style.size())))
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), BackendError<'a>> {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let scale = scale_of(style.size());
        let (width, height) = text_size(text, scale);
        let mut glyphs = RgbImage::new(width.max(1), height.max(1));
        cyborg_cam::draw_text(&mut glyphs, 0, 0, text, scale, [255, 255, 255]);
        let (w, h) = (width as i32, height as i32);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -w,
            HPos::Center => -w / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -h / 2,
            VPos::Bottom => -h,
        };
        let transform: FontTransform = style.transform();
        let (size_x, size_y) = self.get_size();
        for (x, y, pixel) in glyphs.enumerate_pixels() {
            if pixel.0[0] == 0 {
                continue;
            }
            let (x, y) = transform.transform(x as i32 + dx, y as i32 + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && (x as u32) < size_x && (y as u32) < size_y {
                self.inner.draw_pixel((x, y), color)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> Chart {
        Chart {
            title: "accuracy".into(),
            x_label: "epoch".into(),
            y_label: "accuracy".into(),
            x_range: None,
            y_range: Some([0.0, 1.0]),
            series: vec![ChartSeries {
                label: "valid".into(),
                points: vec![[1.0, 0.5], [2.0, 0.75], [3.0, f64::NAN], [4.0, 0.9]],
                color: 0,
                dashed: false,
            }],
            marks: vec![2.0],
            diagonal: false,
            legend: LegendCorner::LowerRight,
        }
    }

    #[test]
    fn the_svg_names_its_axes_and_keeps_shares_within_zero_and_one() {
        // plotters puts each text on lines of its own.
        let svg = chart().svg(400, 300).replace('\n', "");
        for text in [">accuracy<", ">epoch<", ">valid<", ">1<", ">0<", ">0.2<"] {
            assert!(svg.contains(text), "{text} missing from {svg}");
        }
        assert!(!svg.contains(">1.2<") && !svg.contains(">-0.2<"), "{svg}");
    }

    #[test]
    fn ticks_drop_trailing_zeros() {
        let ticks: Vec<String> = [1.0, 0.25, 0.2, -0.0, 1e-4, 12.5]
            .iter()
            .map(tick)
            .collect();
        assert_eq!(ticks, ["1", "0.25", "0.2", "0", "0", "12.5"]);
    }

    #[test]
    fn fitted_ranges_start_at_zero_for_positive_data_and_cover_the_marks() {
        let mut c = chart();
        c.y_range = None;
        c.marks = vec![6.0];
        let ([x0, x1], [y0, y1]) = c.ranges();
        assert_eq!((x0, x1), (1.0, 6.0));
        assert_eq!(y0, 0.0);
        assert!((y1 - 0.9 * 1.05).abs() < 1e-12, "{y1}");
        c.series[0].points = vec![[1.0, 2.0]];
        c.marks.clear();
        assert_eq!(c.ranges(), ([0.5, 1.5], [0.0, 2.1]));
    }

    #[test]
    fn the_picture_has_the_panels_size_and_text_in_the_bitmap_font() {
        let picture = charts_picture(&[chart(), chart(), chart()], 2, (320, 240));
        if let Some(path) = std::env::var_os("CYBORG_CHART_PICTURE") {
            picture.save(path).unwrap();
        }
        assert_eq!(picture.dimensions(), (640, 480));
        // The empty fourth panel stays white; the drawn ones are not.
        let white = |x0: u32, y0: u32| {
            (x0..x0 + 320).all(|x| (y0..y0 + 240).all(|y| picture.get_pixel(x, y).0 == [255; 3]))
        };
        assert!(white(320, 240));
        assert!(!white(0, 0) && !white(320, 0) && !white(0, 240));
    }
}
