//! Why a composition could not be estimated; every message names the file.

use std::path::PathBuf;

use crate::checkpoint::CheckpointError;

#[derive(Debug, thiserror::Error)]
pub enum CompositionError {
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("{path} is {found}; composition compares SD1.x checkpoints")]
    NotSd1 { path: PathBuf, found: &'static str },
    #[error("give at least one reference model to compare with")]
    NoReferences,
    #[error("{path} has no tensor `{key}`, which {target} has: it is not the same architecture")]
    MissingTensor { path: PathBuf, key: String, target: PathBuf },
    #[error("{path}: tensor `{key}` is {found:?}, but {expected:?} in the model analysed: another architecture")]
    ShapeMismatch { path: PathBuf, key: String, expected: Vec<usize>, found: Vec<usize> },
    #[error(
        "the reference {path} has exactly the base's weights, so it cannot tell anything apart; choose another reference or base"
    )]
    ReferenceEqualsBase { path: PathBuf },
    #[error("{path} was changed, moved or deleted during the analysis; run it again")]
    Changed { path: PathBuf },
    #[error("the analysis was cancelled")]
    Cancelled,
}
