//! Listing and counting a model's tensors without materialising them.

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::Tensor;

/// Every float tensor of `model` (parameters and batch-norm running statistics) as
/// `(path, shape)`, in Burn's layout (linear weights are `[in, out]`). The paths are the keys
/// that [`crate::load_pytorch_weights`] fills. Lazily initialised parameters are not
/// materialised, so listing a full-size model is instant.
pub fn parameter_shapes<M: Module>(model: &M) -> Vec<(String, Vec<usize>)> {
    let mut lister = Lister::default();
    model.visit(&mut lister);
    lister.tensors
}

/// The number of trainable parameters of `model`, comparable with PyTorch's
/// `sum(p.numel() for p in model.parameters())`.
///
/// Burn's [`Module::num_params`] also counts batch norm's running mean and variance (buffers in
/// PyTorch); this leaves them out.
pub fn trainable_parameters<M: Module>(model: &M) -> usize {
    parameter_shapes(model)
        .iter()
        .filter(|(path, _)| !path.ends_with(".running_mean") && !path.ends_with(".running_var"))
        .map(|(_, shape)| shape.iter().product::<usize>())
        .sum()
}

#[derive(Default)]
struct Lister {
    path: Vec<String>,
    tensors: Vec<(String, Vec<usize>)>,
}

impl ModuleVisitor for Lister {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.tensors
            .push((self.path.join("."), param.lazy_shape().to_vec()));
    }
}
