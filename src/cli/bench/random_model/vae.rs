//! The VAE's tensors in the original LDM layout (`first_stage_model.`: `encoder.down.N`, `decoder.up.N`,
//! the single-head mid-block attention with 1×1 convolutions, `quant_conv`/`post_quant_conv`).

use super::config::VaeConfig;
use super::spec::{Layout, TensorSpec};

/// Every VAE tensor under `first_stage_model.`.
pub fn tensors(config: &VaeConfig) -> Vec<TensorSpec> {
    let mut layout = Layout::default();
    encoder(&mut layout, config);
    decoder(&mut layout, config);
    let latent = config.latent_channels;
    // The encoder gives mean and log-variance, hence twice the latent channels.
    layout.conv("quant_conv", 2 * latent, 2 * latent, 1);
    layout.conv("post_quant_conv", latent, latent, 1);
    layout.prefixed("first_stage_model.")
}

fn encoder(layout: &mut Layout, config: &VaeConfig) {
    let base = config.base_channels;
    layout.conv("encoder.conv_in", base, config.image_channels, 3);
    let mut width = base;
    let levels = config.channel_mult.len();
    for (level, mult) in config.channel_mult.iter().enumerate() {
        for block in 0..config.layers_per_block {
            res_block(layout, &format!("encoder.down.{level}.block.{block}"), width, mult * base);
            width = mult * base;
        }
        if level + 1 < levels {
            layout.conv(&format!("encoder.down.{level}.downsample.conv"), width, width, 3);
        }
    }
    middle(layout, "encoder", width);
    layout.norm("encoder.norm_out", width);
    layout.conv("encoder.conv_out", 2 * config.latent_channels, width, 3);
}

/// The decoder's levels are numbered as the encoder's (`up.0` is the full-resolution one) but run from
/// the last; each has one block more and all but `up.0` end in an upsampling convolution.
fn decoder(layout: &mut Layout, config: &VaeConfig) {
    let base = config.base_channels;
    let mut width = config.channel_mult.last().copied().unwrap_or(1) * base;
    layout.conv("decoder.conv_in", width, config.latent_channels, 3);
    middle(layout, "decoder", width);
    for (level, mult) in config.channel_mult.iter().enumerate().rev() {
        for block in 0..=config.layers_per_block {
            res_block(layout, &format!("decoder.up.{level}.block.{block}"), width, mult * base);
            width = mult * base;
        }
        if level > 0 {
            layout.conv(&format!("decoder.up.{level}.upsample.conv"), width, width, 3);
        }
    }
    layout.norm("decoder.norm_out", width);
    // At 0.6× gain, as the parity kit's models: the decoded picture mostly inside [−1, 1].
    layout.conv_with_gain("decoder.conv_out", config.image_channels, width, 3, 0.6);
}

/// Two ResNet blocks around a single-head attention.
fn middle(layout: &mut Layout, side: &str, width: usize) {
    res_block(layout, &format!("{side}.mid.block_1"), width, width);
    let attention = format!("{side}.mid.attn_1");
    layout.norm(&format!("{attention}.norm"), width);
    for part in ["q", "k", "v", "proj_out"] {
        layout.conv(&format!("{attention}.{part}"), width, width, 1);
    }
    res_block(layout, &format!("{side}.mid.block_2"), width, width);
}

/// An LDM VAE `ResnetBlock` (no timestep), with a 1×1 `nin_shortcut` when the width changes.
fn res_block(layout: &mut Layout, name: &str, inp: usize, out: usize) {
    layout.norm(&format!("{name}.norm1"), inp);
    layout.conv(&format!("{name}.conv1"), out, inp, 3);
    layout.norm(&format!("{name}.norm2"), out);
    layout.conv(&format!("{name}.conv2"), out, out, 3);
    if inp != out {
        layout.conv(&format!("{name}.nin_shortcut"), out, inp, 1);
    }
}
