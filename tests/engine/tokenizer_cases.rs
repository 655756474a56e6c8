//! The bundled CLIP tokenizer against OpenAI/open_clip's reference ids.

use nurie::prompt::ClipTokenizer;

use super::support::{fixture, references};

fn cases() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(fixture("clip/cases.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["cases"].as_array().unwrap().clone()
}

fn ids(value: &serde_json::Value) -> Vec<u32> {
    value.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect()
}

#[test]
fn every_case_matches_the_reference_ids() {
    let tokenizer = ClipTokenizer::shared().unwrap();
    let cases: Vec<_> = cases().into_iter().filter(|c| c["text"] != LITERAL_END_OF_TEXT).collect();
    assert_eq!(cases.len(), 32);
    for case in cases {
        let text = case["text"].as_str().unwrap();
        assert_eq!(tokenizer.ids_with_specials(text), ids(&case["ids"]), "ids of {text:?}");
        assert_eq!(tokenizer.pipeline_ids(text), ids(&case["pipeline_ids_77"]), "77 ids of {text:?}");
    }
}

/// The one case where Nurie follows A1111 rather than open_clip: transformers' `CLIPTokenizer` (what
/// A1111 uses) splits a literal `<|endoftext|>` out as the end-of-text token; open_clip spells it out.
const LITERAL_END_OF_TEXT: &str = "literal <|endoftext|> token";

#[test]
fn a_literal_end_of_text_is_the_end_of_text_token_as_in_a1111() {
    let tokenizer = ClipTokenizer::shared().unwrap();
    let case = cases().into_iter().find(|c| c["text"] == LITERAL_END_OF_TEXT).unwrap();
    assert_eq!(tokenizer.ids_with_specials(LITERAL_END_OF_TEXT), ids(&case["ids_tokenizer_json"]));
    assert_eq!(tokenizer.ids_with_specials(LITERAL_END_OF_TEXT), [49406, 24269, 49407, 17134, 49407]);
}

/// A full-width comma is a comma (A1111's tokenizer runs ftfy), so the comma back-off sees it.
#[test]
fn a_full_width_comma_is_the_comma_token() {
    let tokenizer = ClipTokenizer::shared().unwrap();
    assert_eq!(tokenizer.ids("猫，犬"), tokenizer.ids("猫,犬"));
    assert!(tokenizer.ids("，").contains(&tokenizer.comma_id()));
}

#[test]
fn reference_input_ids_are_the_plain_tokenization_of_the_manifest_prompts() {
    let tokenizer = ClipTokenizer::shared().unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("parity/manifest.json")).unwrap()).unwrap();
    let prompts = manifest["te_prompts"].as_array().unwrap();
    let reference = references().read_f32("te.input_ids").unwrap();
    for (i, prompt) in prompts.iter().enumerate() {
        let expected: Vec<u32> = reference.values[i * 77..(i + 1) * 77].iter().map(|&v| v as u32).collect();
        assert_eq!(tokenizer.pipeline_ids(prompt.as_str().unwrap()), expected, "prompt {i}");
    }
}

#[test]
fn the_comma_token_is_known() {
    assert_eq!(ClipTokenizer::shared().unwrap().comma_id(), 267);
}
