//! A1111's prompt emphasis syntax, reproduced exactly from AUTOMATIC1111 stable-diffusion-webui's
//! `modules/prompt_parser.py` (`parse_prompt_attention`, with its `re_attention` and `re_break`).
//!
//! - `(text)` multiplies the attention to `text` by 1.1 and `[text]` by 1/1.1; brackets nest.
//! - `(text:1.3)` multiplies by 1.3. The number is `[+-]?[.\d]+`, whitespace is allowed around it
//!   (`(text : 1.3 )`), and it only counts when a `(` is open.
//! - `\(` `\)` `\[` `\]` `\\` are the literal characters; a backslash before anything else vanishes.
//! - `BREAK`, as a standalone word, closes the current 75-token chunk.
//!
//! A prompt must mean the same here as in A1111, so its quirks are kept on purpose:
//! - brackets still open at the end of the prompt are closed there (`(a` → `a` ×1.1);
//! - an unmatched `)` or `]`, a `:` not followed by a weight, and a weighted close with no `(` open are
//!   plain text;
//! - A1111 stores BREAK as the pair `("BREAK", -1)` among the weighted texts, so a BREAK inside brackets
//!   gets multiplied with them and stops being a BREAK: `(a BREAK b)` is the *word* "BREAK" weighted
//!   -1.1. Conversely, merged texts that happen to read `"BREAK"` with weight exactly -1 do act as a
//!   BREAK (`(BRE:-1)(AK:-1)`). Both fall out of keeping A1111's representation until the very end;
//! - neighbours of equal weight are merged (Python `==`, so `0.0 == -0.0` merges and NaN never does);
//! - weights are `f64` and every multiplication happens in A1111's order, so weights are bit-identical
//!   to Python's (`a (((house:1.3))` gives house 1.5730000000000004, not 1.573).
//!
//! Character classes follow Python's `re` on `str` patterns: `\s` is `str.isspace()` (Unicode
//! whitespace plus U+001C..U+001F), `\d` is any Unicode decimal digit (`(猫耳:１.２)` is weight 1.2, as
//! Python's `float()` accepts those digits too), and the word characters of `\b` are letters, numbers
//! and `_`. One known difference: word characters are taken as `char::is_alphanumeric()`, whose
//! Alphabetic property also covers ~1,400 combining marks and circled letters (e.g. `Ⓐ`, Indic vowel
//! signs) that Python does not count as word characters, so `ⒶBREAK` is a BREAK in A1111 and text here.
//! Characters newer than the Unicode version of A1111's Python can differ as well.

use std::ops::Range;

use thiserror::Error;

/// A run of prompt text with its attention multiplier, or a BREAK.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptPart {
    Text { text: String, weight: f64 },
    Break,
}

/// A weighted close such as `(x:1.2.3)` whose number Python's `float()` rejects. A1111 raises here
/// and the whole generation fails; the message is Python's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("could not convert string to float: '{number}'")]
pub struct InvalidWeight {
    /// The number as written in the prompt.
    pub number: String,
}

/// Multiplier of `(text)`.
pub const ROUND_BRACKET_MULTIPLIER: f64 = 1.1;
/// Multiplier of `[text]`, computed as A1111 does (`1 / 1.1`).
pub const SQUARE_BRACKET_MULTIPLIER: f64 = 1.0 / 1.1;

/// A1111 keeps a BREAK as the text/weight pair `["BREAK", -1]` until the chunker sees it.
const BREAK_TEXT: &str = "BREAK";
const BREAK_WEIGHT: f64 = -1.0;

/// A1111's `parse_prompt_attention`, exactly (see the module docs), except where A1111 raises: a
/// weighted close whose number is not a float, like `(x:1.2.3)`, reads here as if the `:` were plain
/// text and the `)` a plain close (`x:1.2.3` ×1.1). Use [`try_parse_prompt_attention`] to report it
/// as A1111 does instead. Empty input gives one part `("", 1.0)`.
pub fn parse_prompt_attention(text: &str) -> Vec<PromptPart> {
    Parser::parse(text).parts
}

/// [`parse_prompt_attention`], failing where A1111 fails: on the first weighted close (with a `(`
/// open) whose number Python's `float()` rejects, e.g. `(x:1.2.3)` or `(x:.)`.
pub fn try_parse_prompt_attention(text: &str) -> Result<Vec<PromptPart>, InvalidWeight> {
    let parsed = Parser::parse(text);
    match parsed.invalid_weight {
        Some(error) => Err(error),
        None => Ok(parsed.parts),
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer: the alternatives of A1111's `re_attention`, tried in its order at each position.
// ---------------------------------------------------------------------------------------------

/// One match of `re_attention`. Every character of the input belongs to exactly one token.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Token<'a> {
    /// `\(` `\)` `\[` `\]` `\\`, or a lone `\` (then the text is empty: the backslash vanishes).
    Escape(&'a str),
    OpenRound,
    OpenSquare,
    /// `:1.3)`, whitespace allowed around the number (`: 1.3 )`).
    WeightedClose {
        whole: &'a str,
        number: &'a str,
    },
    CloseRound,
    CloseSquare,
    /// A run of characters other than `\()[]:`, or a `:` that starts no weighted close.
    Text(&'a str),
}

struct Lexer<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let rest = self.rest;
        let (token, len) = match rest.chars().next()? {
            '\\' => lex_escape(rest),
            '(' => (Token::OpenRound, 1),
            '[' => (Token::OpenSquare, 1),
            ':' => lex_weighted_close(rest).unwrap_or((Token::Text(":"), 1)),
            ')' => (Token::CloseRound, 1),
            ']' => (Token::CloseSquare, 1),
            _ => {
                let len = prefix_len(rest, |c| !is_special(c));
                (Token::Text(&rest[..len]), len)
            }
        };
        self.rest = &rest[len..];
        Some(token)
    }
}

/// The characters `re_attention`'s plain-text alternative `[^\\()\[\]:]+` excludes.
fn is_special(c: char) -> bool {
    matches!(c, '\\' | '(' | ')' | '[' | ']' | ':')
}

/// `rest` starts with a backslash: an escaped bracket or backslash, else the lone backslash.
fn lex_escape(rest: &str) -> (Token<'_>, usize) {
    match rest.as_bytes().get(1) {
        Some(b'(' | b')' | b'[' | b']' | b'\\') => (Token::Escape(&rest[1..2]), 2),
        _ => (Token::Escape(""), 1),
    }
}

/// `:\s*([+-]?[.\d]+)\s*\)` at the start of `rest` (which starts with `:`). The character classes are
/// disjoint, so the regex never backtracks and a greedy scan is exact.
fn lex_weighted_close(rest: &str) -> Option<(Token<'_>, usize)> {
    let number_start = 1 + prefix_len(&rest[1..], is_py_space);
    let after_space = &rest[number_start..];
    let sign = usize::from(after_space.starts_with(['+', '-']));
    let digits = prefix_len(&after_space[sign..], |c| c == '.' || decimal_value(c).is_some());
    if digits == 0 {
        return None;
    }
    let number_end = number_start + sign + digits;
    let close = number_end + prefix_len(&rest[number_end..], is_py_space);
    if !rest[close..].starts_with(')') {
        return None;
    }
    let whole = &rest[..=close];
    Some((Token::WeightedClose { whole, number: &rest[number_start..number_end] }, whole.len()))
}

/// Byte length of the longest prefix of `s` whose characters satisfy `pred`.
fn prefix_len(s: &str, pred: impl Fn(char) -> bool) -> usize {
    s.char_indices().find(|&(_, c)| !pred(c)).map_or(s.len(), |(i, _)| i)
}

/// Byte length of the longest suffix of `s` made of Python whitespace.
fn trailing_space_len(s: &str) -> usize {
    s.chars().rev().take_while(|&c| is_py_space(c)).map(char::len_utf8).sum()
}

/// Python's `\s` (`str.isspace()`): Unicode White_Space plus the separators U+001C..U+001F.
pub(super) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{1c}'..='\u{1f}')
}

/// A word character of Python's `\b` (letters, numbers, `_`); see the module docs for the one
/// approximation.
pub(super) fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// First code point of every run of ten Unicode decimal digits (general category Nd), Unicode 14.0
/// (Python 3.11's `unicodedata`). Python's `\d` and `float()` both accept all of them.
const DECIMAL_ZEROS: [u32; 66] = [
    0x0030, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50,
    0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
    0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0,
    0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE,
    0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// The value of a Unicode decimal digit (`０`..`９`, `٠`..`٩`, …), `None` for anything else.
pub(super) fn decimal_value(c: char) -> Option<u8> {
    let code = u32::from(c);
    let zero = DECIMAL_ZEROS[..DECIMAL_ZEROS.partition_point(|&zero| zero <= code)].last()?;
    u8::try_from(code - zero).ok().filter(|&value| value < 10)
}

/// Python's `float()` on a string matching `[+-]?[.\d]+`: it accepts at most one `.`, at least one
/// digit, and any Unicode decimal digits. Both Python and Rust round correctly, and overflow is ±inf
/// in both (`(x:999…)` with 400 nines is weight inf in A1111 too).
fn parse_py_float(number: &str) -> Option<f64> {
    let mut ascii = String::with_capacity(number.len());
    let (mut dots, mut digits) = (0, 0);
    for c in number.chars() {
        match decimal_value(c) {
            Some(value) => {
                digits += 1;
                ascii.push(char::from(b'0' + value));
            }
            None => {
                dots += usize::from(c == '.');
                ascii.push(c);
            }
        }
    }
    if digits == 0 || dots > 1 {
        return None;
    }
    ascii.parse().ok()
}

/// `re.split(re_break, text)` with `re_break = \s*\bBREAK\b\s*`: the pieces of `text` around every
/// standalone `BREAK`, which swallows the whitespace on both sides. `"a BREAK b"` → `["a", "b"]`,
/// `"BREAK"` → `["", ""]`, `"aBREAK"` → `["aBREAK"]`.
fn split_on_break(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut piece_start, mut search_from) = (0, 0);
    while let Some(offset) = text[search_from..].find(BREAK_TEXT) {
        let begin = search_from + offset;
        let end = begin + BREAK_TEXT.len();
        // "BREAK" cannot overlap itself, so the next candidate starts after this one.
        search_from = end;
        if !is_standalone_word(text, begin..end) {
            continue;
        }
        // The leftmost match starts where the whitespace before BREAK starts.
        pieces.push(&text[piece_start..begin - trailing_space_len(&text[piece_start..begin])]);
        piece_start = end + prefix_len(&text[end..], is_py_space);
        search_from = piece_start;
    }
    pieces.push(&text[piece_start..]);
    pieces
}

/// `\b` on both sides of `word` (whose ends are word characters), looking at the whole text.
fn is_standalone_word(text: &str, word: Range<usize>) -> bool {
    let before = text[..word.start].chars().next_back();
    let after = text[word.end..].chars().next();
    !before.is_some_and(is_word) && !after.is_some_and(is_word)
}

// ---------------------------------------------------------------------------------------------
// Parser: A1111's bracket stacks and range multiplications.
// ---------------------------------------------------------------------------------------------

/// What the parser produced: the parts, and the first weight Python's `float()` would reject.
struct Parsed {
    parts: Vec<PromptPart>,
    invalid_weight: Option<InvalidWeight>,
}

/// A1111's `res` list (as parallel text and weight vectors) and its two bracket stacks, which hold
/// the index in `res` where each open bracket started.
#[derive(Default)]
struct Parser<'a> {
    texts: Vec<&'a str>,
    weights: Vec<f64>,
    round: Vec<usize>,
    square: Vec<usize>,
    pending: PendingScale,
    invalid_weight: Option<InvalidWeight>,
}

impl<'a> Parser<'a> {
    fn parse(text: &'a str) -> Parsed {
        let mut parser = Parser::default();
        for token in (Lexer { rest: text }) {
            parser.feed(token);
        }
        parser.finish()
    }

    /// One `re_attention` match, through A1111's `if/elif` chain in its order.
    fn feed(&mut self, token: Token<'a>) {
        match token {
            Token::Escape(literal) => self.push(literal, 1.0),
            Token::OpenRound => self.round.push(self.texts.len()),
            Token::OpenSquare => self.square.push(self.texts.len()),
            Token::WeightedClose { whole, number } => self.weighted_close(whole, number),
            Token::CloseRound => match self.round.pop() {
                Some(start) => self.scale(start, ROUND_BRACKET_MULTIPLIER),
                None => self.push_text(")"),
            },
            Token::CloseSquare => match self.square.pop() {
                Some(start) => self.scale(start, SQUARE_BRACKET_MULTIPLIER),
                None => self.push_text("]"),
            },
            Token::Text(text) => self.push_text(text),
        }
    }

    /// `(…:number)`. With no `(` open it is plain text. An unparsable number is where A1111 raises:
    /// remember the first one, and go on as if `:number` were text and `)` a plain close.
    fn weighted_close(&mut self, whole: &'a str, number: &str) {
        let Some(start) = self.round.pop() else {
            return self.push_text(whole);
        };
        if let Some(weight) = parse_py_float(number) {
            return self.scale(start, weight);
        }
        if self.invalid_weight.is_none() {
            self.invalid_weight = Some(InvalidWeight { number: number.to_owned() });
        }
        self.push_text(whole.strip_suffix(')').unwrap_or(whole));
        self.scale(start, ROUND_BRACKET_MULTIPLIER);
    }

    /// Plain text, with each standalone BREAK stored as A1111's `("BREAK", -1)` entry.
    fn push_text(&mut self, text: &'a str) {
        for (i, piece) in split_on_break(text).into_iter().enumerate() {
            if i > 0 {
                self.push(BREAK_TEXT, BREAK_WEIGHT);
            }
            self.push(piece, 1.0);
        }
    }

    fn push(&mut self, text: &'a str, weight: f64) {
        self.texts.push(text);
        self.weights.push(weight);
    }

    /// A1111's `multiply_range(start, factor)`: every entry from `start` to the current end. Deferred
    /// so that runs of equal factors are applied together (see [`PendingScale`]).
    fn scale(&mut self, start: usize, factor: f64) {
        let end = self.weights.len();
        if start >= end {
            return;
        }
        if self.pending.factor.to_bits() != factor.to_bits() {
            self.pending.apply(&mut self.weights);
            self.pending.factor = factor;
        }
        self.pending.ranges.push(start..end);
    }

    /// Closes the brackets left open (all `(` from the outermost in, then all `[`), merges runs of
    /// equal weight and turns A1111's BREAK entries into [`PromptPart::Break`].
    fn finish(mut self) -> Parsed {
        for start in std::mem::take(&mut self.round) {
            self.scale(start, ROUND_BRACKET_MULTIPLIER);
        }
        for start in std::mem::take(&mut self.square) {
            self.scale(start, SQUARE_BRACKET_MULTIPLIER);
        }
        self.pending.apply(&mut self.weights);
        if self.texts.is_empty() {
            self.push("", 1.0);
        }
        let parts = merge_equal_weights(&self.texts, &self.weights).into_iter().map(into_part).collect();
        Parsed { parts, invalid_weight: self.invalid_weight }
    }
}

/// Range multiplications not yet applied, all by the same factor.
///
/// Exactness needs each weight multiplied one factor at a time in A1111's order (floating-point
/// products are not associative), and A1111 rescans the whole range at every bracket close, which is
/// quadratic on deeply nested or long unclosed prompts. Consecutive multiplications by the *same*
/// factor may be reordered freely, though, so they are collected here and applied in one pass that
/// counts how many times each weight is hit. Equal starting weights then share one chain of powers,
/// which makes `((((…x…))))`, `(a(b(c…` and the like linear.
#[derive(Default)]
struct PendingScale {
    factor: f64,
    ranges: Vec<Range<usize>>,
}

impl PendingScale {
    fn apply(&mut self, weights: &mut [f64]) {
        let (ranges, factor) = (std::mem::take(&mut self.ranges), self.factor);
        match ranges.as_slice() {
            [] => {}
            [range] => {
                for weight in weights.get_mut(range.clone()).unwrap_or_default() {
                    *weight *= factor;
                }
            }
            _ => apply_counted(weights, &ranges, factor),
        }
    }
}

/// Multiplies each weight by `factor` as many times as `ranges` cover it.
fn apply_counted(weights: &mut [f64], ranges: &[Range<usize>], factor: f64) {
    let lo = ranges.iter().map(|r| r.start).min().unwrap_or(0);
    let hi = ranges.iter().map(|r| r.end).max().unwrap_or(0);
    let Some(span) = weights.get_mut(lo..hi) else { return };
    // Coverage counts from a difference array; every range is non-empty and inside `span`.
    let mut delta = vec![0_isize; span.len() + 1];
    for range in ranges {
        delta[range.start - lo] += 1;
        delta[range.end - lo] -= 1;
    }
    let mut chain = PowerChain::default();
    let mut hits = 0_isize;
    for (weight, step) in span.iter_mut().zip(delta) {
        hits += step;
        *weight = chain.scaled(*weight, factor, hits.unsigned_abs());
    }
}

/// `base·factor·factor·…` (rounded after every step, as A1111 computes it) for one base at a time,
/// memoised so that neighbours with the same starting weight reuse each other's work.
#[derive(Default)]
struct PowerChain {
    base_bits: Option<u64>,
    powers: Vec<f64>,
}

impl PowerChain {
    fn scaled(&mut self, base: f64, factor: f64, times: usize) -> f64 {
        if times == 0 {
            return base;
        }
        if self.base_bits != Some(base.to_bits()) {
            self.base_bits = Some(base.to_bits());
            self.powers.clear();
            self.powers.push(base);
        }
        while self.powers.len() <= times {
            let last = self.powers.last().copied().unwrap_or(base);
            self.powers.push(last * factor);
        }
        self.powers.get(times).copied().unwrap_or(base)
    }
}

/// A1111's final loop: a text joins the previous one when its weight `==` the previous run's weight.
fn merge_equal_weights(texts: &[&str], weights: &[f64]) -> Vec<(String, f64)> {
    let mut runs: Vec<(String, f64)> = Vec::new();
    for (&text, &weight) in texts.iter().zip(weights) {
        match runs.last_mut() {
            Some((run, run_weight)) if *run_weight == weight => run.push_str(text),
            _ => runs.push((text.to_owned(), weight)),
        }
    }
    runs
}

/// A1111's chunker treats an entry as BREAK when `text == 'BREAK' and weight == -1`, after merging.
fn into_part((text, weight): (String, f64)) -> PromptPart {
    if text == BREAK_TEXT && weight == BREAK_WEIGHT { PromptPart::Break } else { PromptPart::Text { text, weight } }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    /// Shorthand for an expected text part.
    fn t(text: &str, weight: f64) -> PromptPart {
        PromptPart::Text { text: text.to_owned(), weight }
    }

    /// Same parts, texts equal, weights within 1e-9 of the decimals A1111 prints.
    fn assert_parts(input: &str, expected: &[PromptPart]) {
        let actual = parse_prompt_attention(input);
        let close = actual.len() == expected.len()
            && actual.iter().zip(expected).all(|pair| match pair {
                (PromptPart::Break, PromptPart::Break) => true,
                (PromptPart::Text { text: a, weight: x }, PromptPart::Text { text: b, weight: y }) => {
                    a == b && ((x - y).abs() <= 1e-9 || x.to_bits() == y.to_bits())
                }
                _ => false,
            });
        assert!(close, "{input:?}\n  got      {actual:?}\n  expected {expected:?}");
    }

    /// The weights, bit for bit.
    fn weight_bits(input: &str) -> Vec<u64> {
        parse_prompt_attention(input)
            .iter()
            .filter_map(|part| match part {
                PromptPart::Text { weight, .. } => Some(weight.to_bits()),
                PromptPart::Break => None,
            })
            .collect()
    }

    // --- The examples of A1111's own docstring for parse_prompt_attention. ---

    #[test]
    fn docstring_normal_text() {
        assert_parts("normal text", &[t("normal text", 1.0)]);
    }

    #[test]
    fn docstring_important_word() {
        assert_parts("an (important) word", &[t("an ", 1.0), t("important", 1.1), t(" word", 1.0)]);
    }

    #[test]
    fn docstring_unbalanced_is_closed_at_the_end() {
        assert_parts("(unbalanced", &[t("unbalanced", 1.1)]);
    }

    #[test]
    fn docstring_escaped_brackets_are_literal() {
        assert_parts(r"\(literal\]", &[t("(literal]", 1.0)]);
    }

    #[test]
    fn docstring_equal_neighbours_merge() {
        assert_parts("(unnecessary)(parens)", &[t("unnecessaryparens", 1.1)]);
    }

    #[test]
    fn docstring_house_on_a_hill() {
        let input = "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).";
        let expected = [
            t("a ", 1.0),
            t("house", 1.5730000000000004),
            t(" ", 1.1),
            t("on", 1.0),
            t(" a ", 1.1),
            t("hill", 0.55),
            t(", sun, ", 1.1),
            t("sky", 1.4641000000000006),
            t(".", 1.1),
        ];
        assert_parts(input, &expected);
        // Python's repr round-trips, so A1111's printed weights are its exact doubles: the products
        // (1.3·1.1·1.1, 1.1⁴ …) must come out bit-identical, i.e. multiplied in A1111's order.
        let exact: Vec<u64> = [1.0, 1.5730000000000004, 1.1, 1.0, 1.1, 0.55, 1.1, 1.4641000000000006, 1.1]
            .iter()
            .map(|w: &f64| w.to_bits())
            .collect();
        assert_eq!(weight_bits(input), exact);
    }

    // --- BREAK (re_break = \s*\bBREAK\b\s*). ---

    #[test]
    fn break_between_words_swallows_the_spaces() {
        assert_parts("a BREAK b", &[t("a", 1.0), PromptPart::Break, t("b", 1.0)]);
        assert_parts("a  BREAK\tb", &[t("a", 1.0), PromptPart::Break, t("b", 1.0)]);
    }

    #[test]
    fn break_needs_word_boundaries() {
        // \b: letters, digits and `_` touching BREAK make it part of a word.
        assert_parts("aBREAK", &[t("aBREAK", 1.0)]);
        assert_parts("BREAKa", &[t("BREAKa", 1.0)]);
        assert_parts("a_BREAK 1BREAK BREAK2", &[t("a_BREAK 1BREAK BREAK2", 1.0)]);
        assert_parts("BREAKBREAK", &[t("BREAKBREAK", 1.0)]);
        assert_parts("break", &[t("break", 1.0)]);
        // Punctuation is not a word character: no space needed.
        assert_parts("a.BREAK,b", &[t("a.", 1.0), PromptPart::Break, t(",b", 1.0)]);
    }

    #[test]
    fn break_alone_keeps_empty_texts_around_it() {
        // re.split("BREAK") is ['', ''], and A1111 keeps both empty strings.
        assert_parts("BREAK", &[t("", 1.0), PromptPart::Break, t("", 1.0)]);
        assert_parts("BREAK BREAK", &[t("", 1.0), PromptPart::Break, t("", 1.0), PromptPart::Break, t("", 1.0)]);
    }

    #[test]
    fn break_after_colon_or_escape_is_a_separate_regex_match() {
        // `:` and `\` are their own re_attention matches, so BREAK starts a text run: \b holds.
        assert_parts("a:BREAK", &[t("a:", 1.0), PromptPart::Break, t("", 1.0)]);
        assert_parts(r"a\BREAK", &[t("a", 1.0), PromptPart::Break, t("", 1.0)]);
    }

    #[test]
    fn break_inside_brackets_becomes_the_word_break() {
        // A1111 stores BREAK as ("BREAK", -1) and the closing bracket multiplies it too: -1.1 is no
        // longer -1, so the chunker tokenizes the word "BREAK" with a negative weight.
        assert_parts("(a BREAK b)", &[t("a", 1.1), t("BREAK", -1.1), t("b", 1.1)]);
        assert_parts("[a BREAK b]", &[t("a", 0.9090909090909091), t("BREAK", -0.9090909090909091), t("b", 0.9090909090909091)]);
        assert_parts("(BREAK:-1)", &[t("", -1.0), t("BREAK", 1.0), t("", -1.0)]);
    }

    #[test]
    fn break_entry_merges_at_weight_zero() {
        // 0.0 == -0.0 in Python, so the BREAK entry merges with its neighbours into plain text.
        assert_parts("(a BREAK b:0)", &[t("aBREAKb", 0.0)]);
    }

    #[test]
    fn merged_text_reading_break_with_weight_minus_one_is_a_break() {
        // ("BRE", -1.0) + ("AK", -1.0) merge into ("BREAK", -1.0), which A1111's chunker takes as BREAK.
        assert_parts("(BRE:-1)(AK:-1)", &[PromptPart::Break]);
    }

    #[test]
    fn break_between_japanese_words() {
        // CJK characters are word characters: BREAK glued to them is text, spaced out it is a BREAK.
        assert_parts("猫BREAK犬", &[t("猫BREAK犬", 1.0)]);
        assert_parts("猫 BREAK 犬", &[t("猫", 1.0), PromptPart::Break, t("犬", 1.0)]);
        assert_parts("猫\u{3000}BREAK\u{3000}犬", &[t("猫", 1.0), PromptPart::Break, t("犬", 1.0)]);
    }

    #[test]
    fn python_whitespace_includes_information_separators() {
        // str.isspace() (and so \s) is true for U+001C..U+001F; Rust's is_whitespace is not.
        assert_parts("x\u{1c}BREAK\u{1f}y", &[t("x", 1.0), PromptPart::Break, t("y", 1.0)]);
        assert_parts("(x:\u{1c}2\u{1d})", &[t("x", 2.0)]);
    }

    // --- Weights. ---

    #[test]
    fn invalid_weight_text_is_plain_text() {
        // `:abc)` does not match the weighted close, so `:` and `abc` are text and `)` a plain close.
        assert_parts("(x:abc)", &[t("x:abc", 1.1)]);
    }

    #[test]
    fn unparsable_number_is_an_error_in_a1111() {
        // `:1.2.3)` matches `[.\d]+` but float('1.2.3') raises ValueError and A1111's generation fails.
        let error = try_parse_prompt_attention("(x:1.2.3)").unwrap_err();
        assert_eq!(error.to_string(), "could not convert string to float: '1.2.3'");
        assert_eq!(try_parse_prompt_attention("(x:.) (y:1..)").unwrap_err().number, ".");
        // The lenient parser reads it as text and a plain close instead.
        assert_parts("(x:1.2.3)", &[t("x:1.2.3", 1.1)]);
        assert_parts("a (x: . ) b", &[t("a ", 1.0), t("x: . ", 1.1), t(" b", 1.0)]);
    }

    #[test]
    fn unparsable_number_without_open_bracket_is_not_an_error() {
        // A1111 only calls float() when a `(` is open: otherwise the match is plain text.
        assert_eq!(try_parse_prompt_attention("x:1.2.3)"), Ok(vec![t("x:1.2.3)", 1.0)]));
        assert_eq!(try_parse_prompt_attention("(x:1.2)"), Ok(vec![t("x", 1.2)]));
    }

    #[test]
    fn weight_syntax_variants() {
        assert_parts("( x : 1.5 )", &[t(" x ", 1.5)]);
        assert_parts("a (b:+.5) c", &[t("a ", 1.0), t("b", 0.5), t(" c", 1.0)]);
        assert_parts("(a:5.)", &[t("a", 5.0)]);
        assert_parts("(a:0)", &[t("a", 0.0)]);
        assert_parts("(a:-1)", &[t("a", -1.0)]);
        assert_parts("(a(b:2)c)", &[t("a", 1.1), t("b", 2.2), t("c", 1.1)]);
    }

    #[test]
    fn extreme_weights_follow_ieee_like_python() {
        let nines = "9".repeat(400);
        // float('9'*400) is inf in Python; 0·inf is NaN.
        assert_eq!(parse_prompt_attention(&format!("(a:{nines})")), vec![t("a", f64::INFINITY)]);
        let nan = parse_prompt_attention(&format!("((a:0):{nines})"));
        assert!(matches!(nan.as_slice(), [PromptPart::Text { text, weight }] if text == "a" && weight.is_nan()));
    }

    #[test]
    fn nested_weight_and_brackets() {
        assert_parts("((x:1.2))", &[t("x", 1.32)]);
        assert_parts("[[x]]", &[t("x", 0.8264462809917354)]);
        assert_parts("((((((((((a))))))))))", &[t("a", 2.5937424601000023)]);
        // 1.2·1.1 and (1/1.1)² exactly as Python computes them.
        assert_eq!(weight_bits("((x:1.2))"), vec![(1.2_f64 * 1.1).to_bits()]);
        assert_eq!(weight_bits("[[x]]"), vec![(1.0 / 1.1 / 1.1_f64).to_bits()]);
    }

    #[test]
    fn weighted_close_without_open_round_bracket_is_text() {
        assert_parts("x:1.2)", &[t("x:1.2)", 1.0)]);
        // A `[` being open does not count: the weighted close is text, the `[` closes at the end.
        assert_parts("[a:1.2)", &[t("a:1.2)", 0.9090909090909091)]);
    }

    #[test]
    fn unmatched_closers_are_text() {
        assert_parts("a) b]", &[t("a) b]", 1.0)]);
        assert_parts("(a]", &[t("a]", 1.1)]);
        assert_parts("(a:1.2]", &[t("a:1.2]", 1.1)]);
    }

    #[test]
    fn crossed_brackets_use_separate_stacks() {
        // `)` closes the last `(`, `]` the last `[`, whatever opened in between.
        assert_parts("(a[b)c]", &[t("a", 1.1), t("b", 1.0), t("c", 0.9090909090909091)]);
    }

    #[test]
    fn unclosed_brackets_round_first_then_square() {
        assert_parts("(a", &[t("a", 1.1)]);
        assert_parts("[a", &[t("a", 0.9090909090909091)]);
        // A1111 closes every `(` (outermost first) before any `[`: b is ×1.1 then ×(1/1.1), c is
        // ×1.1 ×1.1 then ×(1/1.1), each product rounded in that order.
        let (b, c) = (1.1 * SQUARE_BRACKET_MULTIPLIER, 1.1 * 1.1 * SQUARE_BRACKET_MULTIPLIER);
        assert_parts("(a[b(c", &[t("a", 1.1), t("b", b), t("c", c)]);
        assert_eq!(weight_bits("(a[b(c"), [1.1_f64, b, c].map(f64::to_bits));
    }

    // --- Escapes. ---

    #[test]
    fn escaped_backslashes_and_lone_backslashes() {
        assert_parts(r"a\\b", &[t(r"a\b", 1.0)]);
        // A backslash before anything else is dropped (A1111 appends text[1:], an empty string).
        assert_parts(r"a\b", &[t("ab", 1.0)]);
        assert_parts("\\", &[t("", 1.0)]);
        // An escaped backslash does not escape the following bracket.
        assert_parts(r"\\(x)", &[t("\\", 1.0), t("x", 1.1)]);
        // Escaped characters inside brackets get the brackets' weight.
        assert_parts(r"(\()", &[t("(", 1.1)]);
    }

    // --- Japanese and other non-ASCII text. ---

    #[test]
    fn full_width_brackets_are_literal() {
        assert_parts("（括弧）", &[t("（括弧）", 1.0)]);
        assert_parts("（猫耳：1.2）", &[t("（猫耳：1.2）", 1.0)]);
    }

    #[test]
    fn japanese_weighted_text() {
        assert_parts("(猫耳:1.2)", &[t("猫耳", 1.2)]);
        assert_parts("少女、(猫耳)、[背景]", &[t("少女、", 1.0), t("猫耳", 1.1), t("、", 1.0), t("背景", 1.0 / 1.1)]);
    }

    #[test]
    fn full_width_digits_are_a_weight() {
        // Python's \d and float() accept every Unicode decimal digit.
        assert_parts("(猫耳:１.２)", &[t("猫耳", 1.2)]);
        assert_parts("(x:٣)", &[t("x", 3.0)]);
        assert_eq!(decimal_value('９'), Some(9));
        assert_eq!(decimal_value('𝟘'), Some(0));
        assert_eq!(decimal_value('²'), None);
        assert_eq!(decimal_value('a'), None);
    }

    // --- Degenerate input. ---

    #[test]
    fn empty_string_is_one_empty_part() {
        assert_eq!(parse_prompt_attention(""), vec![t("", 1.0)]);
        assert_eq!(parse_prompt_attention("()[]"), vec![t("", 1.0)]);
    }

    #[test]
    fn deep_nesting_is_fast_and_exact() {
        let open = "(".repeat(10_000);
        assert_eq!(parse_prompt_attention(&open), vec![t("", 1.0)]);
        let started = Instant::now();
        let nested = format!("{open}x{}", ")".repeat(10_000));
        let expected = (0..10_000).fold(1.0, |w: f64, _| w * 1.1);
        assert_eq!(parse_prompt_attention(&nested), vec![t("x", expected)]);
        let unclosed = format!("{open}x");
        assert_eq!(parse_prompt_attention(&unclosed), vec![t("x", expected)]);
        assert!(started.elapsed() < Duration::from_millis(50), "{:?}", started.elapsed());
    }

    /// Reference: A1111's algorithm as written, one multiplication pass per close (quadratic).
    fn naive_weights(pattern_len: usize, nested_closes: bool) -> Vec<f64> {
        let mut weights = vec![1.0; pattern_len];
        if nested_closes {
            for start in (0..pattern_len).rev() {
                weights[start..].iter_mut().for_each(|w| *w *= 1.1);
            }
        } else {
            for start in 0..pattern_len {
                weights[start..].iter_mut().for_each(|w| *w *= 1.1);
            }
        }
        weights
    }

    #[test]
    fn long_prompt_is_fast() {
        let phrase = "masterpiece, (best quality:1.2), [blurry], ((detailed eyes)), 1girl BREAK ";
        let prompt = phrase.repeat(10_000 / phrase.len() + 1);
        let prompt = &prompt[..10_000];
        let started = Instant::now();
        let parts = parse_prompt_attention(prompt);
        assert!(started.elapsed() < Duration::from_millis(50), "{:?}", started.elapsed());
        assert!(parts.len() > 500);
    }

    #[test]
    fn pathological_bracket_prompts_are_fast_and_exact() {
        // Each `(a` opens a bracket and adds a text; A1111 rescans every range on each close.
        for (prompt, count, nested) in
            [("(a".repeat(5_000), 5_000, false), (format!("{}{}", "(a".repeat(3_333), ")".repeat(3_333)), 3_333, true)]
        {
            let started = Instant::now();
            let parts = parse_prompt_attention(&prompt);
            assert!(started.elapsed() < Duration::from_millis(50), "{:?}", started.elapsed());
            // Every element has a different weight, so nothing merges.
            let weights: Vec<u64> = naive_weights(count, nested).iter().map(|w| w.to_bits()).collect();
            assert_eq!(weight_bits(&prompt), weights);
            assert_eq!(parts.len(), count);
        }
    }

    #[test]
    fn alternating_brackets_worst_case_stays_exact() {
        // `(a[a(a[a…` closed by `])])…`: every close multiplies by the other factor than the previous
        // one and all later weights differ, so nothing can be batched and, as in A1111, each close
        // touches every later weight (~5.5M multiplications for 10k characters: ~35 ms unoptimised,
        // ~2.5 ms at opt-level 1). Checked against A1111's loop run literally.
        let pairs = 1_666;
        let prompt = format!("{}{}", "(a[a".repeat(pairs), "])".repeat(pairs));
        let started = Instant::now();
        let actual = weight_bits(&prompt);
        assert!(started.elapsed() < Duration::from_millis(250), "{:?}", started.elapsed());
        let mut expected = vec![1.0_f64; 2 * pairs];
        for start in (0..2 * pairs).rev() {
            let factor = if start % 2 == 1 { SQUARE_BRACKET_MULTIPLIER } else { ROUND_BRACKET_MULTIPLIER };
            expected[start..].iter_mut().for_each(|w| *w *= factor);
        }
        let mut merged: Vec<f64> = Vec::new();
        for w in expected {
            if merged.last() != Some(&w) {
                merged.push(w);
            }
        }
        assert_eq!(actual, merged.iter().map(|w| w.to_bits()).collect::<Vec<_>>());
    }

    /// xorshift64*, enough to generate garbage deterministically.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
        }
    }

    #[test]
    fn random_garbage_never_panics() {
        const PIECES: [&str; 28] = [
            "(",
            ")",
            "[",
            "]",
            ":",
            "\\",
            " ",
            "a",
            "BREAK",
            " BREAK ",
            "1",
            ".",
            "-",
            "+",
            "0.5",
            ":1.2)",
            "猫",
            "（",
            "１",
            "\u{3000}",
            "\u{1c}",
            "Ⓐ",
            ",",
            "_",
            "é",
            "\u{301}",
            "\u{10FFFF}",
            "\t",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..5_000 {
            let len = rng.below(40);
            let input: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
            let parts = parse_prompt_attention(&input);
            let _ = try_parse_prompt_attention(&input);
            assert!(!parts.is_empty(), "{input:?}");
            // A1111's merge leaves no two neighbouring texts with equal weights.
            for pair in parts.windows(2) {
                if let [PromptPart::Text { weight: a, .. }, PromptPart::Text { weight: b, .. }] = pair {
                    assert!(a != b, "{input:?} → {parts:?}");
                }
            }
        }
    }

    #[test]
    fn split_on_break_matches_re_split() {
        assert_eq!(split_on_break("a BREAK b"), ["a", "b"]);
        assert_eq!(split_on_break("BREAK"), ["", ""]);
        assert_eq!(split_on_break("  BREAK  "), ["", ""]);
        assert_eq!(split_on_break("a BREAK BREAK b"), ["a", "", "b"]);
        assert_eq!(split_on_break("xBREAK BREAK"), ["xBREAK", ""]);
        assert_eq!(split_on_break("no break here"), ["no break here"]);
    }
}
