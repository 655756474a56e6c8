//! Finding embedding names in a token stream, as A1111's `EmbeddingDatabase` does (`ids_lookup`,
//! `find_embedding_at_position`): each name is tokenized like prompt text, and at a position the
//! longest name whose tokens start there wins. Matching on tokens, not text, is what makes
//! `(easynegative:1.2)` or `easynegative,` match while `easynegativev2` does not.

use std::collections::HashMap;

/// Names grouped by their first token, longest token sequence first.
#[derive(Debug, Clone, Default)]
pub struct EmbeddingIndex {
    by_first_token: HashMap<u32, Vec<(Vec<u32>, String)>>,
}

impl EmbeddingIndex {
    /// `names` in registration order: among names that tokenize alike, the first is matched (A1111
    /// keeps each bucket stably sorted by length, longest first). A name with no tokens is left out.
    pub fn new<'n>(names: impl IntoIterator<Item = &'n str>, tokenize: &mut dyn FnMut(&str) -> Vec<u32>) -> Self {
        let mut by_first_token: HashMap<u32, Vec<(Vec<u32>, String)>> = HashMap::new();
        for name in names {
            let ids = tokenize(name);
            if let Some(&first) = ids.first() {
                by_first_token.entry(first).or_default().push((ids, name.to_string()));
            }
        }
        for bucket in by_first_token.values_mut() {
            bucket.sort_by_key(|(ids, _)| std::cmp::Reverse(ids.len()));
        }
        Self { by_first_token }
    }

    /// The embedding whose name's tokens start at `tokens[position]`, with how many tokens the name
    /// takes.
    pub fn find_at(&self, tokens: &[u32], position: usize) -> Option<(&str, usize)> {
        let bucket = self.by_first_token.get(tokens.get(position)?)?;
        let rest = &tokens[position..];
        bucket.iter().find(|(ids, _)| rest.starts_with(ids)).map(|(ids, name)| (name.as_str(), ids.len()))
    }

    pub fn is_empty(&self) -> bool {
        self.by_first_token.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fake tokenizer: one token per character.
    fn chars(text: &str) -> Vec<u32> {
        text.chars().map(u32::from).collect()
    }

    #[test]
    fn longest_match_wins_and_ties_keep_registration_order() {
        let index = EmbeddingIndex::new(["ab", "abc", "x", "a"], &mut chars);
        let tokens = chars("zabcab");
        assert_eq!(index.find_at(&tokens, 0), None);
        assert_eq!(index.find_at(&tokens, 1), Some(("abc", 3)));
        assert_eq!(index.find_at(&tokens, 4), Some(("ab", 2)));
        assert_eq!(index.find_at(&tokens, 5), None);
        assert_eq!(index.find_at(&tokens, 9), None);
        // Two names with the same tokens: the first registered is matched.
        let mut lower = |text: &str| chars(&text.to_lowercase());
        let index = EmbeddingIndex::new(["Foo", "foo"], &mut lower);
        assert_eq!(index.find_at(&chars("foo"), 0), Some(("Foo", 3)));
    }

    #[test]
    fn empty_names_are_left_out() {
        let index = EmbeddingIndex::new([""], &mut chars);
        assert!(index.is_empty());
    }
}
