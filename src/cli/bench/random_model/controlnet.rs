//! A ControlNet in lllyasviel's original layout (`control_model.`): the UNet's encoder half, the hint
//! block that brings the control image down to the latent size, a 1×1 "zero convolution" per skip and
//! one after the middle block.

use super::config::Sd15Config;
use super::spec::{Layout, TensorSpec};
use super::unet::{self, Encoder};

/// Gain of the zero convolutions: trained ones start at zero; random ones at half scale keep the
/// residuals added to the UNet's skips about unit size (as the parity kit's models).
const ZERO_CONV_GAIN: f32 = 0.5;

/// Every ControlNet tensor under `control_model.`.
pub fn tensors(config: &Sd15Config) -> Vec<TensorSpec> {
    let Encoder { mut layout, skip_widths, bottom_width } = unet::encoder(&config.unet);
    hint_block(&mut layout, config);
    for (index, width) in skip_widths.iter().enumerate() {
        layout.conv_with_gain(&format!("zero_convs.{index}.0"), *width, *width, 1, ZERO_CONV_GAIN);
    }
    layout.conv_with_gain("middle_block_out.0", bottom_width, bottom_width, 1, ZERO_CONV_GAIN);
    layout.prefixed("control_model.")
}

/// Eight 3×3 convolutions at the even indices of `input_hint_block` (SiLU between): the control image
/// to the first stage's width, then per stage one convolution keeping the width and one (stride 2, the
/// VAE's factor 8 in three steps) to the next stage's, and last one to the UNet's base width.
fn hint_block(layout: &mut Layout, config: &Sd15Config) {
    let [first, .., last] = config.control.hint_block_channels;
    let mut convs = vec![(first, config.control.hint_channels)];
    for pair in config.control.hint_block_channels.windows(2) {
        convs.extend([(pair[0], pair[0]), (pair[1], pair[0])]);
    }
    convs.push((config.unet.model_channels, last));
    for (position, (out, inp)) in convs.into_iter().enumerate() {
        layout.conv(&format!("input_hint_block.{}", 2 * position), out, inp, 3);
    }
}
