//! Textual-inversion embeddings, read and used as AUTOMATIC1111 does (`modules/textual_inversion/`):
//! a file holds a few vectors the width of the text encoder's token embeddings, and the file's stem is
//! the word that calls it from a prompt. The prompt side (finding the word, chunking, placing the
//! vectors) is in `crate::prompt::embeddings`; the text encoder puts the vectors in
//! (`crate::model::TokenFix`).
//!
//! Formats: A1111's `.pt` (`string_to_param`), `.safetensors` with one tensor (`emb_params`), and
//! diffusers' `learned_embeds.bin` (`{"<token>": vector}`), all through the restricted reader of
//! `crate::checkpoint` (a pickle never runs code). A1111's embeddings stored inside `.png`/`.webp`
//! pictures are skipped: they are rare, and reading them needs A1111's own image-hiding code.

mod error;
mod file;
mod library;
mod vectors;

pub use error::EmbeddingError;
pub use file::{is_embedding_file, load_embedding};
pub use library::EmbeddingLibrary;
pub use vectors::{Embedding, MAX_VECTORS};
