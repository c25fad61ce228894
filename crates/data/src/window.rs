//! Square-window filters on row-major gray planes: dilation (max), erosion (min), box blur.

/// Reduces each `(2r+1)²` window (clipped at the borders) with `f`.
pub(crate) fn window_reduce(
    plane: &[f32],
    [h, w]: [usize; 2],
    r: usize,
    f: fn(f32, f32) -> f32,
) -> Vec<f32> {
    let mut out = vec![0.0; h * w];
    for y in 0..h {
        for x in 0..w {
            let mut acc = plane[y * w + x];
            for yy in y.saturating_sub(r)..(y + r + 1).min(h) {
                for xx in x.saturating_sub(r)..(x + r + 1).min(w) {
                    acc = f(acc, plane[yy * w + xx]);
                }
            }
            out[y * w + x] = acc;
        }
    }
    out
}

/// Mean of each `(2r+1)²` window, clipped at the borders.
pub(crate) fn window_mean(plane: &[f32], [h, w]: [usize; 2], r: usize) -> Vec<f32> {
    let mut out = vec![0.0; h * w];
    for y in 0..h {
        for x in 0..w {
            let rows = y.saturating_sub(r)..(y + r + 1).min(h);
            let cols = x.saturating_sub(r)..(x + r + 1).min(w);
            let count = rows.len() * cols.len();
            let sum: f32 = rows
                .flat_map(|yy| cols.clone().map(move |xx| plane[yy * w + xx]))
                .sum();
            out[y * w + x] = sum / count as f32;
        }
    }
    out
}
