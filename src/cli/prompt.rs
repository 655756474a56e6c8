//! `nurie prompt "TEXT"`: the chunks the text encoder receives, as JSON, and the extra-network tags
//! (`<lora:NAME:W>`, …) found in the text, which are removed before tokenizing as A1111 removes them,
//! and with `--embeddings-dir`, where textual-inversion embeddings' vectors go.

use std::path::PathBuf;

use serde::Serialize;

use crate::networks::embedding::EmbeddingLibrary;
use crate::prompt::composable::and_separators;
use crate::prompt::extra_networks::{ExtraNetworkTag, NetworkKind, parse_prompt};
use crate::prompt::{ClipTokenizer, PromptChunk, PromptEmbeddings, prompt_chunks_with};

#[derive(Debug, clap::Args)]
pub struct PromptArgs {
    /// The prompt, in AUTOMATIC1111 syntax: (x), (x:1.3), [x], \( escapes, BREAK, <lora:NAME:W>.
    #[arg(allow_hyphen_values = true)]
    pub text: String,
    /// A1111's "Clip skip" (1 = last layer). Checked here so that a bad value fails early; it selects
    /// the encoder layer, not the tokens, so the printed ids and weights do not depend on it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=12))]
    pub clip_skip: u32,
    /// A folder of textual-inversion embeddings (`.pt`, `.bin`, `.safetensors`; searched with its
    /// subfolders, as A1111's `embeddings` folder), repeatable. A word that names one (its file's stem)
    /// becomes its vectors, as does ComfyUI's `embedding:NAME`. Widths are checked when generating,
    /// against the model's text encoder.
    #[arg(long = "embeddings-dir", value_name = "DIR")]
    pub embeddings_dirs: Vec<PathBuf>,
}

/// `networks` is left out when the text has no tags, so a plain prompt prints `chunks` alone.
#[derive(Serialize)]
struct PromptJson<'a> {
    chunks: Vec<ChunkJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    networks: Vec<NetworkJson>,
}

/// `embeddings` is left out when the chunk has none, so output without embeddings is unchanged.
#[derive(Serialize)]
struct ChunkJson<'a> {
    ids: &'a [u32],
    weights: &'a [f32],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    embeddings: Vec<EmbeddingSlotJson<'a>>,
}

/// A position of the chunk's 77 that holds vector `vector` of embedding `name`.
#[derive(Serialize)]
struct EmbeddingSlotJson<'a> {
    position: usize,
    name: &'a str,
    vector: usize,
}

impl<'a> ChunkJson<'a> {
    fn of(chunk: &'a PromptChunk) -> Self {
        let embeddings = chunk
            .fixes
            .iter()
            .flat_map(|fix| {
                let count = fix.embedding.count().min(chunk.ids.len().saturating_sub(fix.position));
                (0..count).map(|vector| EmbeddingSlotJson { position: fix.position + vector, name: fix.embedding.name(), vector })
            })
            .collect();
        Self { ids: &chunk.ids, weights: &chunk.weights, embeddings }
    }
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
    let library = EmbeddingLibrary::scan(&args.embeddings_dirs);
    let embeddings = (!library.is_empty()).then(|| PromptEmbeddings::for_clip(&library, None, tokenizer));
    outln!("{}", prompt_json(tokenizer, &args.text, embeddings.as_ref())?);
    Ok(())
}

/// The JSON line: the text's tags removed, then chunked and tokenized.
fn prompt_json(tokenizer: &ClipTokenizer, text: &str, embeddings: Option<&PromptEmbeddings>) -> anyhow::Result<String> {
    let parsed = parse_prompt(text);
    let chunks: Vec<PromptChunk> = prompt_chunks_with(tokenizer, &parsed.text, embeddings)?;
    let json = PromptJson {
        chunks: chunks.iter().map(ChunkJson::of).collect(),
        networks: parsed.tags.iter().map(NetworkJson::of).collect(),
    };
    Ok(serde_json::to_string(&json)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        let tokenizer = ClipTokenizer::shared().unwrap();
        serde_json::from_str(&prompt_json(tokenizer, text, None).unwrap()).unwrap()
    }

    fn json_with(text: &str, library: &EmbeddingLibrary) -> serde_json::Value {
        let tokenizer = ClipTokenizer::shared().unwrap();
        let embeddings = PromptEmbeddings::for_clip(library, None, tokenizer);
        serde_json::from_str(&prompt_json(tokenizer, text, Some(&embeddings)).unwrap()).unwrap()
    }

    fn library(names: &[(&str, usize)]) -> EmbeddingLibrary {
        use crate::networks::embedding::Embedding;
        EmbeddingLibrary::from_embeddings(names.iter().map(|&(name, count)| Embedding::new(name, None, 2, vec![0.5; 2 * count])))
    }

    #[test]
    fn embedding_positions_are_listed_per_chunk() {
        let value = json_with("a photo of sksdog, (bad_hands:1.2)", &library(&[("sksdog", 2), ("bad_hands", 1)]));
        let chunk = &value["chunks"][0];
        // a photo of = 3 tokens at 1..=3, then sksdog's 2 vectors at 4 and 5, `,` at 6, bad_hands at 7.
        assert_eq!(chunk["ids"][4], 0);
        assert_eq!(chunk["ids"][5], 0);
        assert_eq!(chunk["ids"][7], 0);
        assert_eq!(
            chunk["embeddings"],
            serde_json::json!([
                {"position": 4, "name": "sksdog", "vector": 0},
                {"position": 5, "name": "sksdog", "vector": 1},
                {"position": 7, "name": "bad_hands", "vector": 0},
            ])
        );
        assert_eq!(chunk["weights"][7], serde_json::json!(1.2));
    }

    #[test]
    fn unknown_words_stay_words_and_output_is_unchanged() {
        let with_library = json_with("a photo of sksdog", &library(&[("other", 1)]));
        assert_eq!(with_library, json("a photo of sksdog"));
        assert!(with_library["chunks"][0].get("embeddings").is_none());
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
