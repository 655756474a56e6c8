//! Where finished pictures go: A1111-style numbered PNGs (`00012-1234567.png`), each written
//! atomically with its metadata before anyone is told it exists; and the inputs they were made from,
//! kept by content hash ([`KeptInputs`]).

mod image_saver;
mod kept_inputs;
mod numbering;

pub use image_saver::{ImageSaver, OutputError, SavedImage};
pub use kept_inputs::{KeepError, KeptInputs};
pub use numbering::next_free_number;
