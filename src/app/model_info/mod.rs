//! The Model tab behind the scenes: a thread (`nurie-provenance`) hashes and reads the chosen model
//! files (each file is read once: its hashes are kept in Nurie's home), and composition analyses run on
//! threads of their own (`nurie-composition`), with progress and cancel. The window asks and reads
//! answers through bounded channels; nothing here runs on the UI thread.

mod info;
mod info_thread;

pub use info::{Analysis, InfoMessage, LicenseQuestion, ModelInfo};
pub use info_thread::{InfoEvent, InfoThread};
