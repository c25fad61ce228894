//! Counting trainable parameters the way PyTorch does.

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::Tensor;

/// The number of trainable parameters of `model`, comparable with PyTorch's
/// `sum(p.numel() for p in model.parameters())`.
///
/// Burn's [`Module::num_params`] also counts batch norm's running mean and variance (buffers in
/// PyTorch); this leaves them out. Lazily initialised parameters are counted without being
/// materialised, so counting a full-size model is instant.
pub fn trainable_parameters<M: Module>(model: &M) -> usize {
    let mut counter = Counter::default();
    model.visit(&mut counter);
    counter.total
}

#[derive(Default)]
struct Counter {
    path: Vec<String>,
    total: usize,
}

impl ModuleVisitor for Counter {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let running = matches!(
            self.path.last().map(String::as_str),
            Some("running_mean" | "running_var")
        );
        if !running {
            self.total += param.lazy_shape().num_elements();
        }
    }
}
