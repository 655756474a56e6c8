//! A Photoshop document (`.psd`) writer: 8-bit RGB, full-size layers with names, opacity, visibility,
//! Normal or Multiply blending and a transparency channel, every channel PackBits-coded, and the merged
//! image Photoshop-family readers show without compositing.
//!
//! No maintained Rust crate writes PSD (the `psd` crate only reads), so this follows Adobe's
//! "Photoshop File Formats Specification" directly: file header, empty color mode data and image
//! resources, the layer and mask information section, then the image data. Names are written twice:
//! the legacy Pascal string (ASCII; other characters become `_`) and the `luni` Unicode name that
//! Photoshop, Clip Studio Paint, Krita and GIMP show, so Japanese names survive. A PSD page is at most
//! 30 000 px a side and each section's length is 4 bytes (PSB lifts both; not written here).

use std::path::Path;

use super::error::{LayeredError, Result};
use super::psd_channel::PackedChannel;
use super::psd_layers::layer_section;
use super::stack::LayerStack;
use crate::atomic_write::write_file_atomically;

/// The largest side of a PSD page (the PSB format goes to 300 000).
pub const PSD_MAX_SIDE: u32 = 30_000;

/// PSD color mode 3: RGB.
const RGB_MODE: u16 = 3;

/// Writes `stack` to `path` as a PSD, whole or not at all.
pub fn write_psd(stack: &LayerStack, path: &Path) -> Result<()> {
    let bytes = psd_bytes(stack, path)?;
    write_file_atomically(path, &bytes).map_err(|e| LayeredError::Write { path: path.to_path_buf(), message: e.to_string() })
}

/// The PSD file of `stack`; `path` only names the file in errors.
pub fn psd_bytes(stack: &LayerStack, path: &Path) -> Result<Vec<u8>> {
    super::check_layer_sizes(stack, path)?;
    let (width, height) = (stack.width(), stack.height());
    if width > PSD_MAX_SIDE || height > PSD_MAX_SIDE || width == 0 || height == 0 {
        return Err(LayeredError::TooLargeForPsd { path: path.to_path_buf(), width, height, max: PSD_MAX_SIDE });
    }
    let merged_has_alpha = stack.merged.pixels().any(|p| p.0[3] < 255);
    let mut out = Vec::new();
    header(&mut out, stack, if merged_has_alpha { 4 } else { 3 });
    out.extend_from_slice(&0u32.to_be_bytes()); // color mode data
    out.extend_from_slice(&0u32.to_be_bytes()); // image resources
    let layers = layer_section(stack, merged_has_alpha, path)?;
    out.extend_from_slice(&layers);
    merged_image(&mut out, stack, merged_has_alpha);
    Ok(out)
}

fn header(out: &mut Vec<u8>, stack: &LayerStack, channels: u16) {
    out.extend_from_slice(b"8BPS");
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&[0; 6]);
    out.extend_from_slice(&channels.to_be_bytes());
    out.extend_from_slice(&stack.height().to_be_bytes());
    out.extend_from_slice(&stack.width().to_be_bytes());
    out.extend_from_slice(&8u16.to_be_bytes());
    out.extend_from_slice(&RGB_MODE.to_be_bytes());
}

/// The image data section: compression 1 (PackBits), every channel's row lengths, then every code.
fn merged_image(out: &mut Vec<u8>, stack: &LayerStack, with_alpha: bool) {
    let count = if with_alpha { 4 } else { 3 };
    let channels: Vec<PackedChannel> = (0..count).map(|index| PackedChannel::of(&stack.merged, index)).collect();
    out.extend_from_slice(&1u16.to_be_bytes());
    for channel in &channels {
        channel.row_lengths.iter().for_each(|n| out.extend_from_slice(&n.to_be_bytes()));
    }
    for channel in &channels {
        out.extend_from_slice(&channel.code);
    }
}
