//! Which epochs' checkpoints are kept: the last one (to resume) and the best by validation
//! accuracy, a later epoch winning ties (the paper's model selection).

use burn::train::checkpoint::{CheckpointingAction, CheckpointingStrategy};
use burn::train::metric::store::{Aggregate, EventStoreClient, Split};

/// The name Burn's `AccuracyMetric` logs under.
pub(crate) const ACCURACY: &str = "Accuracy";

/// Whether accuracy `value` (in percent) ties or beats `best`. Values that differ by less than
/// a billionth count as ties: the same accuracy read back from the metric logs (as a resumed
/// run knows its earlier epochs) and aggregated in memory may differ in the last bits, and a
/// tie must go to the later epoch either way. Real differences are at least `100 / images`.
pub(crate) fn at_least(value: f64, best: f64) -> bool {
    value >= best - 1e-9 * best.abs().max(1.0)
}

/// Keeps the latest checkpoint and the best one by validation accuracy (ties: the later).
#[derive(Debug, Default)]
pub struct BestAndLast {
    best: Option<(usize, f64)>,
    last: Option<usize>,
}

impl BestAndLast {
    /// A strategy that already knows the best epoch of the run it resumes.
    pub fn resuming(best: Option<(usize, f64)>, last: Option<usize>) -> Self {
        Self { best, last }
    }
}

impl CheckpointingStrategy for BestAndLast {
    fn checkpointing(
        &mut self,
        epoch: usize,
        store: &EventStoreClient,
    ) -> Vec<CheckpointingAction> {
        let accuracy = store.find_metric(ACCURACY, epoch, Aggregate::Mean, &Split::Valid);
        let previous_best = self.best.map(|(e, _)| e);
        if let Some(value) = accuracy
            && self.best.is_none_or(|(_, best)| at_least(value, best))
        {
            self.best = Some((epoch, value));
        }
        let best = self.best.map(|(e, _)| e);
        let mut actions = vec![CheckpointingAction::Save];
        // The previous last epoch goes unless it is still the best.
        if let Some(last) = self.last
            && last != epoch
            && Some(last) != best
        {
            actions.push(CheckpointingAction::Delete(last));
        }
        // A superseded best goes unless it is the previous last (deleted above or kept as best).
        if let Some(old) = previous_best
            && Some(old) != best
            && Some(old) != self.last
            && old != epoch
        {
            actions.push(CheckpointingAction::Delete(old));
        }
        self.last = Some(epoch);
        actions
    }
}
