//! A prompt part's text turned into tokens with its textual-inversion embeddings found, as A1111's
//! `tokenize_line` finds them (by token, through [`EmbeddingIndex`]) and as ComfyUI's
//! `embedding:NAME` names them ([`super::comfy_embedding`]).

use std::borrow::Cow;
use std::sync::Arc;

use super::chunks::{PromptChunk, PromptToken};
use super::comfy_embedding::{Segment, candidate_names, split_references};
use super::embedding_index::EmbeddingIndex;
use super::tokenizer::ClipTokenizer;
use crate::networks::embedding::{Embedding, EmbeddingError, EmbeddingLibrary};

/// The embeddings a prompt may call, with their names tokenized once. Build one per generation (or per
/// library and tokenizer) and reuse it for every text of the generation.
pub struct PromptEmbeddings<'l> {
    library: &'l EmbeddingLibrary,
    index: Cow<'l, EmbeddingIndex>,
    width: Option<usize>,
}

impl<'l> PromptEmbeddings<'l> {
    /// `width` is the text encoder's (`ClipTextEncoder::config().width`): an embedding of another
    /// width is refused when a prompt uses it. `None` checks nothing (counting tokens).
    pub fn new(library: &'l EmbeddingLibrary, width: Option<usize>, tokenize: &mut dyn FnMut(&str) -> Vec<u32>) -> Self {
        Self { library, index: Cow::Owned(EmbeddingIndex::new(library.names(), tokenize)), width }
    }

    /// With an index of `library`'s names made before (`EmbeddingIndex::new(library.names(), …)`), for
    /// a caller that keeps the library and its index for many prompts (the window's token counter).
    pub fn with_index(library: &'l EmbeddingLibrary, index: &'l EmbeddingIndex, width: Option<usize>) -> Self {
        Self { library, index: Cow::Borrowed(index), width }
    }

    /// [`Self::new`] with the SD1 CLIP tokenizer.
    pub fn for_clip(library: &'l EmbeddingLibrary, width: Option<usize>, tokenizer: &ClipTokenizer) -> Self {
        Self::new(library, width, &mut |name: &str| tokenizer.ids(name))
    }

    /// The tokens of one part's `text`, embeddings found. A word that names an embedding whose file
    /// cannot be used fails, naming the file (A1111 would have dropped the file at start-up, with a
    /// message in its console, and read the word as text).
    pub fn tokens(&self, text: &str, tokenize: &mut dyn FnMut(&str) -> Vec<u32>) -> Result<Vec<PromptToken>, EmbeddingError> {
        let mut tokens = Vec::new();
        for segment in split_references(text) {
            match segment {
                Segment::Text(text) => self.push_words(text, tokenize, &mut tokens)?,
                Segment::Reference { name, source } => self.push_reference(name, source, tokenize, &mut tokens)?,
            }
        }
        Ok(tokens)
    }

    /// A1111's scan: at each position the longest embedding name starting there, else one word.
    fn push_words(
        &self,
        text: &str,
        tokenize: &mut dyn FnMut(&str) -> Vec<u32>,
        tokens: &mut Vec<PromptToken>,
    ) -> Result<(), EmbeddingError> {
        let ids = tokenize(text);
        let mut position = 0;
        while let Some(&id) = ids.get(position) {
            let found = match self.index.find_at(&ids, position) {
                Some((name, length)) => self.get(name)?.map(|embedding| (embedding, length)),
                None => None,
            };
            match found {
                Some((embedding, length)) => {
                    tokens.push(PromptToken::Embedding { first_token: Some(id), embedding });
                    position += length;
                }
                None => {
                    tokens.push(PromptToken::Word(id));
                    position += 1;
                }
            }
        }
        Ok(())
    }

    /// ComfyUI's `embedding:NAME`: the embedding, then any trailing commas it did not need as text; an
    /// unknown NAME is read as A1111 reads the whole word.
    fn push_reference(
        &self,
        name: &str,
        source: &str,
        tokenize: &mut dyn FnMut(&str) -> Vec<u32>,
        tokens: &mut Vec<PromptToken>,
    ) -> Result<(), EmbeddingError> {
        let [exact, without_commas] = candidate_names(name);
        if let Some(embedding) = self.lookup(exact)? {
            tokens.push(PromptToken::Embedding { first_token: None, embedding });
            return Ok(());
        }
        if let Some(embedding) = self.lookup(without_commas)? {
            tokens.push(PromptToken::Embedding { first_token: None, embedding });
            let commas = &name[name.trim_end_matches(',').len()..];
            return self.push_words(commas, tokenize, tokens);
        }
        self.push_words(source, tokenize, tokens)
    }

    fn lookup(&self, name: &str) -> Result<Option<Arc<Embedding>>, EmbeddingError> {
        match self.library.resolve_name(name) {
            Some(known) => self.get(known),
            None => Ok(None),
        }
    }

    fn get(&self, name: &str) -> Result<Option<Arc<Embedding>>, EmbeddingError> {
        self.library.get(name, self.width)
    }
}

/// The embeddings the chunks use, each once, in order of first use (what A1111 lists in its "TI hashes"
/// infotext entry: every embedding with a fix in a chunk).
pub fn used_embeddings(chunks: &[PromptChunk]) -> Vec<Arc<Embedding>> {
    let mut used: Vec<Arc<Embedding>> = Vec::new();
    for fix in chunks.iter().flat_map(|chunk| &chunk.fixes) {
        if !used.iter().any(|known| known.name() == fix.embedding.name()) {
            used.push(Arc::clone(&fix.embedding));
        }
    }
    used
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library(names: &[(&str, usize, usize)]) -> EmbeddingLibrary {
        EmbeddingLibrary::from_embeddings(
            names.iter().map(|&(name, count, width)| Embedding::new(name, None, width, vec![0.25; count * width])),
        )
    }

    fn tokens(library: &EmbeddingLibrary, width: Option<usize>, text: &str) -> Result<Vec<PromptToken>, EmbeddingError> {
        let tokenizer = ClipTokenizer::shared().unwrap();
        let embeddings = PromptEmbeddings::for_clip(library, width, tokenizer);
        embeddings.tokens(text, &mut |piece: &str| tokenizer.ids(piece))
    }

    /// Words as ids, embeddings as `-(count)` and the name's first token (or `None`).
    fn shape(tokens: &[PromptToken]) -> Vec<(i64, Option<u32>)> {
        tokens
            .iter()
            .map(|token| match token {
                PromptToken::Word(id) => (i64::from(*id), None),
                PromptToken::Embedding { first_token, embedding } => (-(embedding.count() as i64), *first_token),
            })
            .collect()
    }

    fn words(text: &str) -> Vec<(i64, Option<u32>)> {
        ClipTokenizer::shared().unwrap().ids(text).into_iter().map(|id| (i64::from(id), None)).collect()
    }

    fn first_token(text: &str) -> Option<u32> {
        ClipTokenizer::shared().unwrap().ids(text).first().copied()
    }

    #[test]
    fn a1111_names_match_on_tokens() {
        let library = library(&[("easynegative", 2, 4), ("bad_hands", 1, 4)]);
        let found = tokens(&library, None, "a cat, EasyNegative,bad_hands easynegativev2").unwrap();
        let mut expected = words("a cat,");
        expected.push((-2, first_token("easynegative")));
        expected.extend(words(","));
        expected.push((-1, first_token("bad_hands")));
        // `easynegativev2` tokenizes differently from `easynegative`: a word, not the embedding.
        expected.extend(words("easynegativev2"));
        assert_eq!(shape(&found), expected);
    }

    #[test]
    fn longest_name_wins() {
        let library = library(&[("bad", 1, 4), ("bad_hands", 3, 4)]);
        let found = tokens(&library, None, "bad_hands bad").unwrap();
        assert_eq!(shape(&found), [(-3, first_token("bad")), (-1, first_token("bad"))]);
    }

    #[test]
    fn comfyui_references_become_embeddings() {
        let library = library(&[("EasyNegative", 2, 4)]);
        let found = tokens(&library, None, "embedding:easynegative, cat embedding:EasyNegative.pt").unwrap();
        let mut expected = vec![(-2, None)];
        expected.extend(words(", cat "));
        expected.push((-2, None));
        assert_eq!(shape(&found), expected);
    }

    #[test]
    fn unknown_names_stay_text() {
        let library = library(&[("other", 1, 4)]);
        let text = "embedding:nothing, a cat";
        assert_eq!(shape(&tokens(&library, None, text).unwrap()), words(text));
    }

    #[test]
    fn used_embeddings_are_listed_once_in_order() {
        let library = library(&[("alpha", 1, 4), ("beta", 2, 4)]);
        let tokenizer = ClipTokenizer::shared().unwrap();
        let embeddings = PromptEmbeddings::for_clip(&library, None, tokenizer);
        let chunks = super::super::prompt_chunks_with(tokenizer, "beta alpha BREAK beta", Some(&embeddings)).unwrap();
        let names: Vec<String> = used_embeddings(&chunks).iter().map(|e| e.name().to_string()).collect();
        assert_eq!(names, ["beta", "alpha"]);
    }

    #[test]
    fn width_is_checked_when_asked() {
        let library = library(&[("wide", 1, 1024)]);
        let error = tokens(&library, Some(768), "a wide cat").unwrap_err();
        assert!(matches!(error, EmbeddingError::WrongWidth { found: 1024, expected: 768, .. }), "{error}");
        assert!(error.to_string().contains("wide") && error.to_string().contains("1024"));
        assert!(tokens(&library, None, "a wide cat").is_ok());
    }
}
