//! The small add-on networks users keep beside their checkpoints and call from the prompt: LoRA (and
//! its LyCORIS variants LoCon, LoHa, LoKr), merged into the model's weights, and textual-inversion
//! embeddings, inserted into the text encoder's input.

pub mod embedding;
pub mod folders;
pub mod lookup;
pub mod lora;

pub use folders::{embedding_folders, lora_folders};
