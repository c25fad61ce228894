//! The losses a study compares, as a command-line choice: shared by the quickstart and the
//! guidance benchmark (`#[path]`-included; not an example of its own).

use clap::ValueEnum;
use cyborg::loss::{CamMap, CyborgLossConfig};
use cyborg::train::SaliencyLossConfig;

/// A loss of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Loss {
    /// Cross-entropy alone (CYBORG with α = 1).
    Ce,
    /// The paper's CYBORG loss, α = 0.5.
    Cyborg,
    /// CYBORG on the contrast CAM (`CamMap::Contrast`), α = 0.5.
    Contrast,
    /// Cross-entropy plus the masked raw-CAM penalty (λ = 1 unless set).
    Masked,
    /// Cross-entropy plus the Energy loss (Rao et al., 2023; λ = 1 unless set).
    Energy,
    /// Cross-entropy plus the L1 distance of the max-normalised positive CAM to the map (λ = 1
    /// unless set).
    L1,
    /// Cross-entropy trained without the shortcut (the clean ceiling), tested on the same
    /// images.
    Ceiling,
}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = self.to_possible_value().expect("no variant is skipped");
        f.write_str(value.get_name())
    }
}

impl Loss {
    /// The row label of the table.
    pub fn label(self) -> &'static str {
        match self {
            Loss::Ce => "cross-entropy (α = 1)",
            Loss::Cyborg => "CYBORG (α = 0.5)",
            Loss::Contrast => "CYBORG, contrast CAM (α = 0.5)",
            Loss::Masked => "masked raw CAM",
            Loss::Energy => "Energy",
            Loss::L1 => "L1 to the map",
            Loss::Ceiling => "cross-entropy, no shortcut (ceiling)",
        }
    }

    /// The column title of the picture.
    pub fn short(self) -> &'static str {
        match self {
            Loss::Ce => "CE",
            Loss::Cyborg => "CYBORG",
            Loss::Contrast => "contrast",
            Loss::Masked => "masked",
            Loss::Energy => "Energy",
            Loss::L1 => "L1",
            Loss::Ceiling => "ceiling",
        }
    }

    /// Whether `lambda` weighs it (the penalties added to cross-entropy).
    pub fn weighted(self) -> bool {
        matches!(self, Loss::Masked | Loss::Energy | Loss::L1)
    }

    /// The loss as the trainer takes it; `lambda` weighs the penalties of `masked`, `energy`
    /// and `l1`.
    pub fn config(self, lambda: f64) -> SaliencyLossConfig {
        match self {
            Loss::Ce | Loss::Ceiling => SaliencyLossConfig::cyborg(1.0),
            Loss::Cyborg => SaliencyLossConfig::cyborg(0.5),
            Loss::Contrast => SaliencyLossConfig::Cyborg(
                CyborgLossConfig::new()
                    .with_alpha(0.5)
                    .with_cam_map(CamMap::Contrast),
            ),
            Loss::Masked => SaliencyLossConfig::masked(lambda),
            Loss::Energy => SaliencyLossConfig::energy(lambda),
            Loss::L1 => SaliencyLossConfig::mask_l1(lambda),
        }
    }
}
