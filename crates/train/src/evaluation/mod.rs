//! Evaluating a model: accuracy, ROC AUC, the CAM's agreement with the human maps, and the statistics that summarise seeds.

pub(crate) mod auc;
pub(crate) mod bootstrap;
pub(crate) mod evaluate;
