//! LoRA networks and their LyCORIS variants (LoCon, LoHa, LoKr), applied as A1111's built-in
//! `networks` extension applies them: each changed weight becomes
//! `W + Σ multiplier · alpha / rank · ΔW`, merged into the text encoder's and the UNet's weights so
//! that generating costs the same with LoRAs as without, and undone exactly when the set changes.
//!
//! [`LoraNetwork::open`] reads a file (kohya/LyCORIS or diffusers/PEFT naming, see [`key_names`]),
//! [`LoraLibrary`] finds a prompt's names in the LoRA folders, and [`merge_loras`] merges.

mod delta;
mod error;
mod info;
pub mod key_names;
mod library;
mod merge;
mod module_weights;
mod network_file;
mod prompt_loras;

pub use error::LoraError;
pub use info::LoraInfo;
pub use key_names::{Component, ModuleName};
pub use library::{FoundLora, LoraLibrary};
pub use merge::{MergeReport, WeightedLora, merge_loras};
pub use module_weights::{Factor, HostTensor, ModuleWeights};
pub use network_file::{LoraLayout, LoraModule, LoraNetwork};
pub use prompt_loras::{LoraUse, loras_in_prompt, prompt_with_recorded_loras, weighted_file};
