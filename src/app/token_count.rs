//! Prompt tokens per 75-token chunk, as A1111 counts them (each textual-inversion embedding counts
//! its vectors), recomputed only when the text changes.

use std::sync::Arc;

use crate::networks::embedding::EmbeddingLibrary;
use crate::prompt::PromptEmbeddings;
use crate::prompt::chunks::{CHUNK_LENGTH, EOS, PromptChunk};
use crate::prompt::conditioning::{prompt_chunks, prompt_chunks_with};
use crate::prompt::embedding_index::EmbeddingIndex;
use crate::prompt::tokenizer::ClipTokenizer;

/// Texts remembered (prompt and negative prompt, with room to spare).
const REMEMBERED: usize = 4;

#[derive(Default)]
pub struct TokenCounter {
    known: Vec<(String, Vec<usize>)>,
    /// The embeddings prompts may call, with their names tokenized once.
    embeddings: Option<(Arc<EmbeddingLibrary>, EmbeddingIndex)>,
}

impl TokenCounter {
    /// Counts with the embeddings of `library` from now on (`None`: none); forgets earlier counts.
    pub fn set_embeddings(&mut self, library: Option<Arc<EmbeddingLibrary>>) {
        self.known.clear();
        self.embeddings = library.and_then(|library| {
            let tokenizer = ClipTokenizer::shared().ok()?;
            let index = EmbeddingIndex::new(library.names(), &mut |name: &str| tokenizer.ids(name));
            Some((library, index))
        });
    }

    /// Tokens used in each chunk of `text` (one entry per chunk; `[0]` for an empty prompt).
    pub fn count(&mut self, text: &str) -> Vec<usize> {
        if let Some((_, counts)) = self.known.iter().find(|(t, _)| t == text) {
            return counts.clone();
        }
        let embeddings = self.embeddings.as_ref().map(|(library, index)| PromptEmbeddings::with_index(library, index, None));
        let counts = tokens_per_chunk_with(text, embeddings.as_ref());
        self.known.insert(0, (text.to_string(), counts.clone()));
        self.known.truncate(REMEMBERED);
        counts
    }
}

/// Tokens per chunk: the positions between BOS and the final EOS that are not EOS padding. Nothing for a
/// text longer than any prompt can be (a pasted megabyte is not tokenized on the UI thread; generating
/// says it is too long).
pub fn tokens_per_chunk(text: &str) -> Vec<usize> {
    tokens_per_chunk_with(text, None)
}

/// [`tokens_per_chunk`] with embeddings, each counting its vectors. A prompt that calls an embedding
/// whose file cannot be used is counted as if it had none (generating says what is wrong).
pub fn tokens_per_chunk_with(text: &str, embeddings: Option<&PromptEmbeddings>) -> Vec<usize> {
    if text.len() > crate::generate::MAX_PROMPT_CHARS {
        return vec![];
    }
    let Ok(tokenizer) = ClipTokenizer::shared() else { return vec![] };
    let chunks = prompt_chunks_with(tokenizer, text, embeddings).unwrap_or_else(|_| prompt_chunks(tokenizer, text));
    chunks.iter().map(used_tokens).collect()
}

fn used_tokens(chunk: &PromptChunk) -> usize {
    chunk.ids[1..=CHUNK_LENGTH].iter().filter(|&&id| id != EOS).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::networks::embedding::Embedding;

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

    #[test]
    fn embeddings_count_their_vectors() {
        let mut counter = TokenCounter::default();
        let plain = counter.count("a sksdog");
        let library = EmbeddingLibrary::from_embeddings([Embedding::new("sksdog", None, 4, vec![0.0; 20])]);
        counter.set_embeddings(Some(Arc::new(library)));
        assert_eq!(counter.count("a sksdog"), vec![6], "a + 5 vectors");
        assert_ne!(plain, vec![6]);
        counter.set_embeddings(None);
        assert_eq!(counter.count("a sksdog"), plain);
    }
}
