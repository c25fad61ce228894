//! The tasks that ship with the project, written as experiments: the shortcut task and decoy datasets.

pub(crate) mod decoy;
pub(crate) mod shortcut;
