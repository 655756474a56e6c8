//! [`Query`]: what the history view asks for, from its search box ([`Query::parse`]) and its filters.
//!
//! Search box syntax: free words and `"quoted phrases"` must all appear in the prompt (a word also
//! matches longer words it starts: `water` finds `watercolor`); `neg:WORD` looks in the negative prompt
//! instead (the negative prompt is not searched by free words, or `lowres` would find every image);
//! `model:NAME` (part of the model name, or the start of its hash), `seed:N`,
//! `sampler:NAME` (Nurie's id such as `euler_a` or A1111's name such as `"DPM++ 2M Karras"`) and
//! `tag:NAME` filter. Keys are case-insensitive; an unknown key (`lora:foo`) is searched as text.
//! Nothing typed can make the search fail: the text reaches SQLite only as bound, quoted values.

use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    /// Alphabetical by prompt, ignoring ASCII case.
    Prompt,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Words and phrases the prompt must contain.
    pub words: Vec<String>,
    /// Words and phrases the negative prompt must contain.
    pub negative_words: Vec<String>,
    pub model: Option<String>,
    /// The model name exactly (the view's model filter).
    pub exact_model: Option<String>,
    pub seed: Option<u64>,
    pub sampler: Option<String>,
    /// Tags the image must have (all of them).
    pub tags: Vec<String>,
    pub favorites_only: bool,
    /// `Some(true)`: only images made with ControlNet; `Some(false)`: only without.
    pub with_controlnet: Option<bool>,
    /// Created at or after this Unix time (seconds).
    pub created_from: Option<i64>,
    /// Created before this Unix time (seconds).
    pub created_before: Option<i64>,
    /// Only images of this import root (a path from [`Library::folders`](super::Library::folders)).
    pub folder: Option<PathBuf>,
    pub sort: Sort,
}

impl Query {
    /// Reads the search box text (see the module docs); filters and sort stay at their defaults.
    pub fn parse(text: &str) -> Query {
        let mut query = Query::default();
        for term in split_terms(text) {
            query.add_term(term);
        }
        query
    }

    fn add_term(&mut self, term: Term) {
        let filter = (!term.quoted).then(|| term.text.split_once(':')).flatten();
        let Some((key, value)) = filter.map(|(key, value)| (key.to_ascii_lowercase(), value.trim())) else {
            return self.words.push(term.text);
        };
        match key.as_str() {
            _ if value.is_empty() => self.words.push(term.text),
            "model" => self.model = Some(value.to_string()),
            "sampler" => self.sampler = Some(value.to_string()),
            "tag" => self.tags.push(value.to_string()),
            "neg" | "negative" => self.negative_words.push(value.to_string()),
            "seed" => match value.parse::<u64>() {
                Ok(seed) => self.seed = Some(seed),
                Err(_) => self.words.push(term.text),
            },
            _ => self.words.push(term.text),
        }
    }
}

/// One search box term, with its quotes removed.
#[derive(Debug, PartialEq, Eq)]
struct Term {
    text: String,
    /// It began with a quote, so it is text even if it looks like `key:value`.
    quoted: bool,
}

/// Splits at white space outside double quotes; an unclosed quote runs to the end.
fn split_terms(text: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    let mut current: Option<Term> = None;
    let mut in_quotes = false;
    for c in text.chars() {
        if c == '"' {
            in_quotes = !in_quotes;
            current.get_or_insert_with(|| Term { text: String::new(), quoted: true });
        } else if c.is_whitespace() && !in_quotes {
            terms.extend(current.take());
        } else {
            current.get_or_insert_with(|| Term { text: String::new(), quoted: false }).text.push(c);
        }
    }
    terms.extend(current);
    terms.retain(|term| !term.text.trim().is_empty());
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_and_filters() {
        let query =
            Query::parse(r#"1girl "blue sky"  Model:counterfeit seed:1944526060 sampler:"DPM++ 2M Karras" tag:best neg:lowres"#);
        assert_eq!(query.words, ["1girl", "blue sky"]);
        assert_eq!(query.model.as_deref(), Some("counterfeit"));
        assert_eq!(query.seed, Some(1944526060));
        assert_eq!(query.sampler.as_deref(), Some("DPM++ 2M Karras"));
        assert_eq!(query.tags, ["best"]);
        assert_eq!(query.negative_words, ["lowres"]);
    }

    #[test]
    fn things_that_only_look_like_filters_are_words() {
        let query = Query::parse(r#"<lora:flat:0.8> "model:x" seed:abc model: :"#);
        assert_eq!(query.words, ["<lora:flat:0.8>", "model:x", "seed:abc", "model:", ":"]);
        assert_eq!((query.model, query.seed), (None, None));
    }

    #[test]
    fn odd_quoting_never_loses_text() {
        assert_eq!(Query::parse(r#"sky "unclosed phrase"#).words, ["sky", "unclosed phrase"]);
        assert_eq!(Query::parse(r#"a""b "" """#).words, ["ab"]);
        assert_eq!(Query::parse("  \t ").words, Vec::<String>::new());
        assert_eq!(Query::parse("線画に色を塗る 青い空").words, ["線画に色を塗る", "青い空"]);
    }
}
