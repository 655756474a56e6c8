//! The text side of a generation: CLIP tokenization, A1111's prompt syntax and chunking, and turning a
//! prompt into the text encoder's conditioning.

pub mod chunks;
pub mod conditioning;
pub mod emphasis;
pub mod text_cleanup;
pub mod tokenizer;

pub use chunks::PromptChunk;
pub use conditioning::{encode_chunks, prompt_chunks, prompt_pair_chunks};
pub use tokenizer::ClipTokenizer;
