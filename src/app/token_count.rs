//! Prompt tokens per 75-token chunk, as A1111 counts them, recomputed only when the text changes.

use crate::prompt::chunks::{CHUNK_LENGTH, EOS};
use crate::prompt::conditioning::prompt_chunks;
use crate::prompt::tokenizer::ClipTokenizer;

/// Texts remembered (prompt and negative prompt, with room to spare).
const REMEMBERED: usize = 4;

#[derive(Default)]
pub struct TokenCounter {
    known: Vec<(String, Vec<usize>)>,
}

impl TokenCounter {
    /// Tokens used in each chunk of `text` (one entry per chunk; `[0]` for an empty prompt).
    pub fn count(&mut self, text: &str) -> Vec<usize> {
        if let Some((_, counts)) = self.known.iter().find(|(t, _)| t == text) {
            return counts.clone();
        }
        let counts = tokens_per_chunk(text);
        self.known.insert(0, (text.to_string(), counts.clone()));
        self.known.truncate(REMEMBERED);
        counts
    }
}

/// Tokens per chunk: the positions between BOS and the final EOS that are not EOS padding. Nothing for a
/// text longer than any prompt can be (a pasted megabyte is not tokenized on the UI thread; generating
/// says it is too long).
pub fn tokens_per_chunk(text: &str) -> Vec<usize> {
    if text.len() > crate::generate::MAX_PROMPT_CHARS {
        return vec![];
    }
    let Ok(tokenizer) = ClipTokenizer::shared() else { return vec![] };
    prompt_chunks(tokenizer, text)
        .iter()
        .map(|chunk| chunk.ids[1..=CHUNK_LENGTH].iter().filter(|&&id| id != EOS).count())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_a1111_chunks() {
        assert_eq!(tokens_per_chunk(""), vec![0]);
        // `1girl` is `1` + `girl`, then `,`, `long`, `hair`: 5 tokens (as `nurie prompt` shows).
        assert_eq!(tokens_per_chunk("1girl, (long hair:1.2)"), vec![5]);
        let long = "flowers, ".repeat(50);
        let counts = tokens_per_chunk(&long);
        assert_eq!(counts.len(), 2);
        assert_eq!(counts.iter().sum::<usize>(), 100, "50 × (flowers ,)");
    }

    #[test]
    fn repeated_texts_are_cached() {
        let mut counter = TokenCounter::default();
        assert_eq!(counter.count("cat"), vec![1]);
        assert_eq!(counter.count("cat"), vec![1]);
        assert_eq!(counter.known.len(), 1);
    }
}
