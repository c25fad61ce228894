//! Writing a model's weights as a PyTorch-layout safetensors file: the state dict that the
//! reference implementation (torchvision, timm) loads with `load_state_dict(strict=True)`.

use std::path::Path;

use burn::module::Module;
use burn::store::{BurnToPyTorchAdapter, KeyRemapper, ModuleSnapshot, SafetensorsStore};

use crate::error::ModelError;
use crate::import::{TorchLayout, rename_keys};

/// What [`save_pytorch_weights`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// The PyTorch keys written, sorted.
    pub keys: Vec<String>,
}

/// Writes `model`'s parameters and batch-norm statistics to `path` as a safetensors file with
/// PyTorch's names and layout: keys renamed by [`TorchLayout::export_key_remaps`], linear
/// weights transposed from Burn's `[in, out]` to PyTorch's `[out, in]`, batch norm's
/// `gamma`/`beta` named `weight`/`bias`, float32 as trained, and the metadata
/// `format = pt` that Hugging Face's tools expect.
///
/// ```python
/// from safetensors.torch import load_file
/// model = torchvision.models.resnet18(num_classes=2)
/// model.load_state_dict(load_file("model.safetensors"))  # strict: every key, no other
/// ```
/// (`num_batches_tracked`, a step counter Burn does not keep, is absent; PyTorch fills it in.)
///
/// An existing file at `path` is an error unless `overwrite` is set; the file is written
/// beside `path` and renamed into place, so a failed export leaves no partial file.
pub fn save_pytorch_weights<M>(
    model: &M,
    path: impl AsRef<Path>,
    overwrite: bool,
) -> Result<ExportReport, ModelError>
where
    M: Module + TorchLayout,
{
    let path = path.as_ref();
    let is_safetensors = path
        .extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| extension.eq_ignore_ascii_case("safetensors"));
    if !is_safetensors {
        return Err(ModelError::ExportFormat {
            path: path.to_path_buf(),
        });
    }
    if !overwrite && std::fs::symlink_metadata(path).is_ok() {
        return Err(ModelError::AlreadyExists {
            path: path.to_path_buf(),
        });
    }
    let remapper = KeyRemapper::from_patterns(model.export_key_remaps())
        .expect("the export regexes are valid");
    let keys = pytorch_keys(model);
    let mut store = SafetensorsStore::from_file(path)
        .with_to_adapter(BurnToPyTorchAdapter)
        .remap(remapper)
        .skip_enum_variants(true)
        .clear_metadata()
        .metadata("format", "pt")
        .overwrite(overwrite);
    model
        .save_into(&mut store)
        .map_err(|source| ModelError::Export {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(ExportReport { keys })
}

/// The PyTorch state-dict keys that [`save_pytorch_weights`] writes for `model`, sorted.
pub fn pytorch_keys<M: Module + TorchLayout>(model: &M) -> Vec<String> {
    let paths = model
        .collect(None, Some(Box::new(BurnToPyTorchAdapter)), true)
        .into_iter()
        .map(|snapshot| snapshot.name);
    let mut keys = rename_keys(model.export_key_remaps(), paths);
    keys.sort();
    keys
}
