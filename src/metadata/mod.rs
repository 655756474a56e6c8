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
//! Layout: [`record`] (the settings), [`sampler`] (sampler ids ↔ A1111 names), [`python_format`]
//! (Python's number and string formatting), `infotext_write` / `infotext_parse` / `infotext_record`
//! (A1111 text), `controlnet_text` (sd-webui-controlnet units), `nurie_json`, `comfyui`, `invokeai`,
//! `settings` (choosing the chunk), `png_read` / `png_write` / `atomic_write` (files).

mod atomic_write;
mod comfyui;
mod controlnet_text;
mod error;
mod extra_params;
mod infotext_parse;
mod infotext_record;
mod infotext_write;
mod invokeai;
mod nurie_json;
mod png_read;
mod png_write;
pub mod python_format;
pub mod record;
#[cfg(test)]
mod round_trip_tests;
pub mod sampler;
mod settings;

pub use atomic_write::{is_name_taken, write_file_atomically, write_new_file_atomically};
pub use comfyui::{COMFYUI_KEYWORD, settings_from_comfyui_prompt};
pub use controlnet_text::{controlnet_unit_text, parse_controlnet_unit};
pub use error::{ChunkProblem, MetadataError, Result};
pub use extra_params::ExtraParams;
pub use infotext_parse::{InfotextFields, parse_infotext};
pub use infotext_record::settings_from_infotext;
pub use infotext_write::{infotext, settings_pairs};
pub use invokeai::{INVOKEAI_KEYWORD, settings_from_invokeai_metadata};
pub use nurie_json::{NURIE_FORMAT_VERSION, NURIE_KEYWORD, settings_from_nurie_json, to_nurie_json};
pub use png_read::{PngText, ReadLimits, SkippedChunk, TextChunk, TextChunkKind, read_png_text, read_png_text_from};
pub use png_write::{
    RgbImage, TextEncoding, TextEntry, encode_png, write_new_png_with_record, write_png_atomic, write_png_with_record,
};
pub use record::{ControlMode, ControlNetUnit, GenerationRecord, ModelRef, ResizeMode, RngSource};
pub use sampler::{A1111Sampler, SamplerId, sampler_from_a1111};
pub use settings::{A1111_KEYWORD, ParsedSettings, SettingsSource, read_settings_from_png, settings_from_text_chunks};

/// The version Nurie writes into new records (`GenerationRecord::nurie_version`).
pub const NURIE_VERSION: &str = env!("CARGO_PKG_VERSION");
