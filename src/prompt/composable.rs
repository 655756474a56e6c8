//! A1111's `AND` (composable diffusion), from AUTOMATIC1111 stable-diffusion-webui's
//! `modules/prompt_parser.py` (`re_AND`, `re_weight`, `get_multicond_prompt_list`). Nurie does not
//! support `AND`; this finds it so that callers can say so, and gives the split A1111 makes.
//!
//! A1111 splits the positive prompt at every `AND` that is a whole word (`\bAND\b`, case-sensitive:
//! `and`, `ANDROID` and `_AND_` do not split), then reads each part as `TEXT` or `TEXT :WEIGHT`. That
//! second step happens to *every* positive prompt, with or without `AND`: trailing whitespace and a
//! trailing `:number` are removed from the text CLIP sees, and the number multiplies that part's
//! guidance (`a cat :0.5` is `a cat` at half the CFG scale). The negative prompt is not split.
//! Prompt editing brackets are scheduled inside each part, after the split.

use std::ops::Range;

use super::emphasis::{decimal_value, is_py_space, is_word};
use super::python_number::py_float;

/// Byte ranges of the `AND`s that A1111 splits `prompt` at (empty: no `AND`).
pub fn and_separators(prompt: &str) -> Vec<Range<usize>> {
    prompt.match_indices("AND").map(|(at, word)| at..at + word.len()).filter(|range| is_whole_word(prompt, range)).collect()
}

/// Whether A1111 would treat `prompt` (a positive prompt) as composable parts.
pub fn uses_and(prompt: &str) -> bool {
    !and_separators(prompt).is_empty()
}

/// `\b` on both sides of `word`.
fn is_whole_word(text: &str, word: &Range<usize>) -> bool {
    let before = text[..word.start].chars().next_back();
    let after = text[word.end..].chars().next();
    !before.is_some_and(is_word) && !after.is_some_and(is_word)
}

/// One part of a composable prompt: its text and guidance weight.
#[derive(Debug, Clone, PartialEq)]
pub struct SubPrompt {
    pub text: String,
    pub weight: f64,
}

/// A1111's `get_multicond_prompt_list` for one positive prompt: the parts between `AND`s, each with
/// `re_weight`'s text and weight (1.0 when there is none).
pub fn composable_subprompts(prompt: &str) -> Vec<SubPrompt> {
    let mut parts = Vec::new();
    let mut start = 0;
    for separator in and_separators(prompt) {
        parts.push(subprompt(&prompt[start..separator.start]));
        start = separator.end;
    }
    parts.push(subprompt(&prompt[start..]));
    parts
}

/// `re_weight = ^((?:\s|.)*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$`: the shortest text after which
/// only `[ws] : [ws] NUMBER [ws]` or whitespace remains.
fn subprompt(part: &str) -> SubPrompt {
    let body = part.trim_end_matches(is_py_space);
    weighted(body).unwrap_or_else(|| SubPrompt { text: body.to_owned(), weight: 1.0 })
}

/// `body` (no trailing whitespace) read as `TEXT [ws] : [ws] [+-]NUMBER`, if it is one.
fn weighted(body: &str) -> Option<SubPrompt> {
    let number_len: usize = body.chars().rev().take_while(|&c| c == '.' || decimal_value(c).is_some()).map(char::len_utf8).sum();
    let number_start = body.len() - number_len;
    let number = &body[number_start..];
    let digits = number.chars().filter(|&c| c != '.').count();
    if digits == 0 || number.len() - number.replace('.', "").len() > 1 {
        return None;
    }
    let before_number = &body[..number_start];
    let unsigned = before_number.strip_suffix(['+', '-']).unwrap_or(before_number);
    let sign = &before_number[unsigned.len()..];
    let text = unsigned.trim_end_matches(is_py_space).strip_suffix(':')?.trim_end_matches(is_py_space);
    let weight = py_float(&format!("{sign}{number}"))?;
    Some(SubPrompt { text: text.to_owned(), weight })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(prompt: &str) -> Vec<(String, f64)> {
        composable_subprompts(prompt).into_iter().map(|part| (part.text, part.weight)).collect()
    }

    #[test]
    fn and_splits_only_as_a_whole_uppercase_word() {
        assert_eq!(and_separators("a cat AND a dog"), vec![Range { start: 6, end: 9 }]);
        assert_eq!(and_separators("(AND)AND"), [1..4, 5..8]);
        for prompt in ["a cat and a dog", "ANDROID", "_AND_", "BANDAGE", "ANDé", "1AND"] {
            assert!(!uses_and(prompt), "{prompt}");
        }
    }

    #[test]
    fn parts_and_weights_as_get_multicond_prompt_list_reads_them() {
        assert_eq!(split("a cat AND a dog:0.5"), [("a cat".to_owned(), 1.0), (" a dog".to_owned(), 0.5)]);
        assert_eq!(split("a cat : -1.5 "), [("a cat".to_owned(), -1.5)]);
        assert_eq!(split("a cat :2."), [("a cat".to_owned(), 2.0)]);
        assert_eq!(split("a cat:１.５"), [("a cat".to_owned(), 1.5)]);
    }

    #[test]
    fn every_prompt_loses_trailing_space_and_weight() {
        assert_eq!(split("masterpiece, 1girl  \n"), [("masterpiece, 1girl".to_owned(), 1.0)]);
        assert_eq!(split("(cat:1.2)"), [("(cat:1.2)".to_owned(), 1.0)]);
        assert_eq!(split("x:1.2.3"), [("x:1.2.3".to_owned(), 1.0)]);
        assert_eq!(split("x: +"), [("x: +".to_owned(), 1.0)]);
        assert_eq!(split(":3"), [(String::new(), 3.0)]);
    }
}
