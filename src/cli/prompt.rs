//! `nurie prompt "TEXT"`: the chunks the text encoder receives, as JSON, and the extra-network tags
//! (`<lora:NAME:W>`, …) found in the text, which are removed before tokenizing as A1111 removes them.

use serde::Serialize;

use crate::prompt::composable::and_separators;
use crate::prompt::extra_networks::{ExtraNetworkTag, NetworkKind, parse_prompt};
use crate::prompt::{ClipTokenizer, PromptChunk, prompt_chunks};

#[derive(Debug, clap::Args)]
pub struct PromptArgs {
    /// The prompt, in AUTOMATIC1111 syntax: (x), (x:1.3), [x], \( escapes, BREAK, <lora:NAME:W>.
    #[arg(allow_hyphen_values = true)]
    pub text: String,
    /// A1111's "Clip skip" (1 = last layer). Checked here so that a bad value fails early; it selects
    /// the encoder layer, not the tokens, so the printed ids and weights do not depend on it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=12))]
    pub clip_skip: u32,
}

/// `networks` is left out when the text has no tags, so a plain prompt prints `chunks` alone.
#[derive(Serialize)]
struct PromptJson<'a> {
    chunks: Vec<ChunkJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    networks: Vec<NetworkJson>,
}

#[derive(Serialize)]
struct ChunkJson<'a> {
    ids: &'a [u32],
    weights: &'a [f32],
}

/// One tag: its kind as written and raw arguments; for LoRA/LyCORIS the name and the text-encoder and
/// UNet multipliers, for hypernetworks the name and multiplier; `error` where A1111 would raise on the
/// arguments (then it applies no LoRA of the prompt at all).
#[derive(Serialize)]
struct NetworkJson {
    kind: String,
    args: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    te: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unet: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multiplier: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl NetworkJson {
    fn of(tag: &ExtraNetworkTag) -> Self {
        let mut json = NetworkJson {
            kind: tag.kind.clone(),
            args: tag.args.clone(),
            name: None,
            te: None,
            unet: None,
            multiplier: None,
            error: None,
        };
        match tag.network_kind() {
            NetworkKind::Lora => match tag.lora_weights() {
                Ok(lora) => (json.name, json.te, json.unet) = (Some(lora.name), Some(lora.te), Some(lora.unet)),
                Err(error) => json.error = Some(error.to_string()),
            },
            NetworkKind::Hypernet => match tag.hypernet_weights() {
                Ok(hypernet) => (json.name, json.multiplier) = (Some(hypernet.name), Some(hypernet.multiplier)),
                Err(error) => json.error = Some(error.to_string()),
            },
            NetworkKind::Other => {}
        }
        json
    }
}

pub fn run(args: PromptArgs) -> anyhow::Result<()> {
    let tokenizer = ClipTokenizer::shared()?;
    if !and_separators(&parse_prompt(&args.text).text).is_empty() {
        errln!("warning: AND (A1111's composable diffusion) is not supported; Nurie reads it as a word of the prompt");
    }
    outln!("{}", prompt_json(tokenizer, &args.text)?);
    Ok(())
}

/// The JSON line: the text's tags removed, then chunked and tokenized.
fn prompt_json(tokenizer: &ClipTokenizer, text: &str) -> serde_json::Result<String> {
    let parsed = parse_prompt(text);
    let chunks: Vec<PromptChunk> = prompt_chunks(tokenizer, &parsed.text);
    let json = PromptJson {
        chunks: chunks.iter().map(|c| ChunkJson { ids: &c.ids, weights: &c.weights }).collect(),
        networks: parsed.tags.iter().map(NetworkJson::of).collect(),
    };
    serde_json::to_string(&json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        let tokenizer = ClipTokenizer::shared().unwrap();
        serde_json::from_str(&prompt_json(tokenizer, text).unwrap()).unwrap()
    }

    #[test]
    fn tags_are_listed_and_not_tokenized() {
        let with_tags = json("1girl, <lora:flat_anime:0.8>, <lyco:shade:0.5:0.25> smile");
        let without = json("1girl, ,  smile");
        assert_eq!(with_tags["chunks"], without["chunks"]);
        assert_eq!(
            with_tags["networks"],
            serde_json::json!([
                {"kind": "lora", "args": ["flat_anime", "0.8"], "name": "flat_anime", "te": 0.8, "unet": 0.8},
                {"kind": "lyco", "args": ["shade", "0.5", "0.25"], "name": "shade", "te": 0.5, "unet": 0.25},
            ])
        );
    }

    #[test]
    fn no_tags_no_networks_key_and_errors_are_reported() {
        assert_eq!(json("1girl").as_object().map(|o| o.len()), Some(1));
        let bad = json("<lora:x:abc> <hypernet:h> <foo:bar>");
        assert_eq!(bad["networks"][0]["error"], "could not convert string to float: 'abc'");
        assert_eq!(bad["networks"][1], serde_json::json!({"kind": "hypernet", "args": ["h"], "name": "h", "multiplier": 1.0}));
        assert_eq!(bad["networks"][2], serde_json::json!({"kind": "foo", "args": ["bar"]}));
    }
}
