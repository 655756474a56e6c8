//! Generation metadata in PNG files: writing the settings that made an image, and reading settings
//! back from images made by Nurie, AUTOMATIC1111 (and the UIs that write its format), ComfyUI and
//! InvokeAI.
//!
//! Nurie saves two text chunks:
//! * `parameters`: A1111 1.10's infotext ([`infotext`]), so that A1111, Forge, Civitai and image
//!   browsers understand Nurie's images;
//! * `nurie`: the whole [`GenerationRecord`] as JSON ([`to_nurie_json`]), lossless and authoritative.
//!
//! [`read_settings_from_png`] reads whichever is there (`nurie` first), A1111 infotext with A1111's own
//! parsing rules ([`settings_from_infotext`]), and ComfyUI / InvokeAI metadata as well as it can. What
//! cannot be read exactly becomes a warning in [`ParsedSettings`], never a panic; damaged or hostile
//! files give a typed [`MetadataError`].
//!
//! Layout: `generation_settings` (what the user chooses, shared with the window, the command line and
//! the engine), [`record`] (those settings plus the files they were applied to), [`sampler`] (A1111's
//! sampler names → Nurie's), [`python_format`] (Python's number and string formatting), `infotext_keys`
//! (each A1111 key, written and read in one place), `infotext_write` / `infotext_parse` /
//! `infotext_record` (A1111 text), `controlnet_text` (sd-webui-controlnet units), [`network_use`] (the
//! LoRAs and embeddings a generation used), `network_hash_keys` (A1111's `Lora hashes` / `TI hashes`),
//! `civitai_hashes` (Civitai's `Hashes`), `nurie_json`,
//! `comfyui`, `invokeai`, `read_settings` (choosing the chunk) and `parsed_settings` (its result),
//! `png_read` / `png_write` / `atomic_write` (files).

mod civitai_hashes;
mod comfyui;
mod controlnet_text;
mod error;
mod extra_params;
mod generation_settings;
mod infotext_keys;
mod infotext_parse;
mod infotext_record;
mod infotext_write;
mod invokeai;
mod network_hash_keys;
pub mod network_use;
mod nurie_json;
mod parsed_settings;
mod png_read;
mod png_write;
pub mod python_format;
mod read_settings;
pub mod record;
mod reference_text;
#[cfg(test)]
pub(crate) mod round_trip_tests;
pub mod sampler;

pub use comfyui::{COMFYUI_KEYWORD, settings_from_comfyui_prompt};
pub use controlnet_text::{controlnet_unit_text, parse_controlnet_unit};
pub use error::{ChunkProblem, MetadataError, Result};
pub use extra_params::ExtraParams;
pub use generation_settings::{
    ControlGuidance, DEFAULT_DENOISING_STRENGTH, DEFAULT_HINT_STRENGTH, DEFAULT_HIRES_DENOISING_STRENGTH, GenerationSettings,
    HiresSettings, InpaintSettings, ReferenceSettings,
};
pub use infotext_parse::{InfotextFields, parse_infotext};
pub use infotext_record::settings_from_infotext;
pub use infotext_write::{infotext, settings_pairs};
pub use invokeai::{INVOKEAI_KEYWORD, settings_from_invokeai_metadata};
pub use network_use::{NetworkKind, NetworkUse};
pub use nurie_json::{NURIE_FORMAT_VERSION, NURIE_KEYWORD, settings_from_nurie_json, to_nurie_json};
pub use parsed_settings::{ParsedSettings, SettingsSource};
pub use png_read::{PngText, ReadLimits, SkippedChunk, TextChunk, TextChunkKind, read_png_text, read_png_text_from};
pub use png_write::{
    RgbImage, RgbaImage, TextEncoding, TextEntry, encode_png, write_new_png_with_record, write_png_atomic, write_png_with_record,
    write_rgba_png_with_record,
};
pub use read_settings::{A1111_KEYWORD, read_settings_from_png, settings_from_text_chunks};
pub use record::{ControlNetUnit, GenerationRecord, ModelRef, ReferenceRecord};
pub use sampler::{A1111Sampler, sampler_from_a1111};

/// The version Nurie writes into new records (`GenerationRecord::nurie_version`).
pub const NURIE_VERSION: &str = env!("CARGO_PKG_VERSION");
