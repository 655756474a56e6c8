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
fn every_core_case_matches_the_reference_ids() {
    let tokenizer = ClipTokenizer::shared().unwrap();
    let core: Vec<_> = cases().into_iter().filter(|c| c["category"] == "core").collect();
    assert_eq!(core.len(), 27);
    for case in core {
        let text = case["text"].as_str().unwrap();
        assert_eq!(tokenizer.ids_with_specials(text), ids(&case["ids"]), "ids of {text:?}");
        assert_eq!(tokenizer.pipeline_ids(text), ids(&case["pipeline_ids_77"]), "77 ids of {text:?}");
    }
}

/// The edge cases differ from open_clip by design (it runs ftfy and HTML unescaping first); they must
/// still equal what `tokenizer.json` itself gives, as recorded in the cases file.
#[test]
fn edge_cases_match_tokenizer_json() {
    let tokenizer = ClipTokenizer::shared().unwrap();
    for case in cases().into_iter().filter(|c| c["category"] == "edge") {
        let text = case["text"].as_str().unwrap();
        assert_eq!(tokenizer.ids_with_specials(text), ids(&case["ids_tokenizer_json"]), "ids of {text:?}");
    }
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
