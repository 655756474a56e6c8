//! A1111's split of a parsed prompt into 77-token CLIP inputs, reproduced exactly from AUTOMATIC1111
//! stable-diffusion-webui's `modules/sd_hijack_clip.py` (`tokenize_line`, `PromptChunk`,
//! `empty_chunk`), for SD1's CLIP: `chunk_length = 75`, `id_start` = BOS, `id_end` = EOS and
//! `id_pad = id_end`.
//!
//! Each emphasis part is tokenized on its own (tokens never span a bracket boundary) and its tokens are
//! appended to the current chunk with the part's weight. A chunk holds 75 tokens; when a 76th arrives
//! the chunk is closed, except that if a comma sits among its last `comma_padding_backtrack` (20)
//! tokens, the tokens after that comma move on to the next chunk, so that a phrase is not cut in two.
//! A BREAK closes the current chunk early. Closed chunks are padded with EOS to 75 and framed as
//! `BOS, 75 tokens, EOS`; padding, BOS and EOS have weight 1.
//!
//! Textual-inversion embeddings arrive as [`PromptToken::Embedding`] (found by
//! `super::embeddings`): A1111 puts `count` placeholder tokens (id 0) with the part's weight, moving to
//! the next chunk first when they would not fit in this one (`if len(chunk.tokens) + emb_len >
//! chunk_length: next_chunk()`), and records a [`ChunkFix`] telling the text encoder where the vectors
//! go. One quirk is kept for A1111 parity: the comma back-off moves tokens but not fixes, so an
//! embedding among the moved tokens leaves id-0 tokens in the next chunk and its vectors over the
//! padding of the chunk it was moved out of (see `back_off_to_last_comma`).

use std::sync::Arc;

use super::emphasis::PromptPart;
use crate::networks::embedding::Embedding;

/// Prompt tokens per chunk, BOS and EOS not counted.
pub const CHUNK_LENGTH: usize = 75;
/// CLIP's `<|startoftext|>`.
pub const BOS: u32 = 49406;
/// CLIP's `<|endoftext|>`, which SD1 also uses as padding.
pub const EOS: u32 = 49407;
/// A1111's default `comma_padding_backtrack` ("Prompt word wrap length limit", 0..=74, 0 disables).
pub const COMMA_PADDING_BACKTRACK: usize = 20;
/// The token id A1111 writes where an embedding's vectors go (`[0] * emb_len`); the text encoder
/// replaces those rows, so the id only matters where a fix does not cover it (the back-off quirk).
pub const EMBEDDING_PLACEHOLDER: u32 = 0;

/// One element of a part's token stream: a CLIP token, or an embedding found at that point.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptToken {
    Word(u32),
    /// `first_token` is the first token of the name as written (A1111 still checks it against the
    /// comma); `None` for a ComfyUI `embedding:NAME`, which has no token.
    Embedding {
        first_token: Option<u32>,
        embedding: Arc<Embedding>,
    },
}

/// A parsed prompt part with its text turned into tokens.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenizedPart {
    Tokens { tokens: Vec<PromptToken>, weight: f64 },
    Break,
}

/// Where an embedding's vectors go in a chunk (A1111's `PromptChunkFix`): `position` is the index in
/// the 77-token row of the first vector (A1111's offset + 1, after BOS).
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkFix {
    pub position: usize,
    pub embedding: Arc<Embedding>,
}

/// One 77-token CLIP input: BOS, 75 tokens (EOS-padded), EOS, with one multiplier per position (1.0
/// at BOS/EOS/padding), and the embeddings whose vectors replace some of its token embeddings.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptChunk {
    pub ids: Vec<u32>,
    pub weights: Vec<f32>,
    pub fixes: Vec<ChunkFix>,
}

impl PromptChunk {
    /// A1111's `empty_chunk()`: BOS then 76 EOS, all weights 1. It is also exactly what the empty
    /// prompt chunks to.
    pub fn empty() -> Self {
        Self::framed(Vec::new(), Vec::new(), Vec::new())
    }

    /// Pads `tokens` with EOS to [`CHUNK_LENGTH`] and frames them with BOS and EOS. A1111 keeps
    /// multipliers as Python floats until `torch.asarray` makes them float32; rounding each one to
    /// `f32` here gives the same values.
    fn framed(mut ids: Vec<u32>, mut weights: Vec<f64>, fixes: Vec<ChunkFix>) -> Self {
        let padding = CHUNK_LENGTH.saturating_sub(ids.len());
        ids.extend(std::iter::repeat_n(EOS, padding));
        weights.extend(std::iter::repeat_n(1.0, padding));
        let ids = std::iter::once(BOS).chain(ids).chain([EOS]).collect();
        let weights = std::iter::once(1.0).chain(weights).chain([1.0]).map(|w| w as f32).collect();
        Self { ids, weights, fixes }
    }
}

/// The chunks of one prompt and A1111's token count for it (see [`token_count`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenizedPrompt {
    pub chunks: Vec<PromptChunk>,
    pub token_count: usize,
}

/// A1111's `tokenize_line` with its default comma back-off. `tokenize` turns text into CLIP ids
/// without BOS/EOS and must return nothing for `""`; `comma_id` is the id of "," (267 for SD1 CLIP,
/// taken as a parameter).
pub fn chunk_prompt(parts: &[PromptPart], tokenize: &mut dyn FnMut(&str) -> Vec<u32>, comma_id: u32) -> Vec<PromptChunk> {
    tokenize_line(parts, tokenize, comma_id, COMMA_PADDING_BACKTRACK).chunks
}

/// A1111's token count of a prompt, the `N` of its "N/75" counter (`tokenize_line`'s second result,
/// shown by `get_prompt_lengths`). It is not simply the number of tokens: every chunk but the last
/// counts as a full 75, however early a BREAK or a comma back-off closed it, and the last counts its
/// real tokens. So `""` → 0, `"a BREAK b"` → 76, `"a BREAK"` → 75, `"BREAK"` → 75.
pub fn token_count(parts: &[PromptPart], tokenize: &mut dyn FnMut(&str) -> Vec<u32>, comma_id: u32) -> usize {
    tokenize_line(parts, tokenize, comma_id, COMMA_PADDING_BACKTRACK).token_count
}

/// The `M` of A1111's "N/M" counter (`get_target_prompt_token_count`): the token capacity of the
/// chunks needed for `token_count`, at least one chunk.
pub fn target_token_count(token_count: usize) -> usize {
    token_count.max(1).div_ceil(CHUNK_LENGTH) * CHUNK_LENGTH
}

/// A1111's `tokenize_line` with an explicit `comma_padding_backtrack` (0 disables the comma
/// back-off). Always returns at least one chunk.
pub fn tokenize_line(
    parts: &[PromptPart],
    tokenize: &mut dyn FnMut(&str) -> Vec<u32>,
    comma_id: u32,
    comma_padding_backtrack: usize,
) -> TokenizedPrompt {
    let parts: Vec<TokenizedPart> = parts
        .iter()
        .map(|part| match part {
            PromptPart::Break => TokenizedPart::Break,
            PromptPart::Text { text, weight } => {
                TokenizedPart::Tokens { tokens: tokenize(text).into_iter().map(PromptToken::Word).collect(), weight: *weight }
            }
        })
        .collect();
    chunk_tokens(&parts, comma_id, comma_padding_backtrack)
}

/// A1111's `tokenize_line` on parts already tokenized, embeddings included. Always returns at least
/// one chunk.
pub fn chunk_tokens(parts: &[TokenizedPart], comma_id: u32, comma_padding_backtrack: usize) -> TokenizedPrompt {
    let mut builder = ChunkBuilder::new(comma_id, comma_padding_backtrack);
    for part in parts {
        match part {
            TokenizedPart::Break => builder.close_chunk(),
            TokenizedPart::Tokens { tokens, weight } => {
                for token in tokens {
                    builder.push(token, *weight);
                }
            }
        }
    }
    builder.finish()
}

/// Pads `chunks` with empty chunks (BOS, 76×EOS, weights 1) up to `count` — used to give the
/// negative prompt the same chunk count as the prompt. This is A1111's "Pad prompt/negative prompt"
/// option (`pad_cond_uncond`, off by default), which appends the encoding of the empty prompt: since
/// chunks are encoded independently and all-1 weights leave an encoding untouched, padding with
/// [`PromptChunk::empty`] before encoding gives the same tensor. Longer lists are left as they are.
pub fn pad_to_chunk_count(chunks: &mut Vec<PromptChunk>, count: usize) {
    if chunks.len() < count {
        chunks.resize(count, PromptChunk::empty());
    }
}

/// The state of A1111's `tokenize_line` loop: finished chunks, the open chunk and its last comma.
struct ChunkBuilder {
    chunks: Vec<PromptChunk>,
    ids: Vec<u32>,
    weights: Vec<f64>,
    fixes: Vec<ChunkFix>,
    /// Index in the open chunk of its last comma (A1111's `last_comma`, -1 there).
    last_comma: Option<usize>,
    token_count: usize,
    comma_id: u32,
    backtrack: usize,
}

impl ChunkBuilder {
    fn new(comma_id: u32, backtrack: usize) -> Self {
        Self {
            chunks: Vec::new(),
            ids: Vec::with_capacity(CHUNK_LENGTH),
            weights: Vec::with_capacity(CHUNK_LENGTH),
            fixes: Vec::new(),
            last_comma: None,
            token_count: 0,
            comma_id,
            backtrack,
        }
    }

    /// One token, in A1111's order of checks: a comma only records its position; any other token
    /// arriving at a full chunk first tries the comma back-off; a chunk still full is then closed.
    /// So a comma arriving at a full chunk never backs off: it just opens the next chunk.
    /// An embedding is checked the same way, by the first token of its name.
    fn push(&mut self, token: &PromptToken, weight: f64) {
        let first = match token {
            PromptToken::Word(id) => Some(*id),
            PromptToken::Embedding { first_token, .. } => *first_token,
        };
        if first == Some(self.comma_id) {
            self.last_comma = Some(self.ids.len());
        } else if self.ids.len() == CHUNK_LENGTH {
            self.back_off_to_last_comma();
        }
        if self.ids.len() == CHUNK_LENGTH {
            self.close_chunk();
        }
        match token {
            PromptToken::Word(id) => {
                self.ids.push(*id);
                self.weights.push(weight);
            }
            PromptToken::Embedding { embedding, .. } => self.push_embedding(embedding, weight),
        }
    }

    /// A1111: the vectors never straddle two chunks; a chunk that cannot take them all is closed
    /// first (the comma back-off is not tried here). Each vector takes one placeholder token with the
    /// part's weight.
    fn push_embedding(&mut self, embedding: &Arc<Embedding>, weight: f64) {
        let count = embedding.count();
        if self.ids.len() + count > CHUNK_LENGTH {
            self.close_chunk();
        }
        self.fixes.push(ChunkFix { position: self.ids.len() + 1, embedding: Arc::clone(embedding) });
        self.ids.extend(std::iter::repeat_n(EMBEDDING_PLACEHOLDER, count));
        self.weights.extend(std::iter::repeat_n(weight, count));
    }

    /// A1111: `len(chunk.tokens) - last_comma <= opts.comma_padding_backtrack` (and the setting is not
    /// 0): close the chunk right after its last comma and carry the tokens after it, with their
    /// weights, into the next one. A comma in the chunk's last slot moves nothing.
    ///
    /// A1111 moves `chunk.tokens` and `chunk.multipliers` but not `chunk.fixes`: a fix among the moved
    /// tokens stays with the closed chunk (its vectors then land on that chunk's EOS padding) and the
    /// moved placeholders reach the next chunk as plain id-0 tokens. Kept as is, for A1111 parity.
    fn back_off_to_last_comma(&mut self) {
        let Some(comma) = self.last_comma else { return };
        if self.backtrack == 0 || self.ids.len().saturating_sub(comma) > self.backtrack {
            return;
        }
        let moved_ids = self.ids.split_off(comma + 1);
        let moved_weights = self.weights.split_off(comma + 1);
        self.close_chunk();
        self.ids = moved_ids;
        self.weights = moved_weights;
    }

    /// A1111's `next_chunk()`: counts a full 75 tokens whatever the chunk holds, pads, frames and
    /// forgets the last comma. A BREAK on an empty chunk therefore emits an all-padding chunk.
    fn close_chunk(&mut self) {
        self.token_count += CHUNK_LENGTH;
        self.seal();
    }

    fn seal(&mut self) {
        let ids = std::mem::replace(&mut self.ids, Vec::with_capacity(CHUNK_LENGTH));
        let weights = std::mem::replace(&mut self.weights, Vec::with_capacity(CHUNK_LENGTH));
        let fixes = std::mem::take(&mut self.fixes);
        self.chunks.push(PromptChunk::framed(ids, weights, fixes));
        self.last_comma = None;
    }

    /// A1111's `if chunk.tokens or not chunks: next_chunk(is_last=True)`: the open chunk is kept only
    /// if it has tokens or is the only one (the empty prompt), and counts its real tokens. An empty
    /// chunk left by a trailing BREAK or a full last chunk is dropped.
    fn finish(mut self) -> TokenizedPrompt {
        if !self.ids.is_empty() || self.chunks.is_empty() {
            self.token_count += self.ids.len();
            self.seal();
        }
        TokenizedPrompt { chunks: self.chunks, token_count: self.token_count }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMA: u32 = 267;

    /// Fake CLIP: whitespace-separated words; "," is the comma, "tN" is id 1000+N, anything else 500.
    fn fake_tokenize(text: &str) -> Vec<u32> {
        text.split_whitespace()
            .map(|word| match word {
                "," => COMMA,
                _ => word.strip_prefix('t').and_then(|n| n.parse::<u32>().ok()).map_or(500, |n| 1000 + n),
            })
            .collect()
    }

    /// `count` words "t{first}" … numbered on.
    fn words(first: usize, count: usize) -> String {
        (first..first + count).map(|n| format!("t{n} ")).collect()
    }

    fn ids(range: std::ops::Range<usize>) -> Vec<u32> {
        range.map(|n| 1000 + n as u32).collect()
    }

    fn text(text: &str, weight: f64) -> PromptPart {
        PromptPart::Text { text: text.to_owned(), weight }
    }

    fn run(parts: &[PromptPart]) -> TokenizedPrompt {
        run_with_backtrack(parts, COMMA_PADDING_BACKTRACK)
    }

    fn run_with_backtrack(parts: &[PromptPart], backtrack: usize) -> TokenizedPrompt {
        let result = tokenize_line(parts, &mut fake_tokenize, COMMA, backtrack);
        for chunk in &result.chunks {
            assert_eq!(chunk.ids.len(), 77);
            assert_eq!(chunk.weights.len(), 77);
            assert_eq!((chunk.ids[0], chunk.ids[76]), (BOS, EOS));
            assert_eq!((chunk.weights[0], chunk.weights[76]), (1.0, 1.0));
        }
        result
    }

    /// The tokens of a chunk between BOS and the EOS padding.
    fn content(chunk: &PromptChunk) -> Vec<u32> {
        let body = &chunk.ids[1..76];
        let len = body.iter().rposition(|&id| id != EOS).map_or(0, |i| i + 1);
        body[..len].to_vec()
    }

    fn contents(result: &TokenizedPrompt) -> Vec<Vec<u32>> {
        result.chunks.iter().map(content).collect()
    }

    #[test]
    fn exactly_75_tokens_is_one_chunk() {
        // The 75th token fills the chunk; it is only closed when a 76th arrives.
        let result = run(&[text(&words(0, 75), 1.0)]);
        assert_eq!(contents(&result), [ids(0..75)]);
        assert_eq!(result.token_count, 75);
    }

    #[test]
    fn token_76_opens_a_second_chunk() {
        let result = run(&[text(&words(0, 76), 1.0)]);
        assert_eq!(contents(&result), [ids(0..75), ids(75..76)]);
        assert_eq!(result.chunks[1].ids[2..].to_vec(), vec![EOS; 75]);
        assert_eq!(result.token_count, 76);
        assert_eq!(target_token_count(result.token_count), 150);
    }

    #[test]
    fn comma_within_last_20_moves_the_rest_to_the_next_chunk() {
        // Comma at index 60; the 76th token finds the chunk full with 75 - 60 = 15 <= 20 tokens since
        // the comma, so tokens 61..75 move to the next chunk.
        let prompt = format!("{} , {}", words(0, 60), words(60, 20));
        let result = run(&[text(&prompt, 1.0)]);
        let mut first = ids(0..60);
        first.push(COMMA);
        assert_eq!(contents(&result), [first, ids(60..80)]);
        // The moved-out chunk still counts 75.
        assert_eq!(result.token_count, 75 + 20);
    }

    #[test]
    fn comma_exactly_20_back_still_backs_off() {
        // Comma at index 55: 75 - 55 = 20 <= 20.
        let result = run(&[text(&format!("{} , {}", words(0, 55), words(55, 25)), 1.0)]);
        assert_eq!(content(&result.chunks[0]).len(), 56);
        assert_eq!(content(&result.chunks[1]), ids(55..80));
    }

    #[test]
    fn comma_21_back_does_not_back_off() {
        // Comma at index 54: 75 - 54 = 21 > 20, a plain split at 75.
        let result = run(&[text(&format!("{} , {}", words(0, 54), words(54, 25)), 1.0)]);
        assert_eq!(content(&result.chunks[0]).len(), 75);
        assert_eq!(content(&result.chunks[1]), ids(74..79));
    }

    #[test]
    fn comma_in_the_last_slot_moves_nothing() {
        // Comma at index 74: back-off closes the chunk after the comma, with nothing to move.
        let result = run(&[text(&format!("{} , {}", words(0, 74), words(74, 3)), 1.0)]);
        let mut first = ids(0..74);
        first.push(COMMA);
        assert_eq!(contents(&result), [first, ids(74..77)]);
    }

    #[test]
    fn comma_arriving_at_a_full_chunk_does_not_back_off() {
        // Comma at 60, chunk filled to 75; the 76th token is itself a comma: A1111 only records it
        // (`last_comma = 75`), then the full chunk is closed as is, and the comma opens the next.
        let prompt = format!("{} , {} , t99", words(0, 60), words(60, 14));
        let result = run(&[text(&prompt, 1.0)]);
        assert_eq!(content(&result.chunks[0]).len(), 75);
        assert_eq!(content(&result.chunks[1]), [COMMA, 1099]);
    }

    #[test]
    fn backtrack_zero_disables_back_off() {
        let prompt = format!("{} , {}", words(0, 70), words(70, 10));
        let result = run_with_backtrack(&[text(&prompt, 1.0)], 0);
        assert_eq!(content(&result.chunks[0]).len(), 75);
        assert_eq!(content(&result.chunks[1]), ids(74..80));
    }

    #[test]
    fn last_comma_is_forgotten_when_a_chunk_closes() {
        // Comma at index 70, then BREAK closes the chunk. The next chunk has no comma, so its
        // overflow splits plainly at 75 (a stale last_comma = 70 would move tokens 71.. back).
        let parts = [text(&format!("{} ,", words(0, 70)), 1.0), PromptPart::Break, text(&words(100, 80), 1.0)];
        let result = run(&parts);
        assert_eq!(contents(&result)[1..], [ids(100..175), ids(175..180)]);
    }

    #[test]
    fn last_comma_survives_across_parts() {
        // last_comma is only reset by a chunk closing, not by a new emphasis part.
        let parts = [text(&format!("{} ,", words(0, 60)), 1.0), text(&words(60, 20), 1.3)];
        let result = run(&parts);
        assert_eq!(content(&result.chunks[0]).len(), 61);
        assert_eq!(content(&result.chunks[1]), ids(60..80));
    }

    #[test]
    fn weights_follow_their_tokens_even_when_moved() {
        let parts = [text(&format!("{} ,", words(0, 60)), 1.0), text(&words(60, 20), 1.3)];
        let result = run(&parts);
        let first = &result.chunks[0].weights;
        assert!(first[1..62].iter().all(|&w| w == 1.0));
        assert!(first[62..].iter().all(|&w| w == 1.0), "padding has weight 1");
        let second = &result.chunks[1].weights;
        assert!(second[1..21].iter().all(|&w| w == 1.3_f64 as f32));
        assert!(second[21..].iter().all(|&w| w == 1.0));
    }

    #[test]
    fn weights_are_rounded_to_f32() {
        let result = run(&[text("t1", 1.5730000000000004), text("t2", -1.1)]);
        assert_eq!(&result.chunks[0].weights[..4], [1.0, 1.5730000000000004_f64 as f32, -1.1_f32, 1.0]);
    }

    #[test]
    fn break_starts_a_new_chunk() {
        let result = run(&[text("t1", 1.0), PromptPart::Break, text("t2", 1.0)]);
        assert_eq!(contents(&result), [ids(1..2), ids(2..3)]);
        // The chunk closed by BREAK counts as 75.
        assert_eq!(result.token_count, 76);
    }

    #[test]
    fn break_at_the_start_emits_an_empty_chunk() {
        // "BREAK t1" parses to ["", BREAK, "t1"]: next_chunk() runs on the empty chunk and keeps it.
        let result = run(&[text("", 1.0), PromptPart::Break, text("t1", 1.0)]);
        assert_eq!(result.chunks[0], PromptChunk::empty());
        assert_eq!(contents(&result), [vec![], ids(1..2)]);
        assert_eq!(result.token_count, 76);
    }

    #[test]
    fn double_break_emits_an_empty_chunk_between() {
        let parts = [text("t1", 1.0), PromptPart::Break, text("", 1.0), PromptPart::Break, text("t2", 1.0)];
        let result = run(&parts);
        assert_eq!(contents(&result), [ids(1..2), vec![], ids(2..3)]);
        assert_eq!(result.token_count, 151);
    }

    #[test]
    fn trailing_break_adds_no_chunk() {
        // After the BREAK the open chunk is empty and not the only one, so it is dropped.
        let result = run(&[text("t1", 1.0), PromptPart::Break, text("", 1.0)]);
        assert_eq!(contents(&result), [ids(1..2)]);
        assert_eq!(result.token_count, 75);
    }

    #[test]
    fn break_alone_is_one_empty_chunk_counting_75() {
        let result = run(&[text("", 1.0), PromptPart::Break, text("", 1.0)]);
        assert_eq!(result.chunks, [PromptChunk::empty()]);
        assert_eq!(result.token_count, 75);
    }

    #[test]
    fn break_after_a_full_chunk_adds_no_empty_chunk() {
        // The 75-token chunk is still open (closing is lazy), so BREAK closes it and nothing else.
        let result = run(&[text(&words(0, 75), 1.0), PromptPart::Break, text("t99", 1.0)]);
        assert_eq!(contents(&result), [ids(0..75), ids(99..100)]);
        assert_eq!(result.token_count, 76);
    }

    #[test]
    fn break_word_with_a_weight_is_just_text() {
        // "(a BREAK b)" parses to the text "BREAK" weighted -1.1: tokenized like any word.
        let result = run(&[text("t1", 1.1), text("BREAK", -1.1), text("t2", 1.1)]);
        assert_eq!(contents(&result), [vec![1001, 500, 1002]]);
        assert_eq!(result.chunks[0].weights[2], -1.1_f32);
    }

    #[test]
    fn empty_prompt_is_one_empty_chunk() {
        // `if chunk.tokens or not chunks`: the only chunk is kept even though it is empty.
        let result = run(&[text("", 1.0)]);
        assert_eq!(result.chunks.len(), 1);
        let mut expected_ids = vec![BOS];
        expected_ids.extend([EOS; 76]);
        assert_eq!(result.chunks[0].ids, expected_ids);
        assert_eq!(result.chunks[0].weights, vec![1.0; 77]);
        assert_eq!(result.token_count, 0);
        assert_eq!(target_token_count(0), 75);
        assert_eq!(run(&[]).chunks, [PromptChunk::empty()]);
    }

    #[test]
    fn public_wrappers_use_the_default_backtrack() {
        let parts = [text(&format!("{} , {}", words(0, 60), words(60, 20)), 1.0)];
        let chunks = chunk_prompt(&parts, &mut fake_tokenize, COMMA);
        assert_eq!(chunks, run(&parts).chunks);
        assert_eq!(token_count(&parts, &mut fake_tokenize, COMMA), 95);
    }

    #[test]
    fn each_part_is_tokenized_separately() {
        let mut seen = Vec::new();
        let mut tokenize = |s: &str| {
            seen.push(s.to_owned());
            fake_tokenize(s)
        };
        chunk_prompt(&[text("t1 ", 1.0), text("t2", 1.1), PromptPart::Break], &mut tokenize, COMMA);
        assert_eq!(seen, ["t1 ", "t2"]);
    }

    #[test]
    fn padding_to_chunk_count() {
        let mut chunks = run(&[text("t1", 1.2)]).chunks;
        let original = chunks[0].clone();
        pad_to_chunk_count(&mut chunks, 3);
        assert_eq!(chunks, [original.clone(), PromptChunk::empty(), PromptChunk::empty()]);
        pad_to_chunk_count(&mut chunks, 1);
        assert_eq!(chunks.len(), 3, "never truncates");
        let empty = PromptChunk::empty();
        assert_eq!((empty.ids[0], &empty.ids[1..]), (BOS, &[EOS; 76][..]));
        assert_eq!(empty.weights, vec![1.0; 77]);
    }

    #[test]
    fn target_token_count_rounds_up_to_chunks() {
        assert_eq!([1, 75, 76, 150, 151].map(target_token_count), [75, 75, 150, 150, 225]);
    }

    fn embedding(name: &str, count: usize) -> Arc<Embedding> {
        Arc::new(Embedding::new(name, None, 1, (0..count).map(|i| i as f32).collect()))
    }

    /// `words` as word tokens, then `embedding`, then `after` words, in one part of `weight`.
    fn with_embedding(before: &str, embedding: &Arc<Embedding>, after: &str, weight: f64) -> TokenizedPart {
        let mut tokens: Vec<PromptToken> = fake_tokenize(before).into_iter().map(PromptToken::Word).collect();
        tokens.push(PromptToken::Embedding { first_token: Some(2000), embedding: Arc::clone(embedding) });
        tokens.extend(fake_tokenize(after).into_iter().map(PromptToken::Word));
        TokenizedPart::Tokens { tokens, weight }
    }

    fn run_tokens(parts: &[TokenizedPart]) -> TokenizedPrompt {
        chunk_tokens(parts, COMMA, COMMA_PADDING_BACKTRACK)
    }

    fn fix_positions(chunk: &PromptChunk) -> Vec<(usize, String)> {
        chunk.fixes.iter().map(|fix| (fix.position, fix.embedding.name().to_string())).collect()
    }

    #[test]
    fn embedding_takes_placeholders_with_its_weight() {
        let three = embedding("three", 3);
        let result = run_tokens(&[with_embedding("t0 t1", &three, "t2", 1.25)]);
        assert_eq!(content(&result.chunks[0]), [1000, 1001, 0, 0, 0, 1002]);
        assert!(result.chunks[0].weights[1..7].iter().all(|&w| w == 1.25));
        assert_eq!(result.chunks[0].weights[7], 1.0);
        assert_eq!(fix_positions(&result.chunks[0]), [(3, "three".to_string())]);
        assert_eq!(result.token_count, 6);
    }

    #[test]
    fn embedding_that_would_straddle_75_moves_whole_to_the_next_chunk() {
        // 73 tokens, then 3 vectors: 73 + 3 > 75, so A1111 closes the chunk first (padded with 2 EOS)
        // and the vectors take positions 1..=3 of the next; t99 follows at 4.
        let three = embedding("three", 3);
        let result = run_tokens(&[with_embedding(&words(0, 73), &three, "t99", 1.0)]);
        assert_eq!(contents(&result), [ids(0..73), vec![0, 0, 0, 1099]]);
        assert_eq!(result.chunks[0].ids[74..], [EOS, EOS, EOS]);
        assert!(result.chunks[0].fixes.is_empty());
        assert_eq!(fix_positions(&result.chunks[1]), [(1, "three".to_string())]);
        assert_eq!(result.token_count, 75 + 4);
    }

    #[test]
    fn embedding_that_just_fits_ends_the_chunk() {
        // 72 + 3 = 75: it fits, at positions 73..=75; the next token opens chunk 2.
        let three = embedding("three", 3);
        let result = run_tokens(&[with_embedding(&words(0, 72), &three, "t99", 1.0)]);
        let mut first = ids(0..72);
        first.extend([0, 0, 0]);
        assert_eq!(contents(&result), [first, vec![1099]]);
        assert_eq!(fix_positions(&result.chunks[0]), [(73, "three".to_string())]);
        // At a full chunk the embedding first closes it like any token.
        let result = run_tokens(&[with_embedding(&words(0, 75), &three, "", 1.0)]);
        assert_eq!(contents(&result), [ids(0..75), vec![0, 0, 0]]);
        assert_eq!(fix_positions(&result.chunks[1]), [(1, "three".to_string())]);
    }

    #[test]
    fn comma_back_off_moves_placeholders_but_leaves_the_fix_behind() {
        // t0..t59, `,` at index 60, t61..t69 at 61..69, 3 vectors at 70..72, t80 t81 at 73..74: full.
        // t82 finds 75 - 60 = 15 <= 20 tokens since the comma, so indices 61.. move on. A1111 moves
        // tokens and multipliers only: the fix stays in chunk 1 at position 71 (over its padding),
        // and chunk 2 gets three plain id-0 tokens without a fix.
        let three = embedding("three", 3);
        let before = format!("{} , {}", words(0, 60), words(61, 9));
        let result = run_tokens(&[with_embedding(&before, &three, "t80 t81 t82", 1.0)]);
        let mut first = ids(0..60);
        first.push(COMMA);
        let mut second = ids(61..70);
        second.extend([0, 0, 0, 1080, 1081, 1082]);
        assert_eq!(contents(&result), [first, second]);
        assert_eq!(fix_positions(&result.chunks[0]), [(71, "three".to_string())]);
        assert_eq!(result.chunks[0].ids[71], EOS);
        assert!(result.chunks[1].fixes.is_empty());
        assert_eq!(result.token_count, 75 + 15);
    }

    #[test]
    fn fix_before_the_comma_stays_where_it_is() {
        // The embedding sits at 50..52, before the comma at 60: the back-off moves only 61.., so the
        // fix and its placeholders stay together in chunk 1.
        let three = embedding("three", 3);
        let after = format!("{} , {}", words(53, 7), words(61, 20));
        let result = run_tokens(&[with_embedding(&words(0, 50), &three, &after, 1.0)]);
        assert_eq!(fix_positions(&result.chunks[0]), [(51, "three".to_string())]);
        assert_eq!(result.chunks[0].ids[51..54], [0, 0, 0]);
        assert_eq!(content(&result.chunks[0]).len(), 61);
        assert_eq!(content(&result.chunks[1]), ids(61..81));
    }

    #[test]
    fn embedding_named_like_a_comma_counts_as_one() {
        // A1111 checks the embedding's first token against the comma, like any token.
        let one = embedding("one", 1);
        let comma_named = PromptToken::Embedding { first_token: Some(COMMA), embedding: Arc::clone(&one) };
        let mut tokens: Vec<PromptToken> = fake_tokenize(&words(0, 60)).into_iter().map(PromptToken::Word).collect();
        tokens.push(comma_named);
        tokens.extend(fake_tokenize(&words(61, 20)).into_iter().map(PromptToken::Word));
        let result = run_tokens(&[TokenizedPart::Tokens { tokens, weight: 1.0 }]);
        // The comma is at index 60, so tokens 61.. move on at the 76th.
        assert_eq!(content(&result.chunks[0]).len(), 61);
        assert_eq!(content(&result.chunks[1]), ids(61..81));
    }

    #[test]
    fn word_tokens_chunk_like_tokenize_line() {
        let prompt = format!("{} , {}", words(0, 60), words(60, 20));
        let parts = [text(&prompt, 1.0), PromptPart::Break, text("t1", 1.1)];
        let tokenized: Vec<TokenizedPart> = parts
            .iter()
            .map(|part| match part {
                PromptPart::Break => TokenizedPart::Break,
                PromptPart::Text { text, weight } => TokenizedPart::Tokens {
                    tokens: fake_tokenize(text).into_iter().map(PromptToken::Word).collect(),
                    weight: *weight,
                },
            })
            .collect();
        assert_eq!(run_tokens(&tokenized), run(&parts));
    }

    #[test]
    fn random_parts_never_panic() {
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..500 {
            let parts: Vec<PromptPart> = (0..next(12))
                .map(|_| match next(4) {
                    0 => PromptPart::Break,
                    _ => {
                        let words: String = (0..next(60)).map(|_| if next(5) == 0 { ", " } else { "t7 " }).collect();
                        text(&words, next(3) as f64 * 0.5)
                    }
                })
                .collect();
            for backtrack in [0, 1, 20, 74, 75, 200] {
                let result = run_with_backtrack(&parts, backtrack);
                assert!(!result.chunks.is_empty());
            }
        }
    }

    #[test]
    fn random_tokens_with_embeddings_keep_chunks_whole() {
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..500 {
            let parts: Vec<TokenizedPart> = (0..next(8))
                .map(|_| match next(5) {
                    0 => TokenizedPart::Break,
                    _ => TokenizedPart::Tokens {
                        tokens: (0..next(80))
                            .map(|_| match next(8) {
                                0 => PromptToken::Embedding {
                                    first_token: Some(2000),
                                    embedding: embedding("e", next(76) as usize),
                                },
                                1 => PromptToken::Word(COMMA),
                                _ => PromptToken::Word(1007),
                            })
                            .collect(),
                        weight: 1.0,
                    },
                })
                .collect();
            for backtrack in [0, 20, 75] {
                for chunk in chunk_tokens(&parts, COMMA, backtrack).chunks {
                    assert_eq!((chunk.ids.len(), chunk.weights.len()), (77, 77));
                    assert!(chunk.fixes.iter().all(|fix| fix.position >= 1 && fix.position + fix.embedding.count() <= 76));
                }
            }
        }
    }
}
