//! Loading PyTorch (`.pt`/`.pth`) and safetensors weights from a local file, with each
//! architecture's key remapping written out.
//!
//! Nothing is downloaded: the user passes the path of a state dict they already have (for
//! example one saved with `torch.save(torchvision.models.resnet50(weights=...).state_dict(),
//! "resnet50.pth")`).

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::{
    ApplyError, ApplyResult, KeyRemapper, ModuleSnapshot, PathFilter, PyTorchToBurnAdapter,
    PytorchStore, SafetensorsStore,
};

use crate::error::{ModelError, ShapeMismatch};

/// How a model's parameter names relate to its PyTorch reference implementation.
pub trait TorchLayout {
    /// `(regex, replacement)` pairs applied in order to every key of a PyTorch state dict,
    /// turning the reference implementation's names into this model's parameter paths.
    /// Keys that already match need no entry.
    fn key_remaps(&self) -> Vec<(String, String)>;

    /// The model paths that PyTorch `keys` load into: the common renames (a `module.` prefix
    /// dropped), then [`TorchLayout::key_remaps`], each applied in order as
    /// [`load_pytorch_weights`] applies them. Handy to see why a key does not load. (Loading
    /// then also maps batch norm's `weight`/`bias` to Burn's `gamma`/`beta`.)
    fn remap_keys(&self, keys: &[String]) -> Vec<String> {
        rename_keys(all_remaps(self), keys.iter().cloned())
    }

    /// `(regex, replacement)` pairs applied in order to every parameter path of this model
    /// (after batch norm's `gamma`/`beta` became `weight`/`bias`), turning them into the
    /// reference implementation's keys: the inverse of [`TorchLayout::key_remaps`], used by
    /// [`save_pytorch_weights`](crate::save_pytorch_weights). Paths that already are PyTorch's
    /// keys need no entry.
    fn export_key_remaps(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// `keys` renamed by each `(regex, replacement)` of `remaps` in turn, as Burn's `KeyRemapper`
/// renames them.
pub(crate) fn rename_keys(
    remaps: Vec<(String, String)>,
    keys: impl IntoIterator<Item = String>,
) -> Vec<String> {
    let patterns: Vec<(regex::Regex, String)> = remaps
        .into_iter()
        .map(|(from, to)| {
            let from = regex::Regex::new(&from).expect("the remapping regexes are valid");
            (from, to)
        })
        .collect();
    keys.into_iter()
        .map(|key| {
            patterns.iter().fold(key, |key, (from, to)| {
                from.replace_all(&key, to.as_str()).into_owned()
            })
        })
        .collect()
}

/// Which way [`prefix_remaps`] renames.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Direction {
    /// PyTorch keys to model paths (loading).
    Import,
    /// Model paths to PyTorch keys (exporting).
    Export,
}

/// Remapping rules from `(pytorch_prefix, model_prefix)` pairs: each prefix, anchored at the
/// start of the key, becomes the other one.
pub(crate) fn prefix_remaps(
    pairs: Vec<(String, String)>,
    direction: Direction,
) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(torch, model)| {
            let (from, to) = match direction {
                Direction::Import => (torch, model),
                Direction::Export => (model, torch),
            };
            (format!("^{}", regex::escape(&from)), to)
        })
        .collect()
}

/// [`COMMON_REMAPS`] followed by the model's own.
fn all_remaps<M: TorchLayout + ?Sized>(model: &M) -> Vec<(String, String)> {
    COMMON_REMAPS
        .iter()
        .map(|(from, to)| (from.to_string(), to.to_string()))
        .chain(model.key_remaps())
        .collect()
}

/// Renames applied to every file before the model's own: the `module.` prefix that
/// `nn.DataParallel` and `DistributedDataParallel` put in front of every key.
const COMMON_REMAPS: [(&str, &str); 1] = [(r"^module\.", "")];

/// Parameter path prefixes of the classifier heads (`fc` of ResNet, Inception-v3 and Xception,
/// `classifier` of DenseNet, `aux_logits.fc` of Inception-v3's auxiliary head, `head` of ViT).
const HEAD_PREFIXES: [&str; 4] = ["fc.", "classifier.", "aux_logits.fc.", "head."];

/// File keys that are not parameters and are dropped silently: batch norm's step counter.
const IGNORED_SUFFIX: &str = ".num_batches_tracked";

/// Whether the file's classifier head is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeadPolicy {
    /// Load the head; its shape must match (same number of classes).
    #[default]
    Load,
    /// Keep the model's freshly initialised head (fine-tuning for a new number of classes).
    /// The file's head tensors are skipped.
    Replace,
}

/// Options of [`load_pytorch_weights`].
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Whether the head is loaded or replaced.
    pub head: HeadPolicy,
    /// For `.pt` checkpoints that wrap the state dict (`{"state_dict": {...}}`), its key.
    pub top_level_key: Option<String>,
    /// Accept model parameters that the file lacks (they keep their initial values).
    pub allow_missing: bool,
    /// Accept file tensors that the model has no place for.
    pub allow_unexpected: bool,
}

/// What [`load_pytorch_weights`] did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Model parameters loaded from the file.
    pub loaded: Vec<String>,
    /// Head parameters kept at their initial values ([`HeadPolicy::Replace`]).
    pub head_kept: Vec<String>,
    /// Model parameters the file lacks (only non-empty with `allow_missing`).
    pub missing: Vec<String>,
    /// File tensors not used (only non-empty with `allow_unexpected`; batch norm counters and
    /// replaced head tensors are not listed).
    pub unused: Vec<String>,
}

/// Loads a torchvision-style PyTorch state dict (`.pt`, `.pth`, `.bin`) or a safetensors
/// file (`.safetensors`) into `model`, renaming keys with [`TorchLayout::key_remaps`] and
/// transposing linear weights from PyTorch's `[out, in]` to Burn's `[in, out]`.
///
/// Fails with a [`ModelError`] naming the file and the offending keys when shapes differ,
/// when the model has parameters the file lacks, or when the file has tensors the model
/// does not (unless `options` allows them); on error, nothing of `model` is returned.
pub fn load_pytorch_weights<M>(
    model: M,
    path: impl AsRef<Path>,
    options: &ImportOptions,
) -> Result<(M, ImportReport), ModelError>
where
    M: Module + TorchLayout,
{
    let path = path.as_ref();
    std::fs::metadata(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let remapper =
        KeyRemapper::from_patterns(all_remaps(&model)).expect("the remapping regexes are valid");
    let filter = match options.head {
        HeadPolicy::Load => PathFilter::all(),
        HeadPolicy::Replace => PathFilter::new().with_predicate(not_head),
    };
    let mut model = model;
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    let result = match extension.as_deref() {
        Some("pt" | "pth" | "bin") => {
            let mut store = PytorchStore::from_file(path)
                .remap(remapper)
                .filter(filter)
                .map_indices_contiguous(false)
                .validate(false)
                .allow_partial(true);
            if let Some(key) = &options.top_level_key {
                store = store.with_top_level_key(key.clone());
            }
            model
                .load_from(&mut store)
                .map_err(|source| ModelError::Pytorch {
                    path: path.to_path_buf(),
                    source,
                })?
        }
        Some("safetensors") => {
            let mut store = SafetensorsStore::from_file(path)
                .remap(remapper)
                .filter(filter)
                .with_from_adapter(PyTorchToBurnAdapter)
                .validate(false)
                .allow_partial(true);
            model
                .load_from(&mut store)
                .map_err(|source| ModelError::Safetensors {
                    path: path.to_path_buf(),
                    source,
                })?
        }
        _ => {
            return Err(ModelError::UnknownFormat {
                path: path.to_path_buf(),
            });
        }
    };
    let report = check(result, path, options)?;
    Ok((model, report))
}

/// The filter predicate of [`HeadPolicy::Replace`]: everything but the head.
fn not_head(path: &str, _container: &str) -> bool {
    !is_head(path)
}

fn is_head(path: &str) -> bool {
    HEAD_PREFIXES.iter().any(|prefix| path.starts_with(prefix))
}

/// Turns Burn's apply result into a report, or the first kind of problem into an error.
fn check(
    result: ApplyResult,
    path: &Path,
    options: &ImportOptions,
) -> Result<ImportReport, ModelError> {
    let path: PathBuf = path.to_path_buf();
    let mut mismatches = Vec::new();
    let mut problems = Vec::new();
    for error in result.errors {
        match error {
            ApplyError::ShapeMismatch {
                path,
                expected,
                found,
            } => mismatches.push(ShapeMismatch {
                key: path,
                expected: expected.to_vec(),
                found: found.to_vec(),
            }),
            other => problems.push(other.to_string()),
        }
    }
    if !mismatches.is_empty() {
        return Err(ModelError::ShapeMismatch { path, mismatches });
    }
    if !problems.is_empty() {
        return Err(ModelError::Tensor { path, problems });
    }
    let replace = options.head == HeadPolicy::Replace;
    let (head_kept, missing): (Vec<String>, Vec<String>) = result
        .missing
        .into_iter()
        .map(|(key, _container)| key)
        .chain(result.skipped)
        .partition(|key| replace && is_head(key));
    if !missing.is_empty() && !options.allow_missing {
        return Err(ModelError::MissingKeys {
            path,
            keys: missing,
        });
    }
    let unused: Vec<String> = result
        .unused
        .into_iter()
        .filter(|key| !(key.ends_with(IGNORED_SUFFIX) || (replace && is_head(key))))
        .collect();
    if !unused.is_empty() && !options.allow_unexpected {
        return Err(ModelError::UnexpectedKeys { path, keys: unused });
    }
    Ok(ImportReport {
        loaded: result.applied,
        head_kept,
        missing,
        unused,
    })
}
