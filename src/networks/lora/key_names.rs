//! One naming for the modules a LoRA changes, whatever tool wrote the file.
//!
//! A LoRA names each module it changes in one of three ways:
//! - kohya/sd-scripts and LyCORIS: `lora_unet_<path>` / `lora_te_<path>` with `.` written as `_`, the
//!   path in diffusers' naming (`down_blocks_0_attentions_0_…`) or, in older files, in the LDM naming of
//!   the single-file checkpoint (`input_blocks_1_1_…`);
//! - diffusers/PEFT: `unet.<path>` / `text_encoder.<path>` in diffusers' dotted naming, the weights
//!   under `lora_A`/`lora_B` (PEFT) or `lora.down`/`lora.up`, `lora_linear_layer.down`, and the
//!   attention processors' `processor.to_q_lora.down` (older diffusers).
//!
//! Every name is turned into the LDM module path of the single-file checkpoint with `_` for `.`
//! (`input_blocks_1_1_transformer_blocks_0_attn1_to_q`), as A1111 matches them: the model's own module
//! paths are compared in that form, which makes `to_out_0` and `to_out.0` the same.

use std::sync::LazyLock;

use regex::Regex;

/// Which network of the checkpoint a module belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    TextEncoder,
    Unet,
}

/// A module a LoRA changes: its network and its LDM path with `_` for `.`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleName {
    pub component: Component,
    pub path: String,
}

impl ModuleName {
    /// The form a model's own module path (`input_blocks.1.1.proj_in`) is compared in.
    pub fn from_model_path(component: Component, path: &str) -> Self {
        Self { component, path: path.replace('.', "_") }
    }
}

/// A tensor key split into the module it belongs to and the name of the tensor within it, with the
/// PEFT and diffusers weight names turned into kohya's (`lora_down.weight`, `lora_up.weight`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitKey {
    /// The module as the file names it (for messages), e.g. `lora_unet_down_blocks_0_…_to_q`.
    pub file_module: String,
    pub module: ModuleName,
    pub tensor: String,
}

/// Why a key names no module Nurie knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// A second text encoder (`lora_te1_`, `lora_te2_`, `text_encoder_2.`): an SDXL LoRA.
    Sdxl,
    /// OpenCLIP's naming (`transformer_resblocks`): an SD2.x LoRA.
    Sd2,
    /// Not a LoRA key of any layout Nurie reads.
    Unknown,
}

/// Splits a tensor key of any supported layout (see the module documentation).
pub fn split_key(key: &str) -> Result<SplitKey, KeyProblem> {
    if key.starts_with("lora_te1_") || key.starts_with("lora_te2_") || key.starts_with("text_encoder_2.") {
        return Err(KeyProblem::Sdxl);
    }
    if key.contains("transformer_resblocks") {
        return Err(KeyProblem::Sd2);
    }
    if let Some(rest) = key.strip_prefix("lora_unet_") {
        return kohya(key, rest, Component::Unet);
    }
    if let Some(rest) = key.strip_prefix("lora_te_") {
        return kohya(key, rest, Component::TextEncoder);
    }
    if let Some(rest) = key.strip_prefix("unet.") {
        return dotted(rest, Component::Unet);
    }
    if let Some(rest) = key.strip_prefix("text_encoder.") {
        return dotted(rest, Component::TextEncoder);
    }
    Err(KeyProblem::Unknown)
}

/// `<module>.<tensor>` with the module in kohya's underscored form.
fn kohya(key: &str, rest: &str, component: Component) -> Result<SplitKey, KeyProblem> {
    let (module, tensor) = rest.split_once('.').ok_or(KeyProblem::Unknown)?;
    let file_module = key.split_once('.').map_or(key, |(module, _)| module).to_string();
    let path = ldm_path(component, module).ok_or(KeyProblem::Unknown)?;
    Ok(SplitKey { file_module, module: ModuleName { component, path }, tensor: tensor.to_string() })
}

/// A diffusers/PEFT key: the module, then the tensor from the first LoRA word on.
#[expect(clippy::expect_used, reason = "a constant pattern, compiled by every test of this module")]
static DOTTED_TENSOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<module>.+?)\.(?:processor\.(?P<proc>to_[qkv]|to_out)_lora\.(?P<proc_side>down|up)\.weight|(?:lora_linear_layer|lora)\.(?P<side>down|up)\.weight|(?P<peft>lora_[AB])\.weight|(?P<alpha>alpha))$")
        .expect("a valid pattern")
});

/// The diffusers/PEFT layouts: the tensor name is the part from the first LoRA word on.
fn dotted(rest: &str, component: Component) -> Result<SplitKey, KeyProblem> {
    let captures = DOTTED_TENSOR.captures(rest).ok_or(KeyProblem::Unknown)?;
    let mut module = captures["module"].to_string();
    if let Some(projection) = captures.name("proc") {
        let projection = if projection.as_str() == "to_out" { "to_out.0" } else { projection.as_str() };
        module = format!("{module}.{projection}");
    }
    let side = captures.name("side").or(captures.name("proc_side")).map(|side| side.as_str());
    let tensor = match (side, captures.name("peft").map(|m| m.as_str()), captures.name("alpha")) {
        (Some("down"), ..) | (_, Some("lora_A"), _) => "lora_down.weight",
        (Some(_), ..) | (_, Some(_), _) => "lora_up.weight",
        _ => "alpha",
    };
    let underscored = module.replace('.', "_");
    let path = ldm_path(component, &underscored).ok_or(KeyProblem::Unknown)?;
    Ok(SplitKey { file_module: module, module: ModuleName { component, path }, tensor: tensor.to_string() })
}

/// The LDM path (underscored) of a module named in either naming.
fn ldm_path(component: Component, module: &str) -> Option<String> {
    match component {
        Component::TextEncoder => Some(module.strip_prefix("text_model_").unwrap_or(module).to_string()),
        Component::Unet => Some(unet_ldm_path(module)),
    }
}

/// SD1.x's UNet in diffusers' naming → the LDM naming, for the block layout every SD1.x UNet has (two
/// ResNets per down level and three per up level, a downsampler after each down level but the last).
fn unet_ldm_path(module: &str) -> String {
    UNET_RULES
        .iter()
        .find_map(|(pattern, convert)| pattern.captures(module).map(|captures| convert(&captures)))
        .unwrap_or_else(|| module.to_string())
}

/// A pattern of diffusers' UNet naming and how a match is written in LDM's.
type Rule = (Regex, fn(&regex::Captures) -> String);

#[expect(clippy::expect_used, reason = "constant patterns, compiled by every test of this module")]
static UNET_RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |pattern: &str| Regex::new(pattern).expect("a valid pattern");
    vec![
        (rule(r"^conv_in(.*)$"), |c| format!("input_blocks_0_0{}", &c[1])),
        (rule(r"^conv_out(.*)$"), |c| format!("out_2{}", &c[1])),
        (rule(r"^time_embedding_linear_(\d+)(.*)$"), |c| format!("time_embed_{}{}", number(&c[1]) * 2 - 2, &c[2])),
        (rule(r"^down_blocks_(\d+)_(attentions|resnets)_(\d+)_(.+)$"), |c| {
            let block = 1 + number(&c[1]) * 3 + number(&c[3]);
            format!("input_blocks_{block}_{}_{}", layer_index(&c[2]), resnet_suffix(&c[2], &c[4]))
        }),
        (rule(r"^down_blocks_(\d+)_downsamplers_0_conv(.*)$"), |c| {
            format!("input_blocks_{}_0_op{}", 3 + number(&c[1]) * 3, &c[2])
        }),
        (rule(r"^mid_block_(attentions|resnets)_(\d+)_(.+)$"), |c| {
            let layer = if &c[1] == "attentions" { 1 } else { number(&c[2]) * 2 };
            format!("middle_block_{layer}_{}", resnet_suffix(&c[1], &c[3]))
        }),
        (rule(r"^up_blocks_(\d+)_(attentions|resnets)_(\d+)_(.+)$"), |c| {
            let block = number(&c[1]) * 3 + number(&c[3]);
            format!("output_blocks_{block}_{}_{}", layer_index(&c[2]), resnet_suffix(&c[2], &c[4]))
        }),
        (rule(r"^up_blocks_(\d+)_upsamplers_0_conv(.*)$"), |c| {
            let level = number(&c[1]);
            format!("output_blocks_{}_{}_conv{}", level * 3 + 2, if level == 0 { 1 } else { 2 }, &c[2])
        }),
    ]
});

fn number(digits: &str) -> usize {
    digits.parse().unwrap_or(usize::MAX / 4)
}

/// Within an LDM block, the ResNet is layer 0 and the transformer layer 1.
fn layer_index(kind: &str) -> usize {
    if kind == "attentions" { 1 } else { 0 }
}

/// A diffusers ResNet's layer names in LDM's `ResBlock`; transformer names are the same in both.
fn resnet_suffix(kind: &str, suffix: &str) -> String {
    if kind != "resnets" {
        return suffix.to_string();
    }
    const RENAMES: [(&str, &str); 6] = [
        ("conv1", "in_layers_2"),
        ("conv2", "out_layers_3"),
        ("norm1", "in_layers_0"),
        ("norm2", "out_layers_0"),
        ("time_emb_proj", "emb_layers_1"),
        ("conv_shortcut", "skip_connection"),
    ];
    RENAMES
        .iter()
        .find_map(|(from, to)| suffix.strip_prefix(from).map(|rest| format!("{to}{rest}")))
        .unwrap_or_else(|| suffix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unet(path: &str) -> ModuleName {
        ModuleName { component: Component::Unet, path: path.to_string() }
    }

    fn module_of(key: &str) -> ModuleName {
        split_key(key).map(|split| split.module).unwrap_or_else(|problem| panic!("{key}: {problem:?}"))
    }

    #[test]
    fn kohya_diffusers_names_become_ldm_paths() {
        let cases = [
            (
                "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight",
                "input_blocks_1_1_transformer_blocks_0_attn1_to_q",
            ),
            ("lora_unet_down_blocks_2_attentions_1_proj_in.alpha", "input_blocks_8_1_proj_in"),
            ("lora_unet_down_blocks_1_resnets_1_conv1.lora_up.weight", "input_blocks_5_0_in_layers_2"),
            ("lora_unet_down_blocks_0_downsamplers_0_conv.lora_up.weight", "input_blocks_3_0_op"),
            (
                "lora_unet_mid_block_attentions_0_transformer_blocks_0_ff_net_2.alpha",
                "middle_block_1_transformer_blocks_0_ff_net_2",
            ),
            ("lora_unet_mid_block_resnets_1_time_emb_proj.alpha", "middle_block_2_emb_layers_1"),
            ("lora_unet_up_blocks_0_resnets_2_conv_shortcut.alpha", "output_blocks_2_0_skip_connection"),
            (
                "lora_unet_up_blocks_3_attentions_2_transformer_blocks_0_attn2_to_out_0.alpha",
                "output_blocks_11_1_transformer_blocks_0_attn2_to_out_0",
            ),
            ("lora_unet_up_blocks_0_upsamplers_0_conv.alpha", "output_blocks_2_1_conv"),
            ("lora_unet_up_blocks_2_upsamplers_0_conv.alpha", "output_blocks_8_2_conv"),
            ("lora_unet_conv_in.alpha", "input_blocks_0_0"),
            ("lora_unet_time_embedding_linear_2.alpha", "time_embed_2"),
        ];
        for (key, path) in cases {
            assert_eq!(module_of(key), unet(path), "{key}");
        }
    }

    #[test]
    fn ldm_named_kohya_keys_pass_through() {
        assert_eq!(
            module_of("lora_unet_input_blocks_1_1_transformer_blocks_0_attn1_to_q.lora_down.weight"),
            unet("input_blocks_1_1_transformer_blocks_0_attn1_to_q")
        );
    }

    #[test]
    fn text_encoder_names_drop_text_model() {
        let expected = ModuleName { component: Component::TextEncoder, path: "encoder_layers_3_mlp_fc1".into() };
        assert_eq!(module_of("lora_te_text_model_encoder_layers_3_mlp_fc1.lora_up.weight"), expected);
        assert_eq!(module_of("text_encoder.text_model.encoder.layers.3.mlp.fc1.lora_A.weight"), expected);
    }

    #[test]
    fn peft_and_old_diffusers_tensor_names_become_kohya_ones() {
        let split = split_key("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.lora_B.weight").unwrap();
        assert_eq!(split.module, unet("input_blocks_1_1_transformer_blocks_0_attn1_to_out_0"));
        assert_eq!(split.tensor, "lora_up.weight");
        let split =
            split_key("unet.up_blocks.1.attentions.2.transformer_blocks.0.attn2.processor.to_out_lora.down.weight").unwrap();
        assert_eq!(split.module, unet("output_blocks_5_1_transformer_blocks_0_attn2_to_out_0"));
        assert_eq!(split.tensor, "lora_down.weight");
        let split = split_key("text_encoder.text_model.encoder.layers.0.self_attn.k_proj.lora_linear_layer.up.weight").unwrap();
        assert_eq!(split.tensor, "lora_up.weight");
        assert_eq!(split_key("unet.mid_block.attentions.0.proj_in.alpha").unwrap().tensor, "alpha");
    }

    #[test]
    fn other_families_and_strangers_are_named() {
        assert_eq!(split_key("lora_te1_text_model_encoder_layers_0_mlp_fc1.alpha"), Err(KeyProblem::Sdxl));
        assert_eq!(split_key("text_encoder_2.text_model.encoder.layers.0.mlp.fc1.lora_A.weight"), Err(KeyProblem::Sdxl));
        assert_eq!(split_key("lora_te_transformer_resblocks_0_attn_out_proj.alpha"), Err(KeyProblem::Sd2));
        assert_eq!(split_key("model.diffusion_model.input_blocks.0.0.weight"), Err(KeyProblem::Unknown));
    }
}
