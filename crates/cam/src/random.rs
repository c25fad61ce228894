//! A small seeded random number generator for the host-side parts of the explanations (ROAD's
//! noise, Random-CAM's weights): the same numbers on every platform and backend.

/// Seeded random draws (SplitMix64; normal values by Box–Muller), one stream per `(seed,
/// stream)`: ROAD's imputation noise keys the stream on the image's index in the whole set,
/// the order and the percentile; Random-CAM on the image's index.
#[derive(Debug, Clone)]
pub(crate) struct SeededRandom {
    state: u64,
    spare: Option<f64>,
}

impl SeededRandom {
    /// The stream `stream` of `seed`.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        Self {
            state: seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03),
            spare: None,
        }
    }

    /// A uniform value in `(0, 1]`.
    pub(crate) fn uniform(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64 + f64::EPSILON / 2.0
    }

    /// The next standard normal value.
    pub(crate) fn sample(&mut self) -> f64 {
        if let Some(spare) = self.spare.take() {
            return spare;
        }
        let (u, v) = (self.uniform(), self.uniform());
        let radius = (-2.0 * u.ln()).sqrt();
        let angle = std::f64::consts::TAU * v;
        self.spare = Some(radius * angle.sin());
        radius * angle.cos()
    }
}
