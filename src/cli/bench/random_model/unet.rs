//! The UNet's tensors in the original LDM layout (`openaimodel.py`): `time_embed`, `input_blocks`,
//! `middle_block`, `output_blocks`, `out`. The encoder half (everything before `output_blocks`) is
//! shared with the ControlNet, which also needs the width of every skip connection.

use super::config::UnetConfig;
use super::spec::{Layout, TensorSpec};

/// The encoder half's tensors and the width of each `input_blocks.N` output (the skips, in order).
pub struct Encoder {
    pub layout: Layout,
    pub skip_widths: Vec<usize>,
    /// The width at the bottom (the middle block's).
    pub bottom_width: usize,
}

/// Every UNet tensor, keys without the `model.diffusion_model.` prefix.
pub fn unet(config: &UnetConfig) -> Layout {
    let Encoder { mut layout, mut skip_widths, bottom_width } = encoder(config);
    decoder(&mut layout, config, &mut skip_widths, bottom_width);
    let base = config.model_channels;
    layout.norm("out.0", base);
    // The output convolution at 1.5× gain, as the parity kit's models: ε of about unit scale.
    layout.conv_with_gain("out.2", config.out_channels, base, 3, 1.5);
    layout
}

/// `time_embed`, `input_blocks` and `middle_block`.
pub fn encoder(config: &UnetConfig) -> Encoder {
    let mut layout = Layout::default();
    let base = config.model_channels;
    let time = time_embed_dim(config);
    layout.linear("time_embed.0", time, base, true);
    layout.linear("time_embed.2", time, time, true);
    layout.conv("input_blocks.0.0", base, config.in_channels, 3);
    let mut skip_widths = vec![base];
    let mut width = base;
    let levels = config.channel_mult.len();
    for (level, mult) in config.channel_mult.iter().enumerate() {
        for _ in 0..config.layers_per_block {
            let block = format!("input_blocks.{}", skip_widths.len());
            res_block(&mut layout, &format!("{block}.0"), width, mult * base, time);
            width = mult * base;
            if config.attention_levels[level] {
                transformer(&mut layout, &format!("{block}.1"), width, config);
            }
            skip_widths.push(width);
        }
        if level + 1 < levels {
            layout.conv(&format!("input_blocks.{}.0.op", skip_widths.len()), width, width, 3);
            skip_widths.push(width);
        }
    }
    res_block(&mut layout, "middle_block.0", width, width, time);
    transformer(&mut layout, "middle_block.1", width, config);
    res_block(&mut layout, "middle_block.2", width, width, time);
    Encoder { layout, skip_widths, bottom_width: width }
}

/// `output_blocks`: each level has one block more than on the way down, each taking a skip.
fn decoder(layout: &mut Layout, config: &UnetConfig, skips: &mut Vec<usize>, mut width: usize) {
    let time = time_embed_dim(config);
    let mut index = 0;
    for (level, mult) in config.channel_mult.iter().enumerate().rev() {
        for layer in 0..=config.layers_per_block {
            let block = format!("output_blocks.{index}");
            let skip = skips.pop().unwrap_or(0);
            let out = mult * config.model_channels;
            res_block(layout, &format!("{block}.0"), width + skip, out, time);
            width = out;
            let mut part = 1;
            if config.attention_levels[level] {
                transformer(layout, &format!("{block}.1"), width, config);
                part = 2;
            }
            if level > 0 && layer == config.layers_per_block {
                layout.conv(&format!("{block}.{part}.conv"), width, width, 3);
            }
            index += 1;
        }
    }
}

/// The timestep embedding's width: 4 × the base channels.
fn time_embed_dim(config: &UnetConfig) -> usize {
    4 * config.model_channels
}

/// An LDM `ResBlock`: norm, 3×3 conv, the timestep projection, norm, 3×3 conv, and a 1×1 skip
/// convolution when the width changes.
fn res_block(layout: &mut Layout, name: &str, inp: usize, out: usize, time: usize) {
    layout.norm(&format!("{name}.in_layers.0"), inp);
    layout.conv(&format!("{name}.in_layers.2"), out, inp, 3);
    layout.linear(&format!("{name}.emb_layers.1"), out, time, true);
    layout.norm(&format!("{name}.out_layers.0"), out);
    layout.conv(&format!("{name}.out_layers.3"), out, out, 3);
    if inp != out {
        layout.conv(&format!("{name}.skip_connection"), out, inp, 1);
    }
}

/// An LDM `SpatialTransformer` with 1×1 convolution projections (SD1.x), self- and cross-attention
/// and a GEGLU feed-forward four times as wide.
fn transformer(layout: &mut Layout, name: &str, width: usize, config: &UnetConfig) {
    layout.norm(&format!("{name}.norm"), width);
    layout.conv(&format!("{name}.proj_in"), width, width, 1);
    for depth in 0..config.transformer_depth {
        let block = format!("{name}.transformer_blocks.{depth}");
        attention(layout, &format!("{block}.attn1"), width, width);
        attention(layout, &format!("{block}.attn2"), width, config.context_dim);
        layout.linear(&format!("{block}.ff.net.0.proj"), 8 * width, width, true);
        layout.linear(&format!("{block}.ff.net.2"), width, 4 * width, true);
        for norm in ["norm1", "norm2", "norm3"] {
            layout.norm(&format!("{block}.{norm}"), width);
        }
    }
    layout.conv(&format!("{name}.proj_out"), width, width, 1);
}

/// Query, key and value without bias (keys and values from `context` wide inputs), output with bias.
fn attention(layout: &mut Layout, name: &str, width: usize, context: usize) {
    layout.linear(&format!("{name}.to_q"), width, width, false);
    layout.linear(&format!("{name}.to_k"), width, context, false);
    layout.linear(&format!("{name}.to_v"), width, context, false);
    layout.linear(&format!("{name}.to_out.0"), width, width, true);
}

/// Every UNet tensor under `model.diffusion_model.`.
pub fn tensors(config: &UnetConfig) -> Vec<TensorSpec> {
    unet(config).prefixed("model.diffusion_model.")
}
