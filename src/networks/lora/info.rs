//! What `nurie inspect` says about a LoRA: its format and module types, rank and alpha, the model
//! family it was trained for, and the trigger words its training metadata lists.

use std::collections::BTreeMap;

use serde::Serialize;

use super::key_names::Component;
use super::network_file::{LoraLayout, LoraNetwork};

/// How many of the most frequent training tags are given as trigger words.
const TRIGGER_WORDS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoraInfo {
    /// "kohya" or "diffusers/PEFT".
    pub layout: &'static str,
    /// The module types, e.g. "LoCon + LoRA".
    pub types: String,
    pub text_encoder_modules: usize,
    pub unet_modules: usize,
    /// Rank → number of modules of that rank.
    pub ranks: BTreeMap<usize, usize>,
    /// Alpha (as written) → number of modules.
    pub alphas: BTreeMap<String, usize>,
    /// The family it was trained for and where that comes from.
    pub base: String,
    /// The most frequent tags of its training captions, most frequent first, then the declared phrase.
    pub trigger_words: Vec<String>,
}

impl LoraInfo {
    pub fn of(network: &LoraNetwork) -> Self {
        let count = |component| network.modules.iter().filter(|module| module.name.component == component).count();
        let mut ranks = BTreeMap::new();
        let mut alphas = BTreeMap::new();
        for module in &network.modules {
            if let Some(rank) = module.weights.rank() {
                *ranks.entry(rank).or_insert(0) += 1;
            }
            if let Some(alpha) = module.alpha {
                *alphas.entry(format!("{alpha}")).or_insert(0) += 1;
            }
        }
        Self {
            layout: match network.layout {
                LoraLayout::Kohya => "kohya / LyCORIS",
                LoraLayout::Diffusers => "diffusers / PEFT",
            },
            types: network.type_names(),
            text_encoder_modules: count(Component::TextEncoder),
            unet_modules: count(Component::Unet),
            ranks,
            alphas,
            base: base_family(&network.metadata),
            trigger_words: trigger_words(&network.metadata),
        }
    }
}

/// The family from sd-scripts' and modelspec's metadata; files that loaded are SD1.x-sized anyway.
fn base_family(metadata: &BTreeMap<String, String>) -> String {
    if let Some(version) = metadata.get("ss_base_model_version") {
        return format!("{version} (sd-scripts metadata)");
    }
    if let Some(architecture) = metadata.get("modelspec.architecture") {
        return format!("{architecture} (modelspec)");
    }
    "SD1.x (its layer names and sizes; the file does not say)".to_string()
}

/// Tags from `ss_tag_frequency` ({folder: {tag: count}}), summed over folders, most frequent first,
/// then `modelspec.trigger_phrase` when given.
fn trigger_words(metadata: &BTreeMap<String, String>) -> Vec<String> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let folders = metadata.get("ss_tag_frequency").and_then(|text| serde_json::from_str::<serde_json::Value>(text).ok());
    for tags in folders.iter().filter_map(|folders| folders.as_object()).flat_map(|folders| folders.values()) {
        for (tag, count) in tags.as_object().into_iter().flatten() {
            *counts.entry(tag.trim().to_string()).or_insert(0) += count.as_u64().unwrap_or(0);
        }
    }
    let mut ranked: Vec<(String, u64)> = counts.into_iter().filter(|(tag, _)| !tag.is_empty()).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut words: Vec<String> = ranked.into_iter().take(TRIGGER_WORDS).map(|(tag, _)| tag).collect();
    if let Some(phrase) = metadata.get("modelspec.trigger_phrase").filter(|phrase| !words.contains(phrase)) {
        words.push(phrase.clone());
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_words_sum_folders_and_rank_by_count() {
        let mut metadata = BTreeMap::new();
        metadata.insert(
            "ss_tag_frequency".to_string(),
            r#"{"10_a": {"nuriedev": 24, "1girl": 12}, "5_b": {"1girl": 20, " flat color": 3}}"#.to_string(),
        );
        metadata.insert("modelspec.trigger_phrase".to_string(), "nurie style".to_string());
        assert_eq!(trigger_words(&metadata), ["1girl", "nuriedev", "flat color", "nurie style"]);
        assert_eq!(trigger_words(&BTreeMap::new()), Vec::<String>::new());
    }
}
