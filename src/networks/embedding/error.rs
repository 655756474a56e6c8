//! Why an embedding file cannot be used. Every variant names the file.

use std::path::PathBuf;

use crate::checkpoint::CheckpointError;

#[derive(Debug, thiserror::Error)]
pub enum EmbeddingError {
    /// The file could not be read as a safetensors or torch zip file (the reader's error names it).
    #[error("reading the embedding: {0}")]
    File(#[from] CheckpointError),

    #[error(
        "{path} is an SDXL embedding (it holds `clip_l`/`clip_g` vectors); Nurie runs SD1.x models: use an \
         embedding trained for SD 1.5"
    )]
    Sdxl { path: PathBuf },

    #[error(
        "{path} holds vectors {found} wide, but the model's text encoder takes {expected}-wide vectors \
         (an embedding for SD2 is 1024 wide, for SD1.x 768): use an embedding trained for this model's family"
    )]
    WrongWidth { path: PathBuf, found: usize, expected: usize },

    #[error("{path} holds {count} embeddings; an embedding file holds exactly one (as A1111 requires)")]
    MultipleTerms { path: PathBuf, count: usize },

    #[error("{path} is not a textual-inversion embedding: {reason}")]
    NotAnEmbedding { path: PathBuf, reason: String },

    #[error("{path} holds {count} vectors; at most {max} fit a prompt chunk")]
    TooManyVectors { path: PathBuf, count: usize, max: usize },

    #[error("{path}: the embedding tensor `{key}` has shape {shape:?}; expected [vectors, width] or [width]")]
    WrongShape { path: PathBuf, key: String, shape: Vec<usize> },
}
