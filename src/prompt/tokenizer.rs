//! CLIP's byte-pair-encoding tokenizer, through the `tokenizers` crate, from the vocabulary bundled in
//! the binary (`assets/clip/tokenizer.json`, see `assets/clip/LICENSE-CLIP.txt`).

use std::sync::OnceLock;

use tokenizers::Tokenizer;

use super::chunks::{BOS, EOS};
use super::text_cleanup::fix_text;

const TOKENIZER_JSON: &[u8] = include_bytes!("../../assets/clip/tokenizer.json");

/// Number of positions of the SD1.x text encoder.
pub const CONTEXT_LENGTH: usize = 77;

#[derive(Debug, thiserror::Error)]
#[error("the bundled CLIP tokenizer could not be loaded: {0}")]
pub struct TokenizerError(String);

/// The SD1.x CLIP tokenizer.
pub struct ClipTokenizer {
    inner: Tokenizer,
    comma_id: u32,
}

impl ClipTokenizer {
    /// The bundled tokenizer, parsed once per process.
    pub fn shared() -> Result<&'static ClipTokenizer, TokenizerError> {
        static SHARED: OnceLock<Result<ClipTokenizer, String>> = OnceLock::new();
        SHARED.get_or_init(|| Self::load().map_err(|e| e.0)).as_ref().map_err(|e| TokenizerError(e.clone()))
    }

    fn load() -> Result<Self, TokenizerError> {
        let inner = Tokenizer::from_bytes(TOKENIZER_JSON).map_err(|e| TokenizerError(e.to_string()))?;
        let comma_id = inner.token_to_id(",</w>").ok_or_else(|| TokenizerError("the vocabulary has no `,` token".into()))?;
        Ok(Self { inner, comma_id })
    }

    /// Token id of ",", which A1111's chunking backs off to.
    pub fn comma_id(&self) -> u32 {
        self.comma_id
    }

    /// Ids of `text` without BOS/EOS, after the cleanup A1111's tokenizer applies (see
    /// [`fix_text`]). Text the vocabulary cannot represent never fails: CLIP's byte-level BPE covers
    /// every byte.
    pub fn ids(&self, text: &str) -> Vec<u32> {
        match self.inner.encode(fix_text(text).as_ref(), false) {
            Ok(encoding) => encoding.get_ids().to_vec(),
            // The byte-level model cannot fail on valid UTF-8; an empty result is the safe fallback.
            Err(_) => Vec::new(),
        }
    }

    /// Ids with BOS and EOS, not truncated (what CLIP's own tokenizer returns).
    pub fn ids_with_specials(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::with_capacity(CONTEXT_LENGTH);
        ids.push(BOS);
        ids.extend(self.ids(text));
        ids.push(EOS);
        ids
    }

    /// The plain 77-token input diffusers feeds SD1.x (no emphasis, no chunking): truncated to 77 with
    /// EOS last, padded with EOS.
    pub fn pipeline_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = self.ids_with_specials(text);
        if ids.len() > CONTEXT_LENGTH {
            ids.truncate(CONTEXT_LENGTH - 1);
            ids.push(EOS);
        }
        ids.resize(CONTEXT_LENGTH, EOS);
        ids
    }
}
