//! The text side of a generation: CLIP tokenization, A1111's prompt syntax and chunking, and turning a
//! prompt into the text encoder's conditioning.
//!
//! A1111 reads a positive prompt in this order: extra-network tags removed (`extra_networks`), split at
//! `AND` with each part's trailing `:weight` taken off (`composable`), each part scheduled over the steps
//! (`editing`), then each scheduled text parsed for emphasis (`emphasis`) and chunked (`chunks`). The
//! negative prompt skips the first two steps. Generation does not use `extra_networks`, `composable` or
//! `editing` yet.

pub mod chunks;
pub mod comfy_embedding;
pub mod composable;
pub mod conditioning;
pub mod editing;
pub mod embedding_index;
pub mod embeddings;
pub mod emphasis;
pub mod extra_networks;
pub mod python_number;
pub mod text_cleanup;
pub mod tokenizer;

pub use chunks::{ChunkFix, PromptChunk};
pub use conditioning::{encode_chunks, prompt_chunks, prompt_chunks_with, prompt_pair_chunks, prompt_pair_chunks_with};
pub use embeddings::{PromptEmbeddings, used_embeddings};
pub use tokenizer::ClipTokenizer;
