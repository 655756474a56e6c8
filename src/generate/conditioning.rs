//! The text context of a generation: negative and positive prompt encoded into one CFG batch.

use burn::tensor::Tensor;

use crate::model::ClipSkip;
use crate::prompt::extra_networks::parse_prompt;
use crate::prompt::{ClipTokenizer, encode_chunks, prompt_chunks, prompt_pair_chunks};

use super::error::GenerateError;
use super::models::Models;

/// The UNet's context for every step: [uncond, cond] ([2, 77·k, C]) with guidance, or [cond] alone
/// when the CFG scale is 1 (the unconditional half would not change the result). Extra-network tags
/// (`<lora:…>`) are taken out of the prompt first, as A1111 takes them out; the negative prompt keeps
/// them as text, as in A1111.
pub fn encode_prompts(
    models: &Models,
    prompt: &str,
    negative: &str,
    clip_skip: ClipSkip,
    guided: bool,
) -> Result<Tensor<3>, GenerateError> {
    let tokenizer = ClipTokenizer::shared()?;
    let prompt = &parse_prompt(prompt).text;
    if !guided {
        let chunks = prompt_chunks(tokenizer, prompt);
        return Ok(encode_chunks(&models.text_encoder, &chunks, clip_skip)?);
    }
    let (positive, negative) = prompt_pair_chunks(tokenizer, prompt, negative);
    let uncond = encode_chunks(&models.text_encoder, &negative, clip_skip)?;
    let cond = encode_chunks(&models.text_encoder, &positive, clip_skip)?;
    Ok(Tensor::cat(vec![uncond, cond], 0))
}
