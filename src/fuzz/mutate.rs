//! Mutations of bytes and of text: the classic byte-level ones (bit flips, interesting values,
//! inserted, deleted, duplicated and spliced ranges, little- and big-endian integers at the edges of
//! their types or near the input's size, dictionary tokens) and, for text, the same at character
//! boundaries plus separators, labels, numbers and long runs that stress A1111-style parsers.

use super::rng::Rng;

/// Bytes worth trying at any position.
const INTERESTING_BYTES: [u8; 8] = [0x00, 0x01, 0x7f, 0x80, 0xff, b'\n', b',', b':'];

/// Integers worth trying in any width (truncated to it), besides those derived from the input size.
const INTERESTING_INTS: [u64; 14] = [
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    u32::MAX as u64,
    i64::MAX as u64,
    i64::MIN as u64,
    u64::MAX,
];

/// What a byte mutation may use besides randomness.
pub struct ByteContext<'a> {
    /// Tokens of the format (opcodes, chunk names, JSON keys…), inserted or written over the input.
    pub dictionary: &'a [&'a [u8]],
    /// Other inputs to splice with.
    pub corpus: &'a [Vec<u8>],
    /// Longest input produced.
    pub max_len: usize,
}

/// Applies one to eight byte mutations (usually few) to `input`.
pub fn mutate_bytes(rng: &mut Rng, input: &mut Vec<u8>, context: &ByteContext) {
    for _ in 0..=rng.small_below(8) {
        mutate_bytes_once(rng, input, context);
    }
    input.truncate(context.max_len);
}

fn mutate_bytes_once(rng: &mut Rng, input: &mut Vec<u8>, context: &ByteContext) {
    let len = input.len();
    let at = rng.below(len + 1);
    match rng.below(13) {
        0 if at < len => input[at] ^= 1 << rng.below(8),
        1 if at < len => input[at] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())],
        2 if at < len => input[at] = rng.byte(),
        3 if at < len => input[at] = input[at].wrapping_add(rng.below(33) as u8).wrapping_sub(16),
        4 => {
            let bytes: Vec<u8> = (0..=rng.small_below(32)).map(|_| rng.byte()).collect();
            input.splice(at..at, bytes);
        }
        5 => {
            let end = (at + 1 + rng.small_below(64)).min(len);
            input.drain(at.min(end)..end);
        }
        6 => duplicate_range(rng, input),
        7 => splice(rng, input, context.corpus),
        8 => write_integer(rng, input, at),
        9 | 10 => insert_token(rng, input, at, context.dictionary),
        11 => overwrite_token(rng, input, at, context.dictionary),
        _ => input.truncate(at),
    }
}

/// Copies a range of the input to another place (inserted, or written over what is there).
fn duplicate_range(rng: &mut Rng, input: &mut Vec<u8>) {
    let len = input.len();
    let start = rng.below(len);
    let end = (start + 1 + rng.small_below(256)).min(len);
    let piece = input[start.min(end)..end].to_vec();
    let at = rng.below(len + 1);
    if rng.one_in(2) {
        let copies = 1 + rng.small_below(16);
        input.splice(at..at, piece.iter().copied().cycle().take(piece.len() * copies));
    } else {
        let end = (at + piece.len()).min(len);
        input[at..end].copy_from_slice(&piece[..end - at]);
    }
}

/// Joins a prefix of the input with a suffix of another corpus input, or inserts a piece of it.
fn splice(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    let Some(other) = rng.pick(corpus) else { return };
    let from = rng.below(other.len() + 1);
    if rng.one_in(2) {
        input.truncate(rng.below(input.len() + 1));
        input.extend_from_slice(&other[from..]);
    } else {
        let end = (from + rng.small_below(512)).min(other.len());
        let at = rng.below(input.len() + 1);
        input.splice(at..at, other[from..end].iter().copied());
    }
}

/// Writes an integer of 1, 2, 4 or 8 bytes, little- or big-endian, over the input at `at`: an edge
/// of some type, or a length near the input's own size (what a length field would need to lie about).
fn write_integer(rng: &mut Rng, input: &mut [u8], at: usize) {
    let len = input.len() as u64;
    let near_size = [len, len.wrapping_sub(at as u64), len + 1, len.wrapping_sub(1), len * 2, len << 20];
    let value =
        if rng.one_in(3) { near_size[rng.below(near_size.len())] } else { INTERESTING_INTS[rng.below(INTERESTING_INTS.len())] };
    let width = 1 << rng.below(4);
    let bytes = if rng.one_in(2) { value.to_le_bytes() } else { (value << (64 - 8 * width)).to_be_bytes() };
    let end = (at + width).min(input.len());
    input[at.min(end)..end].copy_from_slice(&bytes[..end - at.min(end)]);
}

fn insert_token(rng: &mut Rng, input: &mut Vec<u8>, at: usize, dictionary: &[&[u8]]) {
    if let Some(token) = rng.pick(dictionary) {
        input.splice(at..at, token.iter().copied());
    }
}

fn overwrite_token(rng: &mut Rng, input: &mut [u8], at: usize, dictionary: &[&[u8]]) {
    if let Some(token) = rng.pick(dictionary) {
        let end = (at + token.len()).min(input.len());
        input[at.min(end)..end].copy_from_slice(&token[..end - at.min(end)]);
    }
}

/// Separators, labels and values that A1111-style `Key: value` text and JSON give meaning to.
pub const TEXT_TOKENS: &[&str] = &[
    ", ",
    ": ",
    ",",
    ":",
    "\n",
    "\r\n",
    "\"",
    "\\",
    "\\\"",
    "\\u0000",
    "\\ud800",
    "Negative prompt:",
    "Negative prompt: ",
    "Steps: ",
    "Sampler: ",
    "Schedule type: ",
    "CFG scale: ",
    "Seed: ",
    "Size: ",
    "x",
    "Model hash: ",
    "Denoising strength: ",
    "Clip skip: ",
    "ENSD: ",
    "RNG: ",
    "Batch size: ",
    "Batch pos: ",
    "Version: nurie-",
    "Hires upscale: ",
    "ControlNet 0: ",
    "ControlNet 4294967295: ",
    "Line art 0 hash: ",
    "Line art 0 inverted: True",
    "Module: ",
    "Weight: ",
    "Guidance Start: ",
    "Control Mode: ",
    "Resize Mode: ",
    "Model: x [0123abcd]",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "-0",
    "0x10",
    "4294967296",
    "18446744073709551616",
    "-9223372036854775808",
    "99999999999999999999999999999999",
    "0.30000000000000004",
    "1e-400",
    "\u{0}",
    "\u{feff}",
    "\u{3000}",
    "\u{85}",
    "\u{2028}",
    "\u{fffd}",
    "\u{301}",
    "桜",
    "🎨",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "BREAK",
];

/// What a text mutation may use besides randomness.
pub struct TextContext<'a> {
    pub tokens: &'a [&'a str],
    pub corpus: &'a [String],
    /// Longest text produced, in bytes.
    pub max_len: usize,
}

/// Applies one to eight text mutations (usually few), keeping the text valid UTF-8.
pub fn mutate_text(rng: &mut Rng, text: &mut String, context: &TextContext) {
    for _ in 0..=rng.small_below(8) {
        mutate_text_once(rng, text, context);
    }
    let mut end = context.max_len.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
}

fn mutate_text_once(rng: &mut Rng, text: &mut String, context: &TextContext) {
    let at = boundary(rng, text);
    match rng.below(9) {
        0..=2 => {
            let token = rng.pick(context.tokens).copied().unwrap_or(",");
            text.insert_str(at, token);
        }
        3 => {
            let end = boundary_after(text, at, 1 + rng.small_below(64));
            text.replace_range(at..end, "");
        }
        4 => {
            let end = boundary_after(text, at, 1 + rng.small_below(256));
            let piece = text[at..end].repeat(1 + rng.small_below(8));
            let to = boundary(rng, text);
            text.insert_str(to, &piece);
        }
        5 => insert_run(rng, text, at, context),
        6 => replace_number(rng, text),
        7 => splice_text(rng, text, context.corpus),
        _ => {
            let mut bytes = std::mem::take(text).into_bytes();
            let byte_context = ByteContext { dictionary: &[], corpus: &[], max_len: context.max_len };
            mutate_bytes_once(rng, &mut bytes, &byte_context);
            *text = String::from_utf8_lossy(&bytes).into_owned();
        }
    }
}

/// A long run: one token many times, or numbered `KeyN: N, ` pairs (every key distinct), which is
/// what makes per-pair work show as quadratic time.
fn insert_run(rng: &mut Rng, text: &mut String, at: usize, context: &TextContext) {
    let count = 1 + rng.small_below(context.max_len / 16 + 1);
    let run = if rng.one_in(2) {
        let token = rng.pick(context.tokens).copied().unwrap_or("a");
        token.repeat(count.min(context.max_len / token.len().max(1)))
    } else {
        (0..count).map(|i| format!("K{i}: {i}, ")).collect()
    };
    text.insert_str(at, &run);
}

/// Replaces the digits of one number in the text with an extreme value.
fn replace_number(rng: &mut Rng, text: &mut String) {
    let digits: Vec<usize> = text.char_indices().filter(|(_, c)| c.is_ascii_digit()).map(|(i, _)| i).collect();
    let Some(&start) = rng.pick(&digits) else { return };
    let end = text[start..].find(|c: char| !c.is_ascii_digit() && c != '.').map_or(text.len(), |n| start + n);
    const NUMBERS: [&str; 12] = [
        "0",
        "4294967295",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        "9223372036854775807",
        "1e309",
        "NaN",
        "0.0000000001",
        "340282366920938463463374607431768211456",
        "00000000000000000000000000000000000001",
        "1.7976931348623157e308",
    ];
    text.replace_range(start..end, NUMBERS[rng.below(NUMBERS.len())]);
}

fn splice_text(rng: &mut Rng, text: &mut String, corpus: &[String]) {
    let Some(other) = rng.pick(corpus) else { return };
    let from = boundary(rng, other);
    if rng.one_in(2) {
        let cut = boundary(rng, text);
        text.truncate(cut);
        text.push_str(&other[from..]);
    } else {
        let end = boundary_after(other, from, rng.small_below(512));
        let at = boundary(rng, text);
        text.insert_str(at, &other[from..end]);
    }
}

/// A random character boundary of `text`.
fn boundary(rng: &mut Rng, text: &str) -> usize {
    let mut at = rng.below(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The character boundary at or after `at + len` (or the end).
fn boundary_after(text: &str, at: usize, len: usize) -> usize {
    let mut end = (at + len).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_stay_within_bounds_and_valid_utf8() {
        let corpus = vec![b"PK\x03\x04hello".to_vec(), Vec::new()];
        let context = ByteContext { dictionary: &[b"tEXt"], corpus: &corpus, max_len: 64 };
        let texts = vec!["Steps: 20, 桜".to_string()];
        let text_context = TextContext { tokens: TEXT_TOKENS, corpus: &texts, max_len: 4096 };
        let mut rng = Rng::new(1);
        for _ in 0..5000 {
            let mut bytes = corpus[rng.below(2)].clone();
            mutate_bytes(&mut rng, &mut bytes, &context);
            assert!(bytes.len() <= 64);
            let mut text = texts[0].clone();
            mutate_text(&mut rng, &mut text, &text_context);
            assert!(text.len() <= 4096);
        }
    }
}
