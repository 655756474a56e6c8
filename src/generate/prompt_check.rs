//! What a prompt may be: a bounded length, no NUL, emphasis weights a float can hold. Checked before any
//! model loads, so that a pasted or downloaded prompt fails in a moment with a message instead of
//! taking gigabytes and minutes.

use crate::prompt::chunks::CHUNK_LENGTH;
use crate::prompt::editing::{ScheduleSteps, prompt_schedule};
use crate::prompt::emphasis::{PromptPart, parse_prompt_attention};
use crate::prompt::{ClipTokenizer, prompt_chunks};

use super::request::RequestError;

/// The most 75-token chunks a prompt may have. A1111 sets no limit, but every chunk adds 77 positions of
/// cross-attention context to each UNet step and one more text-encoder pass: 32 chunks (2,400 tokens,
/// about ten times the longest prompts in shared pictures) cost tens of megabytes, where a 30 KB
/// `BREAK BREAK …` once took 2.3 GB and minutes.
pub const MAX_PROMPT_CHUNKS: usize = 32;

/// Prompts longer than this are refused before they are parsed or tokenized: even at 32 characters per
/// token (CLIP's tokens average about 4), no prompt within [`MAX_PROMPT_CHUNKS`] is longer.
pub const MAX_PROMPT_CHARS: usize = MAX_PROMPT_CHUNKS * CHUNK_LENGTH * 32;

/// Which of a generation's two prompts a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhichPrompt {
    Prompt,
    Negative,
}

impl std::fmt::Display for WhichPrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WhichPrompt::Prompt => "prompt",
            WhichPrompt::Negative => "negative prompt",
        })
    }
}

/// Checks one prompt; the tokenizer counts its chunks (when it cannot load, generation reports that).
pub fn check_prompt(which: WhichPrompt, text: &str) -> Result<(), RequestError> {
    if text.contains('\0') {
        return Err(RequestError::PromptNul { which });
    }
    let chars = text.chars().count();
    if chars > MAX_PROMPT_CHARS {
        return Err(RequestError::PromptTooLong { which, length: format!("{chars} characters") });
    }
    check_weights(which, &parse_prompt_attention(text))?;
    // Where A1111 raises on prompt editing (an infinite step, nesting beyond Python's recursion), so
    // does Nurie: before the models load. The step count does not change whether it fails.
    prompt_schedule(text, ScheduleSteps::new(1))
        .map_err(|error| RequestError::PromptEditing { which, message: error.to_string() })?;
    if let Ok(tokenizer) = ClipTokenizer::shared() {
        let chunks = prompt_chunks(tokenizer, text).len();
        if chunks > MAX_PROMPT_CHUNKS {
            return Err(RequestError::PromptTooLong { which, length: format!("{chunks} chunks of 75 tokens") });
        }
    }
    Ok(())
}

/// Emphasis multiplies: 50,000 nested brackets give a weight of 1.1^50000, which no float holds and
/// which turns the picture into NaN at the first step.
fn check_weights(which: WhichPrompt, parts: &[PromptPart]) -> Result<(), RequestError> {
    for part in parts {
        if let PromptPart::Text { text, weight } = part
            && !(*weight as f32).is_finite()
        {
            let text: String = text.chars().take(40).collect();
            return Err(RequestError::PromptWeight { which, text, weight: *weight });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_prompts_pass() {
        check_prompt(WhichPrompt::Prompt, "1girl, (masterpiece:1.2), [[sketch]] BREAK 線画, 水彩").unwrap();
        check_prompt(WhichPrompt::Negative, "").unwrap();
        let long_but_fine = "a detailed phrase, ".repeat(300); // ~1,200 tokens: 16 chunks
        check_prompt(WhichPrompt::Prompt, &long_but_fine).unwrap();
    }

    /// `"BREAK " × 5000` (30 KB) once took 2.3 GB and minutes on the tiny model.
    #[test]
    fn a_break_bomb_is_refused_with_its_chunk_count() {
        let error = check_prompt(WhichPrompt::Prompt, &"BREAK ".repeat(5000)).unwrap_err();
        assert!(error.to_string().contains("chunks") && error.to_string().contains(&MAX_PROMPT_CHUNKS.to_string()), "{error}");
    }

    /// A downloaded picture's `parameters` text of 1 MB of garbage once passed 6 GB.
    #[test]
    fn a_megabyte_of_text_is_refused_before_it_is_tokenized() {
        let garbage: String = (0..1_000_000u32).map(|i| char::from(b'!' + (i.wrapping_mul(2_654_435_761) % 90) as u8)).collect();
        let error = check_prompt(WhichPrompt::Negative, &garbage).unwrap_err();
        assert!(error.to_string().contains("1000000 characters") && error.to_string().contains("negative prompt"), "{error}");
    }

    #[test]
    fn an_overflowing_emphasis_and_a_nul_are_named() {
        let nested = format!("{}cat{}", "(".repeat(1000), ")".repeat(1000)); // 1.1^1000: beyond f32
        let error = check_prompt(WhichPrompt::Prompt, &nested).unwrap_err();
        assert!(matches!(&error, RequestError::PromptWeight { text, .. } if text == "cat"), "{error}");
        let error = check_prompt(WhichPrompt::Negative, "a [b:c:1e999]").unwrap_err();
        assert!(matches!(error, RequestError::PromptEditing { which: WhichPrompt::Negative, .. }), "{error}");
        let error = check_prompt(WhichPrompt::Prompt, "a\0b").unwrap_err();
        assert_eq!(error, RequestError::PromptNul { which: WhichPrompt::Prompt });
    }
}
