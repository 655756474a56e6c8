//! `nurie prompt "TEXT"`: the chunks the text encoder receives, as JSON.

use serde::Serialize;

use crate::prompt::{ClipTokenizer, PromptChunk, prompt_chunks};

#[derive(Debug, clap::Args)]
pub struct PromptArgs {
    /// The prompt, in AUTOMATIC1111 syntax: (x), (x:1.3), [x], \( escapes, BREAK.
    #[arg(allow_hyphen_values = true)]
    pub text: String,
    /// A1111's "Clip skip" (1 = last layer). Checked here so that a bad value fails early; it selects
    /// the encoder layer, not the tokens, so the printed ids and weights do not depend on it.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=12))]
    pub clip_skip: u32,
}

#[derive(Serialize)]
struct PromptJson<'a> {
    chunks: Vec<ChunkJson<'a>>,
}

#[derive(Serialize)]
struct ChunkJson<'a> {
    ids: &'a [u32],
    weights: &'a [f32],
}

pub fn run(args: PromptArgs) -> anyhow::Result<()> {
    let tokenizer = ClipTokenizer::shared()?;
    let chunks: Vec<PromptChunk> = prompt_chunks(tokenizer, &args.text);
    let json = PromptJson { chunks: chunks.iter().map(|c| ChunkJson { ids: &c.ids, weights: &c.weights }).collect() };
    outln!("{}", serde_json::to_string(&json)?);
    Ok(())
}
