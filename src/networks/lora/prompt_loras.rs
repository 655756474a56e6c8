//! The LoRAs a prompt asks for (`<lora:NAME:W>`, `<lora:NAME:TE:UNET>`, `<lyco:…>`), read as A1111's
//! Lora extension reads the tags, in the order it activates them.

use std::sync::Arc;

use super::error::LoraError;
use super::library::LoraLibrary;
use super::merge::WeightedLora;
use crate::metadata::{NetworkKind, NetworkUse};
use crate::prompt::extra_networks::{lora_activation_order, parse_prompt};

/// One LoRA tag of a prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct LoraUse {
    pub name: String,
    pub text_encoder: f32,
    pub unet: f32,
    /// `dyn=N`: only the first N ranks of each low-rank module.
    pub dyn_dim: Option<usize>,
}

/// The LoRA tags of `prompt`, in activation order; an error names the tag A1111 would fail on.
pub fn loras_in_prompt(prompt: &str) -> Result<Vec<LoraUse>, LoraError> {
    let parsed = parse_prompt(prompt);
    lora_activation_order(&parsed.tags)
        .into_iter()
        .map(|tag| {
            let weights = tag.lora_weights().map_err(|source| LoraError::Tag {
                tag: prompt.get(tag.span.clone()).unwrap_or_default().to_string(),
                message: source.to_string(),
            })?;
            let dyn_dim = weights.dyn_dim.and_then(|dim| usize::try_from(dim).ok()).filter(|&dim| dim > 0);
            Ok(LoraUse { name: weights.name, text_encoder: weights.te as f32, unet: weights.unet as f32, dyn_dim })
        })
        .collect()
}

impl LoraLibrary {
    /// Finds and reads the LoRA of each use (each file once), and forgets the others read before.
    pub fn weighted(&mut self, uses: &[LoraUse]) -> Result<Vec<WeightedLora>, LoraError> {
        let mut loras = Vec::with_capacity(uses.len());
        for used in uses {
            let path = self.find(&used.name)?;
            let network = self.read(&path)?;
            loras.push(WeightedLora { network, text_encoder: used.text_encoder, unet: used.unet, dyn_dim: used.dyn_dim });
        }
        let keep: Vec<_> = loras.iter().map(|lora: &WeightedLora| lora.network.path.clone()).collect();
        self.keep_only(&keep);
        Ok(loras)
    }
}

/// `prompt` with a `<lora:NAME:…>` tag added for each LoRA a picture lists with its weights apart from
/// the prompt (ComfyUI's loader nodes, InvokeAI's `loras`), so that generating reproduces it as A1111
/// would; LoRAs the prompt tags already are left as they are.
pub fn prompt_with_recorded_loras(prompt: &str, networks: &[NetworkUse]) -> String {
    let tagged: Vec<String> = loras_in_prompt(prompt).map(|uses| uses.into_iter().map(|u| u.name).collect()).unwrap_or_default();
    let mut text = prompt.to_string();
    for network in networks.iter().filter(|n| n.kind == NetworkKind::Lora && !tagged.contains(&n.name)) {
        let tag = match (network.clip_strength, network.strength) {
            (Some(te), Some(unet)) if te != unet => format!("<lora:{}:{te}:{unet}>", network.name),
            (_, Some(weight)) | (Some(weight), None) => format!("<lora:{}:{weight}>", network.name),
            (None, None) => continue,
        };
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push_str(&tag);
    }
    text
}

/// A LoRA read from `path` with both weights `weight` (the golden-test interface, `--lora FILE:W`).
pub fn weighted_file(path: &std::path::Path, weight: f32) -> Result<WeightedLora, LoraError> {
    let network = Arc::new(super::network_file::LoraNetwork::open(path)?);
    Ok(WeightedLora { network, text_encoder: weight, unet: weight, dyn_dim: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_give_names_and_weights_in_activation_order() {
        let uses = loras_in_prompt("1girl, <lyco:ink:0.5>, <lora:flat_anime:0.8>, <lora:hands:1:0.3:dyn=4>").unwrap();
        let summary: Vec<_> = uses.iter().map(|u| (u.name.as_str(), u.text_encoder, u.unet, u.dyn_dim)).collect();
        assert_eq!(summary, [("ink", 0.5, 0.5, None), ("flat_anime", 0.8, 0.8, None), ("hands", 1.0, 0.3, Some(4))]);
    }

    #[test]
    fn loras_recorded_apart_from_the_prompt_become_tags() {
        let lora = |name: &str, unet: Option<f64>, te: Option<f64>| NetworkUse {
            strength: unet,
            clip_strength: te,
            ..NetworkUse::named(NetworkKind::Lora, name)
        };
        let networks = [lora("flat", Some(0.8), Some(0.8)), lora("ink", Some(0.5), Some(1.0)), lora("tagged", Some(1.0), None)];
        let prompt = prompt_with_recorded_loras("1girl <lora:tagged:0.3>", &networks);
        assert_eq!(prompt, "1girl <lora:tagged:0.3>, <lora:flat:0.8>, <lora:ink:1:0.5>");
        assert_eq!(prompt_with_recorded_loras("1girl", &[lora("a1111", None, None)]), "1girl");
    }

    #[test]
    fn a_bad_weight_names_its_tag() {
        let error = loras_in_prompt("<lora:flat:heavy>").unwrap_err();
        assert!(error.to_string().contains("<lora:flat:heavy>"), "{error}");
    }
}
