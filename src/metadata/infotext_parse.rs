//! Splits an A1111 `parameters` text into prompt, negative prompt and `Key: value` pairs, the way
//! A1111 1.10's `parse_generation_parameters` (`modules/infotext_utils.py`) does before it interprets
//! any setting:
//!
//! * the last line holds the pairs only if A1111's pair pattern finds at least 3 pairs in it;
//!   otherwise it is part of the prompt;
//! * every other line is stripped; lines before the first `Negative prompt:` line form the prompt,
//!   that line (minus the label) and all later ones the negative prompt, joined by `\n`;
//! * a value is `"…"` JSON (unquoted with JSON rules; left as is if that fails) or runs to the next `,`;
//! * a pair with an empty value is dropped (A1111 fails on `value[0]` and skips it);
//! * a repeated key keeps its first position and its last value.
//!
//! One addition: a bare JSON object after `Hashes:` (Civitai's key, which A1111 does not read) is
//! taken whole, where A1111's pattern would cut it at its first comma.

use std::sync::LazyLock;

use regex::Regex;

use super::civitai_hashes::HASHES_KEY;
use super::extra_params::ExtraParams;
use super::python_format::python_strip;

/// A1111's `re_param_code`.
#[expect(clippy::expect_used, reason = "a constant pattern, compiled by every test that parses infotext")]
static PAIR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)"#).expect("constant pattern is valid"));

const NEGATIVE_LABEL: &str = "Negative prompt:";

/// The three parts of an infotext; the pairs are unquoted but otherwise uninterpreted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InfotextFields {
    pub prompt: String,
    pub negative_prompt: String,
    pub params: ExtraParams,
}

pub fn parse_infotext(text: &str) -> InfotextFields {
    let mut lines: Vec<&str> = python_strip(text).split('\n').collect();
    let last = lines.pop().unwrap_or_default();
    let pairs_line = if PAIR.find_iter(last).count() >= 3 {
        last
    } else {
        lines.push(last);
        ""
    };
    let (prompt, negative_prompt) = split_prompts(&lines);
    InfotextFields { prompt, negative_prompt, params: parse_pairs(pairs_line) }
}

fn split_prompts(lines: &[&str]) -> (String, String) {
    let mut prompt: Vec<&str> = Vec::new();
    let mut negative: Vec<&str> = Vec::new();
    for line in lines {
        let line = python_strip(line);
        if let Some(rest) = line.strip_prefix(NEGATIVE_LABEL) {
            negative.push(python_strip(rest));
        } else if negative.is_empty() {
            prompt.push(line);
        } else {
            negative.push(line);
        }
    }
    (join_like_a1111(&prompt), join_like_a1111(&negative))
}

/// A1111 adds a `\n` before a line only once its text so far is non-empty, so leading empty lines
/// vanish while empty lines in the middle stay.
fn join_like_a1111(lines: &[&str]) -> String {
    let mut text = String::new();
    for line in lines {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(line);
    }
    text
}

/// The `Key: value` pairs of the settings line, unquoted.
pub fn parse_pairs(line: &str) -> ExtraParams {
    let mut params = ExtraParams::new();
    let (mut at, mut bare_json_tried) = (0, false);
    while let Some(captures) = PAIR.captures_at(line, at) {
        let (Some(whole), Some(key), Some(value)) = (captures.get(0), captures.get(1), captures.get(2)) else { break };
        at = whole.end();
        // Once per line: each try may read to the end of the line, and a hostile line repeats the key.
        let bare = (!bare_json_tried && key.as_str() == HASHES_KEY).then(|| bare_json_value(line, value.start()));
        bare_json_tried |= bare.is_some();
        if let Some((json, end)) = bare.flatten() {
            params.insert(key.as_str(), json);
            at = end;
            continue;
        }
        if !value.as_str().is_empty() {
            params.insert(key.as_str(), unquote(value.as_str()));
        }
    }
    params
}

/// Civitai's `Hashes: {"model": "…", "lora:x": "…"}` is a bare JSON object, which A1111's pattern
/// would cut at its first comma: read whole (and where the line goes on after it) when it is one.
fn bare_json_value(line: &str, start: usize) -> Option<(&str, usize)> {
    let rest = line.get(start..).filter(|rest| rest.starts_with('{'))?;
    let mut objects = serde_json::Deserializer::from_str(rest).into_iter::<ExtraParams>();
    objects.next()?.ok()?;
    let (json, after) = rest.split_at(objects.byte_offset());
    let separator = after.trim_start_matches(|c: char| c.is_whitespace());
    let end = match separator.strip_prefix(',') {
        Some(next) => line.len() - next.len(),
        None if separator.is_empty() => line.len(),
        None => return None,
    };
    Some((json, end))
}

/// A1111's `unquote`: `"…"` is read as a JSON string; anything else, or invalid JSON, stays as is.
fn unquote(value: &str) -> String {
    let quoted = value.len() >= 2 && value.starts_with('"') && value.ends_with('"');
    match quoted.then(|| serde_json::from_str::<String>(value)) {
        Some(Ok(text)) => text,
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/fixtures/metadata/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// Every genuine infotext splits exactly as A1111's own code splits it (python_reference.json).
    #[test]
    fn genuine_examples_split_like_a1111() {
        let examples = fixture("a1111_examples.json");
        let reference = fixture("python_reference.json");
        let examples = examples["examples"].as_array().unwrap();
        assert!(examples.len() >= 5);
        for example in examples {
            let name = example["name"].as_str().unwrap();
            let expected = &reference["a1111_parse"][name];
            let fields = parse_infotext(example["text"].as_str().unwrap());
            assert_eq!(fields.prompt, expected["prompt"].as_str().unwrap(), "{name}");
            assert_eq!(fields.negative_prompt, expected["negative_prompt"].as_str().unwrap(), "{name}");
            let pairs: Vec<(String, String)> = fields.params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let expected_pairs: Vec<(String, String)> = expected["pairs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_str().unwrap().to_string()))
                .collect();
            assert_eq!(pairs, expected_pairs, "{name}");
        }
    }

    #[test]
    fn multi_line_prompt_and_negative_prompt() {
        let text = "line one\n\n  line two  \nNegative prompt: neg one\nneg two\nSteps: 20, Sampler: Euler, CFG scale: 7";
        let fields = parse_infotext(text);
        assert_eq!(fields.prompt, "line one\n\nline two");
        assert_eq!(fields.negative_prompt, "neg one\nneg two");
        assert_eq!(fields.params.len(), 3);
    }

    #[test]
    fn a_last_line_with_fewer_than_three_pairs_is_prompt() {
        let fields = parse_infotext("a cat\nstyle: watercolor, mood: calm");
        assert_eq!(fields.prompt, "a cat\nstyle: watercolor, mood: calm");
        assert!(fields.params.is_empty());
    }

    #[test]
    fn quoted_values_with_escapes_and_broken_quotes() {
        let line = r#"Steps: 20, Lora hashes: "a: 1, b: 2", Text: "say \"hi\"\nbye", Bad: "not json\q", Empty: , Size: 512x768"#;
        let params = parse_pairs(line);
        assert_eq!(params.get("Lora hashes"), Some("a: 1, b: 2"));
        assert_eq!(params.get("Text"), Some("say \"hi\"\nbye"));
        assert_eq!(params.get("Bad"), Some(r#""not json\q""#));
        assert_eq!(params.get("Empty"), None);
        assert_eq!(params.get("Size"), Some("512x768"));
    }

    /// Why the writer quotes values that start with `"`: A1111's pattern reads an unquoted `"77` as the
    /// start of a quoted value and runs on to the next quote, swallowing the following pair.
    #[test]
    fn an_unquoted_value_starting_with_a_quote_swallows_the_next_pair() {
        let params = parse_pairs(r#"Steps: 20, Lora hashes: "77, ADetailer prompt: ", Z,", Seed: 1"#);
        assert_eq!(params.get("Lora hashes"), Some("77, ADetailer prompt: "));
        assert_eq!(params.get("ADetailer prompt"), None);
        assert_eq!(params.get("Seed"), Some("1"));
    }

    #[test]
    fn a_bare_hashes_object_is_read_whole_once() {
        let line = r#"Steps: 20, Hashes: {"model": "6ce0161689", "lora:a, b": "x"} , Seed: 1, Hashes: {"c": "d"}"#;
        let params = parse_pairs(line);
        assert_eq!(params.get("Hashes"), Some(r#"{"c": "d"}"#), "the second is cut as A1111 cuts it");
        assert_eq!((params.get("Seed"), params.len()), (Some("1"), 3));
        let first = parse_pairs(r#"Steps: 20, Hashes: {"model": "6ce0161689", "lora:a, b": "x"} , Seed: 1"#);
        assert_eq!(first.get("Hashes"), Some(r#"{"model": "6ce0161689", "lora:a, b": "x"}"#));
        let not_json = parse_pairs(r#"Steps: 20, Hashes: {"model": 5, "x": "y"}, Seed: 1"#);
        assert_eq!(not_json.get("Hashes"), Some(r#"{"model": 5"#));
    }

    #[test]
    fn empty_and_garbage_text_do_not_panic() {
        assert_eq!(parse_infotext(""), InfotextFields::default());
        let fields = parse_infotext("\u{0}\u{ffff}::,,\"\"\"\n\n\n");
        assert!(fields.params.is_empty());
        let fields = parse_infotext("Negative prompt:");
        assert_eq!((fields.prompt.as_str(), fields.negative_prompt.as_str()), ("", ""));
    }
}
