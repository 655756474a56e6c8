//! The parts of an SD1.x checkpoint that composition is estimated for, in the units merge tools use:
//! the UNet's 12 input blocks, middle block and 12 output blocks (block-weighted merging's IN00–IN11,
//! M00, OUT00–OUT11), the rest of the UNet (time embedding, output layer), the text encoder and the
//! VAE; and the coarse groups made of them.

use crate::checkpoint::layout::TextEncoderLayout;

const UNET: &str = "model.diffusion_model.";
const VAE: &str = "first_stage_model.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Block {
    Input(u8),
    Middle,
    Output(u8),
    /// Time embedding and the final normalisation and convolution.
    UnetOther,
    TextEncoder,
    Vae,
}

/// The coarse groups reported before the blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    InputBlocks,
    MiddleBlock,
    OutputBlocks,
    Unet,
    TextEncoder,
    Vae,
}

impl Group {
    pub const ALL: [Group; 6] =
        [Group::InputBlocks, Group::MiddleBlock, Group::OutputBlocks, Group::Unet, Group::TextEncoder, Group::Vae];

    pub fn name(self) -> &'static str {
        match self {
            Group::InputBlocks => "input_blocks",
            Group::MiddleBlock => "middle_block",
            Group::OutputBlocks => "output_blocks",
            Group::Unet => "unet",
            Group::TextEncoder => "text_encoder",
            Group::Vae => "vae",
        }
    }

    pub fn contains(self, block: Block) -> bool {
        match self {
            Group::InputBlocks => matches!(block, Block::Input(_)),
            Group::MiddleBlock => block == Block::Middle,
            Group::OutputBlocks => matches!(block, Block::Output(_)),
            Group::Unet => matches!(block, Block::Input(_) | Block::Middle | Block::Output(_) | Block::UnetOther),
            Group::TextEncoder => block == Block::TextEncoder,
            Group::Vae => block == Block::Vae,
        }
    }
}

impl Block {
    /// Every block, in report order.
    pub fn all() -> Vec<Block> {
        let mut blocks: Vec<Block> = (0..12).map(Block::Input).collect();
        blocks.push(Block::Middle);
        blocks.extend((0..12).map(Block::Output));
        blocks.extend([Block::UnetOther, Block::TextEncoder, Block::Vae]);
        blocks
    }

    /// The block-weighted merge name (`IN00`, `M00`, `OUT11`) or the part's name.
    pub fn name(self) -> String {
        match self {
            Block::Input(n) => format!("IN{n:02}"),
            Block::Middle => "M00".to_string(),
            Block::Output(n) => format!("OUT{n:02}"),
            Block::UnetOther => "unet_other".to_string(),
            Block::TextEncoder => "text_encoder".to_string(),
            Block::Vae => "vae".to_string(),
        }
    }
}

/// A key in a form shared by every SD1.x file: the text encoder's keys without their layout's prefix
/// (`te.` + the rest), so files of different text-encoder layouts line up.
pub fn canonical_key(key: &str, layout: Option<TextEncoderLayout>) -> Option<String> {
    if key.starts_with(UNET) || key.starts_with(VAE) {
        return Some(key.to_string());
    }
    let rest = key.strip_prefix(layout?.prefix())?;
    Some(format!("te.{rest}"))
}

/// The key of `canonical` in a file whose text encoder has `layout`.
pub fn key_in_file(canonical: &str, layout: Option<TextEncoderLayout>) -> Option<String> {
    match canonical.strip_prefix("te.") {
        Some(rest) => Some(format!("{}{rest}", layout?.prefix())),
        None => Some(canonical.to_string()),
    }
}

/// The block of a canonical key; `None` for keys composition does not look at.
pub fn block_of(canonical: &str) -> Option<Block> {
    if canonical.starts_with("te.") {
        return Some(Block::TextEncoder);
    }
    if canonical.starts_with(VAE) {
        return Some(Block::Vae);
    }
    let unet = canonical.strip_prefix(UNET)?;
    let numbered = |prefix: &str| -> Option<u8> {
        let rest = unet.strip_prefix(prefix)?;
        let (number, _) = rest.split_once('.')?;
        number.parse().ok().filter(|n| *n < 12)
    };
    if let Some(n) = numbered("input_blocks.") {
        Some(Block::Input(n))
    } else if let Some(n) = numbered("output_blocks.") {
        Some(Block::Output(n))
    } else if unet.starts_with("middle_block.") {
        Some(Block::Middle)
    } else {
        Some(Block::UnetOther)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fall_into_blocks() {
        let block = |key: &str| block_of(&canonical_key(key, Some(TextEncoderLayout::NaiStyle)).unwrap());
        assert_eq!(block("model.diffusion_model.input_blocks.4.1.proj_in.weight"), Some(Block::Input(4)));
        assert_eq!(block("model.diffusion_model.input_blocks.11.0.in_layers.0.weight"), Some(Block::Input(11)));
        assert_eq!(block("model.diffusion_model.middle_block.1.norm.weight"), Some(Block::Middle));
        assert_eq!(block("model.diffusion_model.output_blocks.0.0.skip_connection.bias"), Some(Block::Output(0)));
        assert_eq!(block("model.diffusion_model.time_embed.0.weight"), Some(Block::UnetOther));
        assert_eq!(block("model.diffusion_model.out.2.bias"), Some(Block::UnetOther));
        assert_eq!(block("first_stage_model.decoder.conv_out.weight"), Some(Block::Vae));
        assert_eq!(block("cond_stage_model.transformer.encoder.layers.0.mlp.fc1.weight"), Some(Block::TextEncoder));
        assert_eq!(canonical_key("model_ema.diffusion_modelinput_blocks00weight", None), None);
        assert_eq!(Block::all().len(), 28);
        assert_eq!(Block::Output(7).name(), "OUT07");
    }

    #[test]
    fn text_encoder_keys_line_up_across_layouts() {
        let nai = canonical_key("cond_stage_model.transformer.final_layer_norm.weight", Some(TextEncoderLayout::NaiStyle));
        let ldm = canonical_key("cond_stage_model.transformer.text_model.final_layer_norm.weight", Some(TextEncoderLayout::Ldm));
        assert_eq!(nai, ldm);
        let back = key_in_file(nai.as_deref().unwrap(), Some(TextEncoderLayout::Ldm));
        assert_eq!(back.as_deref(), Some("cond_stage_model.transformer.text_model.final_layer_norm.weight"));
    }
}
