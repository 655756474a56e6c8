//! From prompt text to the UNet's cross-attention context, as A1111 builds it: emphasis parsed,
//! 75-token chunks encoded one by one, each chunk's hidden states multiplied by its token weights and
//! then rescaled so the chunk's mean is what it was before weighting (A1111 "Original" emphasis).

use burn::tensor::{DType, Tensor, TensorData};

use super::chunks::{
    COMMA_PADDING_BACKTRACK, PromptChunk, TokenizedPart, TokenizedPrompt, chunk_prompt, chunk_tokens, pad_to_chunk_count,
};
use super::embeddings::PromptEmbeddings;
use super::emphasis::{PromptPart, parse_prompt_attention};
use super::tokenizer::{CONTEXT_LENGTH, ClipTokenizer};
use crate::model::clip::TokenFix;
use crate::model::{ClipSkip, ClipTextEncoder, EncodeError};
use crate::networks::embedding::EmbeddingError;

/// Parses `text` with A1111's emphasis syntax and splits it into 77-token chunks.
pub fn prompt_chunks(tokenizer: &ClipTokenizer, text: &str) -> Vec<PromptChunk> {
    let parts = parse_prompt_attention(text);
    chunk_prompt(&parts, &mut |piece: &str| tokenizer.ids(piece), tokenizer.comma_id())
}

/// [`prompt_chunks`] with textual-inversion embeddings: their names (and ComfyUI's
/// `embedding:NAME`) become their vectors, chunked as A1111 chunks them. The chunks carry the fixes
/// [`encode_chunks`] puts into the text encoder. Without `embeddings`, this is [`prompt_chunks`].
pub fn prompt_chunks_with(
    tokenizer: &ClipTokenizer,
    text: &str,
    embeddings: Option<&PromptEmbeddings>,
) -> Result<Vec<PromptChunk>, EmbeddingError> {
    Ok(tokenize_prompt(tokenizer, text, embeddings)?.chunks)
}

/// A1111's chunks and token count of `text` (the "N" of its counter counts each embedding vector).
pub fn tokenize_prompt(
    tokenizer: &ClipTokenizer,
    text: &str,
    embeddings: Option<&PromptEmbeddings>,
) -> Result<TokenizedPrompt, EmbeddingError> {
    let mut tokenize = |piece: &str| tokenizer.ids(piece);
    let parts = parse_prompt_attention(text)
        .into_iter()
        .map(|part| match part {
            PromptPart::Break => Ok(TokenizedPart::Break),
            PromptPart::Text { text, weight } => {
                let tokens = match embeddings {
                    Some(embeddings) => embeddings.tokens(&text, &mut tokenize)?,
                    None => tokenize(&text).into_iter().map(super::chunks::PromptToken::Word).collect(),
                };
                Ok(TokenizedPart::Tokens { tokens, weight })
            }
        })
        .collect::<Result<Vec<_>, EmbeddingError>>()?;
    Ok(chunk_tokens(&parts, tokenizer.comma_id(), COMMA_PADDING_BACKTRACK))
}

/// Chunks of a prompt and its negative prompt, padded with empty chunks to the same count so that
/// both fit one [uncond, cond] batch. This is A1111's "Pad prompt/negative prompt" option (each padding
/// chunk encodes like the empty prompt); with that option off, A1111 instead runs the two halves as
/// separate UNet calls when their lengths differ.
pub fn prompt_pair_chunks(tokenizer: &ClipTokenizer, prompt: &str, negative: &str) -> (Vec<PromptChunk>, Vec<PromptChunk>) {
    pad_pair(prompt_chunks(tokenizer, prompt), prompt_chunks(tokenizer, negative))
}

/// [`prompt_pair_chunks`] with textual-inversion embeddings in both prompts (A1111 reads them in the
/// negative prompt too).
pub fn prompt_pair_chunks_with(
    tokenizer: &ClipTokenizer,
    prompt: &str,
    negative: &str,
    embeddings: Option<&PromptEmbeddings>,
) -> Result<(Vec<PromptChunk>, Vec<PromptChunk>), EmbeddingError> {
    let positive = prompt_chunks_with(tokenizer, prompt, embeddings)?;
    Ok(pad_pair(positive, prompt_chunks_with(tokenizer, negative, embeddings)?))
}

fn pad_pair(mut positive: Vec<PromptChunk>, mut negative: Vec<PromptChunk>) -> (Vec<PromptChunk>, Vec<PromptChunk>) {
    let count = positive.len().max(negative.len());
    pad_to_chunk_count(&mut positive, count);
    pad_to_chunk_count(&mut negative, count);
    (positive, negative)
}

/// Encodes chunks into a context of shape [1, 77·k, width], each chunk's embedding vectors put in
/// place of its placeholder tokens' embeddings.
pub fn encode_chunks(encoder: &ClipTextEncoder, chunks: &[PromptChunk], clip_skip: ClipSkip) -> Result<Tensor<3>, EncodeError> {
    let rows: Vec<&[u32]> = chunks.iter().map(|chunk| chunk.ids.as_slice()).collect();
    let fixes: Vec<Vec<TokenFix>> = chunks.iter().map(chunk_fixes).collect();
    let hidden = apply_emphasis(encoder.encode_with_fixes(&rows, &fixes, clip_skip)?, chunks);
    let [k, tokens, width] = hidden.dims();
    Ok(hidden.reshape([1, k * tokens, width]))
}

fn chunk_fixes(chunk: &PromptChunk) -> Vec<TokenFix<'_>> {
    chunk.fixes.iter().map(|fix| TokenFix { position: fix.position, vectors: fix.embedding.values() }).collect()
}

/// A1111 "Original" emphasis, per chunk: z·w, then scaled back to the chunk's original mean.
/// Chunks whose weights are all 1 are left bit-for-bit untouched (A1111 multiplies by exactly 1).
fn apply_emphasis(hidden: Tensor<3>, chunks: &[PromptChunk]) -> Tensor<3> {
    if chunks.iter().all(|c| c.weights.iter().all(|&w| w == 1.0)) {
        return hidden;
    }
    let weights: Vec<f32> = chunks.iter().flat_map(|c| c.weights.iter().copied()).collect();
    let weights =
        Tensor::<2>::from_data(TensorData::new(weights, [chunks.len(), CONTEXT_LENGTH]), (&hidden.device(), hidden.dtype()))
            .unsqueeze_dim::<3>(2);
    let original_mean = chunk_means(hidden.clone());
    let weighted = hidden * weights;
    let new_mean = chunk_means(weighted.clone());
    let dtype = weighted.dtype();
    weighted * (original_mean / new_mean).cast(dtype)
}

/// Mean of each chunk over its tokens and channels, in f32 whatever the compute dtype (77×768 f16
/// values lose digits when summed in f16), shaped [k, 1, 1] for broadcasting.
fn chunk_means(hidden: Tensor<3>) -> Tensor<3> {
    hidden.cast(DType::F32).mean_dim(2).mean_dim(1)
}
