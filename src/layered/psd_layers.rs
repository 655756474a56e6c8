//! The PSD "layer and mask information" section: the layer records (bounds, channels, blend mode,
//! opacity, flags, names) followed by every layer's channels, PackBits-coded.

use std::path::Path;

use super::error::{LayeredError, Result};
use super::psd_channel::{ALPHA_ID, PackedChannel, rgba_index};
use super::stack::{BlendMode, Layer, LayerStack};

/// Channels in the order Photoshop writes them: transparency, red, green, blue.
const CHANNEL_IDS: [i16; 4] = [ALPHA_ID, 0, 1, 2];

/// Layer flag bit 1: the layer is hidden (the specification calls it "visible", but a set bit hides it
/// in Photoshop, psd-tools and Krita).
const HIDDEN_FLAG: u8 = 0b10;

/// The whole section, its own length first. A negative layer count tells readers the merged image's
/// fourth channel is its transparency.
pub fn layer_section(stack: &LayerStack, merged_has_alpha: bool, path: &Path) -> Result<Vec<u8>> {
    let mut info = Vec::new();
    let count = stack.layers.len() as i16;
    info.extend_from_slice(&(if merged_has_alpha { -count } else { count }).to_be_bytes());
    let packed: Vec<Vec<PackedChannel>> = stack.layers.iter().map(pack_layer).collect();
    for (layer, channels) in stack.layers.iter().zip(&packed) {
        layer_record(&mut info, layer, channels, path)?;
    }
    for channel in packed.iter().flatten() {
        info.extend_from_slice(&1u16.to_be_bytes());
        channel.row_lengths.iter().for_each(|n| info.extend_from_slice(&n.to_be_bytes()));
        info.extend_from_slice(&channel.code);
    }
    pad_to(&mut info, 4);
    let mut section = Vec::with_capacity(info.len() + 12);
    section.extend_from_slice(&length_u32(info.len() as u64 + 8, path)?.to_be_bytes());
    section.extend_from_slice(&length_u32(info.len() as u64, path)?.to_be_bytes());
    section.extend_from_slice(&info);
    section.extend_from_slice(&0u32.to_be_bytes()); // global layer mask info
    Ok(section)
}

fn pack_layer(layer: &Layer) -> Vec<PackedChannel> {
    CHANNEL_IDS.iter().map(|&id| PackedChannel::of(&layer.pixels, rgba_index(id))).collect()
}

fn layer_record(out: &mut Vec<u8>, layer: &Layer, channels: &[PackedChannel], path: &Path) -> Result<()> {
    let (left, top) = layer.origin;
    for bound in [top, left, top + layer.pixels.height(), left + layer.pixels.width()] {
        out.extend_from_slice(&bound.to_be_bytes()); // top, left, bottom, right
    }
    out.extend_from_slice(&(CHANNEL_IDS.len() as u16).to_be_bytes());
    for (id, channel) in CHANNEL_IDS.iter().zip(channels) {
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&length_u32(channel.layer_len(), path)?.to_be_bytes());
    }
    out.extend_from_slice(b"8BIM");
    out.extend_from_slice(blend_key(layer.blend));
    let flags = if layer.visible { 0 } else { HIDDEN_FLAG };
    out.extend_from_slice(&[layer.opacity, 0, flags, 0]); // opacity, clipping (base), flags, filler
    let extra = extra_data(&layer.name);
    out.extend_from_slice(&(extra.len() as u32).to_be_bytes());
    out.extend_from_slice(&extra);
    Ok(())
}

fn blend_key(mode: BlendMode) -> &'static [u8; 4] {
    match mode {
        BlendMode::Normal => b"norm",
        BlendMode::Multiply => b"mul ",
    }
}

/// No layer mask, no blending ranges, the Pascal name and the `luni` Unicode name.
fn extra_data(name: &str) -> Vec<u8> {
    let mut extra = Vec::new();
    extra.extend_from_slice(&0u32.to_be_bytes());
    extra.extend_from_slice(&0u32.to_be_bytes());
    pascal_name(&mut extra, name);
    unicode_name(&mut extra, name);
    extra
}

/// The legacy name: its ASCII characters (others as `_`, at most 255), padded to 4 bytes with its length.
fn pascal_name(out: &mut Vec<u8>, name: &str) {
    let ascii: Vec<u8> =
        name.chars().take(255).map(|c| if c.is_ascii() && !c.is_ascii_control() { c as u8 } else { b'_' }).collect();
    let start = out.len();
    out.push(ascii.len() as u8);
    out.extend_from_slice(&ascii);
    pad_from(out, start, 4);
}

/// Additional layer information `luni`: a 4-byte count of UTF-16 units then the units, big-endian.
fn unicode_name(out: &mut Vec<u8>, name: &str) {
    let units: Vec<u16> = name.encode_utf16().collect();
    let mut data = Vec::with_capacity(4 + 2 * units.len());
    data.extend_from_slice(&(units.len() as u32).to_be_bytes());
    units.iter().for_each(|unit| data.extend_from_slice(&unit.to_be_bytes()));
    pad_to(&mut data, 4);
    out.extend_from_slice(b"8BIMluni");
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&data);
}

fn pad_to(bytes: &mut Vec<u8>, multiple: usize) {
    pad_from(bytes, 0, multiple);
}

fn pad_from(bytes: &mut Vec<u8>, start: usize, multiple: usize) {
    while !(bytes.len() - start).is_multiple_of(multiple) {
        bytes.push(0);
    }
}

fn length_u32(length: u64, path: &Path) -> Result<u32> {
    u32::try_from(length).map_err(|_| LayeredError::PsdSectionTooLong { path: path.to_path_buf() })
}
