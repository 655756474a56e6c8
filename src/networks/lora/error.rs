//! What can go wrong with a LoRA file, each naming the file.

use std::path::PathBuf;

use crate::checkpoint::CheckpointError;

#[derive(Debug, thiserror::Error)]
pub enum LoraError {
    #[error(transparent)]
    File(#[from] CheckpointError),

    #[error("{path} is a LoRA for {family}; Nurie runs SD1.x-family models, so choose an SD1.5 LoRA")]
    OtherFamily { path: PathBuf, family: &'static str },

    #[error("{path} is {found}, not a LoRA")]
    NotALora { path: PathBuf, found: &'static str },

    #[error("{path}: tensor `{key}` is not part of any LoRA layout Nurie reads (kohya, LyCORIS, diffusers, PEFT)")]
    UnknownKey { path: PathBuf, key: String },

    #[error("{path}: module `{module}` is a {kind} network module, which Nurie does not apply yet (it has {tensors})")]
    UnsupportedModule { path: PathBuf, module: String, kind: &'static str, tensors: String },

    #[error("{path}: module `{module}` has {problem}, which do not fit together (a damaged file?)")]
    Inconsistent { path: PathBuf, module: String, problem: String },

    #[error(
        "{path}: module `{module}` changes a {lora:?} weight, but the checkpoint's is {model:?}: this LoRA was made \
         for another model family"
    )]
    WrongShape { path: PathBuf, module: String, lora: [usize; 2], model: Vec<usize> },

    #[error("{path} changes no layer of this checkpoint ({count} modules, none found): is it a LoRA for another model family?")]
    NothingMatched { path: PathBuf, count: usize },

    #[error("the prompt's `{tag}`: {message}")]
    Tag { tag: String, message: String },

    #[error("no LoRA named `{name}` in {searched}")]
    NotFound { name: String, searched: String },
}
