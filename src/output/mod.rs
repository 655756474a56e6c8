//! Where finished pictures go: A1111-style numbered PNGs (`00012-1234567.png`), each written
//! atomically with its metadata before anyone is told it exists.

mod image_saver;
mod numbering;

pub use image_saver::{ImageSaver, OutputError, SavedImage};
pub use numbering::next_free_number;
