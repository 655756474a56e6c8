//! The text cleanup A1111's tokenizer applies before byte-pair encoding.
//!
//! A1111 tokenizes with transformers' `CLIPTokenizer`, which runs `ftfy.fix_text` on the text (ftfy is
//! installed with A1111). `tokenizer.json` only normalizes Unicode and case, so without these fixes a
//! full-width comma `，` — common in Japanese and Chinese prompts — would not be the comma token and
//! would change A1111's comma back-off. The deterministic fixes of ftfy that can occur in a prompt are
//! reproduced here, in ftfy's order; its mojibake repair, a heuristic, is not.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

/// Applies ftfy's HTML unescaping, Latin-ligature, character-width and quote fixes.
pub fn fix_text(text: &str) -> Cow<'_, str> {
    if text.is_ascii() && !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let text = unescape_html(text);
    Cow::Owned(text.chars().flat_map(fix_char).collect())
}

/// ftfy's `unescape_html="auto"`: entities are decoded unless the text contains `<`, a sign that it is
/// real HTML whose entities must stay.
fn unescape_html(text: &str) -> Cow<'_, str> {
    if text.contains('<') { Cow::Borrowed(text) } else { html_escape::decode_html_entities(text) }
}

/// One character after ftfy's ligature, width and quote fixes (a ligature may become several).
fn fix_char(c: char) -> FixedChar {
    match c {
        '\u{3000}' => FixedChar::One(' '),
        '\u{02bc}' | '\u{2018}'..='\u{201b}' => FixedChar::One('\''),
        '\u{201c}'..='\u{201f}' => FixedChar::One('"'),
        '\u{ff01}'..='\u{ffef}' | 'Ĳ' | 'ĳ' | 'ŉ' | 'ǅ'..='ǌ' | 'Ǳ'..='ǳ' | '\u{fb00}'..='\u{fb06}' => {
            FixedChar::Many(std::iter::once(c).nfkc().collect::<Vec<_>>().into_iter())
        }
        _ => FixedChar::One(c),
    }
}

enum FixedChar {
    One(char),
    Many(std::vec::IntoIter<char>),
}

impl Iterator for FixedChar {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        match self {
            FixedChar::One(c) => {
                let c = *c;
                *self = FixedChar::Many(Vec::new().into_iter());
                Some(c)
            }
            FixedChar::Many(chars) => chars.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fix_text;

    #[test]
    fn full_width_forms_become_ascii() {
        assert_eq!(fix_text("猫，（かわいい）：１２３　ＡＢＣ"), "猫,(かわいい):123 ABC");
    }

    #[test]
    fn half_width_katakana_become_full_width() {
        assert_eq!(fix_text("ｶﾀｶﾅ"), "カタカナ");
    }

    #[test]
    fn quotes_and_ligatures_are_plain() {
        assert_eq!(fix_text("“a” ‘b’ ﬁne ﬂow"), "\"a\" 'b' fine flow");
    }

    #[test]
    fn entities_are_decoded_unless_the_text_has_a_tag() {
        assert_eq!(fix_text("&amp; &lt;tag&gt; caf&eacute;"), "& <tag> café");
        assert_eq!(fix_text("<b>&amp;</b>"), "<b>&amp;</b>");
    }

    #[test]
    fn ordinary_text_is_untouched() {
        for text in ["a photo of a cat", "日本語のプロンプト、女の子", "emoji 🎨 ✨", "(x:1.2) \\( [y]", ""] {
            assert_eq!(fix_text(text), text);
        }
    }
}
