//! Evaluating (and, next, training) CYBORG models: accuracy, ROC AUC as the paper computes
//! it, and how well a model's CAMs agree with human saliency maps.
//!
//! - [`roc_auc`] / [`macro_auc`]: exact ROC AUC (ties count one half), [`AucScore`] chooses the
//!   paper's sigmoid-of-the-positive-logit or the softmax probability for two classes.
//! - [`evaluate`]: a [`cyborg_models::CamBackbone`] on a [`cyborg_data::SaliencyDataset`] →
//!   [`Evaluation`] (accuracy, AUC, CAM MSE / Pearson / top-k IoU / pointing game / mass
//!   inside against the human maps).

mod auc;
mod evaluate;

pub use auc::{AucScore, macro_auc, roc_auc};
pub use evaluate::{Evaluation, EvaluationConfig, evaluate, feature_grid};
