//! Training: the recipe, the step a batch goes through, the loss terms as metrics, the trainer on Burn's `Learner`, a run's settings and an experiment (train, then evaluate).

pub(crate) mod experiment;
pub(crate) mod loss_metric;
pub(crate) mod recipe;
pub(crate) mod run;
pub(crate) mod step;
pub(crate) mod trainer;
