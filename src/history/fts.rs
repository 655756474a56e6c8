//! Turning a search term into a condition on one of the full-text indexes (see [`super::schema`]).
//!
//! * A term with Japanese, Chinese or Korean characters is a substring search: through the
//!   `images_trigrams` index when it has at least three characters (what a trigram index can match),
//!   else by scanning the column (`instr`; fast enough for a personal library's thousands of rows).
//! * Any other term is a word (or phrase) prefix search through `images_words`.
//!
//! Every term goes into FTS5 as a quoted string (with `"` doubled), where FTS5 sees only text to
//! tokenize: no operator (`AND`, `NEAR`, `*`, `(`, `:`) a user types can take effect or be a syntax
//! error. A term with nothing FTS5 would index (`*`, `(`, `"`) is dropped.

/// The two text columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextColumn {
    Prompt,
    NegativePrompt,
}

impl TextColumn {
    pub fn name(self) -> &'static str {
        match self {
            TextColumn::Prompt => "prompt",
            TextColumn::NegativePrompt => "negative_prompt",
        }
    }
}

/// How one term is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermCondition {
    /// An FTS5 expression for `images_words MATCH`.
    Words(String),
    /// An FTS5 expression for `images_trigrams MATCH`.
    Trigrams(String),
    /// The text must occur in the column (`instr(column, text) > 0`).
    Substring { column: TextColumn, text: String },
}

/// The smallest term the trigram index can match.
const TRIGRAM_LENGTH: usize = 3;

/// The condition for `term` in `column`; `None` when the term holds nothing searchable.
pub fn term_condition(term: &str, column: TextColumn) -> Option<TermCondition> {
    let term = term.trim();
    if term.chars().any(is_cjk) {
        let text = term.to_string();
        return Some(if term.chars().count() >= TRIGRAM_LENGTH {
            TermCondition::Trigrams(format!("{} : {}", column.name(), quoted(term)))
        } else {
            TermCondition::Substring { column, text }
        });
    }
    // unicode61 indexes letters and digits; a term without any has no tokens to look for.
    term.chars().any(char::is_alphanumeric).then(|| TermCondition::Words(format!("{} : {}*", column.name(), quoted(term))))
}

/// An FTS5 string: double quotes around, inner double quotes doubled.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Scripts written without spaces between words (kana, CJK ideographs, Hangul) and their
/// punctuation and full-width forms.
fn is_cjk(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1100..=0x11FF         // Hangul Jamo
            | 0x2E80..=0x2FDF   // CJK radicals, Kangxi radicals
            | 0x3000..=0x30FF   // CJK symbols and punctuation, Hiragana, Katakana
            | 0x3130..=0x318F   // Hangul compatibility Jamo
            | 0x31F0..=0x31FF   // Katakana phonetic extensions
            | 0x3400..=0x4DBF   // CJK extension A
            | 0x4E00..=0x9FFF   // CJK unified ideographs
            | 0xAC00..=0xD7AF   // Hangul syllables
            | 0xF900..=0xFAFF   // CJK compatibility ideographs
            | 0xFF00..=0xFFEF   // half-width and full-width forms
            | 0x20000..=0x3134F // CJK extensions B–G
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(expression: &str) -> Option<TermCondition> {
        Some(TermCondition::Words(expression.to_string()))
    }

    #[test]
    fn latin_terms_are_quoted_prefix_searches() {
        assert_eq!(term_condition("water", TextColumn::Prompt), words(r#"prompt : "water"*"#));
        assert_eq!(term_condition("blue sky", TextColumn::NegativePrompt), words(r#"negative_prompt : "blue sky"*"#));
        assert_eq!(term_condition(r#"say "hi" AND"#, TextColumn::Prompt), words(r#"prompt : "say ""hi"" AND"*"#));
    }

    #[test]
    fn terms_without_letters_or_digits_are_dropped() {
        for term in ["*", "(", "\"", ")", "-", "  ", ":", "^"] {
            assert_eq!(term_condition(term, TextColumn::Prompt), None, "{term}");
        }
        assert_eq!(term_condition("(1girl:1.2)", TextColumn::Prompt), words(r#"prompt : "(1girl:1.2)"*"#));
    }

    #[test]
    fn cjk_terms_use_trigrams_or_a_scan_when_too_short() {
        let long = term_condition("青い空", TextColumn::Prompt);
        assert_eq!(long, Some(TermCondition::Trigrams(r#"prompt : "青い空""#.to_string())));
        let short = term_condition("空", TextColumn::Prompt);
        assert_eq!(short, Some(TermCondition::Substring { column: TextColumn::Prompt, text: "空".into() }));
        assert!(matches!(term_condition("blue空", TextColumn::Prompt), Some(TermCondition::Trigrams(_))));
        assert!(matches!(term_condition("하늘색", TextColumn::Prompt), Some(TermCondition::Trigrams(_))));
        assert!(matches!(term_condition("café", TextColumn::Prompt), Some(TermCondition::Words(_))));
    }
}
