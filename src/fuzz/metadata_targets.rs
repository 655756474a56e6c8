//! Fuzz targets for picture metadata: the PNG text-chunk reader (with the settings readers behind it),
//! A1111 infotext, Nurie's JSON chunk, ComfyUI graphs and InvokeAI metadata.
//!
//! Properties: no panic; what the PNG reader returns stays within its [`ReadLimits`]; the heap one
//! execution holds is bounded by the input's size; and the round trips the metadata module promises:
//! a record Nurie can write as its JSON chunk reads back exactly, and a record written as A1111 text
//! and read back is stable from then on (one pass normalizes what A1111 text cannot carry, such as
//! whitespace at the ends of prompt lines; a record read from infotext is already normalized and must
//! come back unchanged).

use std::path::Path;

use serde_json::Value;

use super::harness::{Check, Mutate, Target, run};
use super::json_mutate::mutate_json;
use super::mutate::{ByteContext, TEXT_TOKENS, TextContext, mutate_bytes, mutate_text};
use super::rng::Rng;
use crate::metadata::python_format::python_strip;
use crate::metadata::{
    ControlNetUnit, GenerationRecord, GenerationSettings, ModelRef, NetworkUse, ParsedSettings, ReadLimits, RgbImage,
    SettingsSource, TextEncoding, TextEntry, encode_png, infotext, read_png_text_from, settings_from_comfyui_prompt,
    settings_from_infotext, settings_from_invokeai_metadata, settings_from_nurie_json, settings_from_text_chunks, to_nurie_json,
};
use crate::vocabulary::{Choice, RecordedSampler, RngSource, SamplerKind};

/// Longest mutated text: long enough for runs of thousands of pairs.
const MAX_TEXT_LEN: usize = 256 << 10;
/// Longest mutated PNG file.
const MAX_PNG_LEN: usize = 64 << 10;

/// Small limits for the PNG reader, so that what they bound is visible in a short run.
const PNG_LIMITS: ReadLimits =
    ReadLimits { max_chunk_bytes: 32 << 10, max_inflated_bytes: 256 << 10, max_text_chunks: 64, max_total_text_bytes: 1 << 20 };

/// Parsing text keeps a few copies of it (lines, pairs, the record, the written text); the fixed part
/// covers the regex's and serde's own tables.
fn text_heap_limit(len: usize) -> usize {
    64 * len + (4 << 20)
}

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metadata").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Records that use every field A1111 text carries: CJK and punctuation in prompts, every sampler
/// kind, ControlNet units with line art, a VAE, an img2img strength, LoRAs and embeddings with their
/// hashes, and extra pairs.
fn sample_records() -> Vec<GenerationRecord> {
    let unit = crate::metadata::round_trip_tests::lineart_unit();
    let mut full = GenerationRecord {
        settings: GenerationSettings {
            prompt: "1girl, 桜の木の下で、(best quality:1.2), [bg]\nsecond: \"quoted\", back\\slash".into(),
            negative_prompt: "低品質, (worst quality:1.4)".into(),
            sampler: SamplerKind::Dpmpp2mKarras.into(),
            steps: 28,
            cfg_scale: 6.5,
            seed: 2870305590,
            rng: RngSource::Nv,
            ensd: 31337,
            width: 512,
            height: 768,
            batch_size: 4,
            clip_skip: 2,
            denoising_strength: Some(0.35),
            hint_strength: Some(0.6),
            hires: Some(crate::metadata::HiresSettings { scale: 1.5, upscaler: "4x-AnimeSharp".into(), steps: 12 }),
            inpaint: Some(crate::metadata::InpaintSettings {
                area: crate::vocabulary::InpaintArea::OnlyMasked,
                masked_content: crate::vocabulary::MaskedContent::LatentNothing,
                paste_back: false,
                ..Default::default()
            }),
        },
        batch_index: 3,
        model: ModelRef::from_sha256("counterfeitV30_v30.safetensors", &"cb".repeat(32)),
        vae: Some(ModelRef { file_name: "kl-f8-anime2.ckpt".into(), autov2: Some("df3c506e51".into()), ..Default::default() }),
        init_image_sha256: Some("ab".repeat(32)),
        color_hints_sha256: Some("c0".repeat(32)),
        controlnets: vec![unit, ControlNetUnit::default()],
        nurie_version: Some("0.1.0".into()),
        model_license: Some("creativeml-openrail-m".into()),
        ..Default::default()
    };
    full.networks = crate::metadata::round_trip_tests::sample_networks();
    full.extra.insert("Tricky", " leading space, \"quotes\"\nand a newline ");
    let mut others: Vec<GenerationRecord> = SamplerKind::ALL
        .iter()
        .map(|&kind| {
            let mut record = GenerationRecord::default();
            record.settings.sampler = kind.into();
            record.settings.prompt = format!("cat, {}", kind.id());
            record
        })
        .collect();
    let mut foreign = GenerationRecord::default();
    foreign.settings.sampler = RecordedSampler::Other("LCM".into());
    foreign.extra.insert("Schedule type", "Align Your Steps");
    others.extend([full, foreign, GenerationRecord::default()]);
    others
}

fn a1111_seeds() -> Vec<String> {
    let examples = fixture("a1111_examples.json");
    let genuine = examples["examples"].as_array().unwrap().iter().map(|e| e["text"].as_str().unwrap().to_string());
    genuine.chain(sample_records().iter().map(infotext)).collect()
}

fn comfyui_seeds() -> Vec<String> {
    let prompts = fixture("comfyui_prompts.json");
    prompts["prompts"].as_array().unwrap().iter().map(|p| p["prompt"].to_string()).collect()
}

fn invokeai_seeds() -> Vec<String> {
    let metadata = fixture("invokeai_metadata.json");
    metadata["metadata"].as_array().unwrap().iter().map(|m| m["json"].as_str().unwrap().to_string()).collect()
}

fn nurie_seeds() -> Vec<String> {
    sample_records().iter().map(|record| to_nurie_json(record).unwrap()).collect()
}

/// Text mutations, or (for JSON formats, half of the time) a value changed in the parsed document.
fn text_mutator(json: bool) -> impl Fn(&mut Rng, &String, &[String]) -> String {
    move |rng, parent, corpus| {
        let document = json.then(|| serde_json::from_str::<Value>(parent).ok()).flatten();
        if let Some(mut document) = document.filter(|_| rng.one_in(2)) {
            let donors: Vec<Value> = rng.pick(corpus).and_then(|other| serde_json::from_str(other).ok()).into_iter().collect();
            mutate_json(rng, &mut document, &donors);
            return document.to_string();
        }
        let mut text = parent.clone();
        mutate_text(rng, &mut text, &TextContext { tokens: TEXT_TOKENS, corpus, max_len: MAX_TEXT_LEN });
        text
    }
}

fn text_target<'a>(
    name: &'static str,
    seeds: Vec<String>,
    mutate: &'a Mutate<'a, String>,
    check: &'a Check<'a, String>,
) -> Target<'a, String> {
    Target { name, seeds, default_execs: 1500, mutate, check, heap_limit: &text_heap_limit }
}

fn report(report: super::harness::Report) {
    println!("{}", report.summary());
    report.assert_clean();
}

#[test]
fn fuzz_a1111_infotext() {
    let mutate = text_mutator(false);
    let check: &Check<String> = &|text| check_parsed(&settings_from_infotext(text));
    report(run(&text_target("infotext", a1111_seeds(), &mutate, check)));
}

#[test]
fn fuzz_nurie_json() {
    let mutate = text_mutator(true);
    let check: &Check<String> = &|text| settings_from_nurie_json(text).map_or(Ok(()), |parsed| check_parsed(&parsed));
    report(run(&text_target("nurie_json", nurie_seeds(), &mutate, check)));
}

#[test]
fn fuzz_comfyui_prompt() {
    let mutate = text_mutator(true);
    let check: &Check<String> = &|text| settings_from_comfyui_prompt(text).map_or(Ok(()), |parsed| check_parsed(&parsed));
    report(run(&text_target("comfyui", comfyui_seeds(), &mutate, check)));
}

#[test]
fn fuzz_invokeai_metadata() {
    let mutate = text_mutator(true);
    let check: &Check<String> = &|text| settings_from_invokeai_metadata(text).map_or(Ok(()), |parsed| check_parsed(&parsed));
    report(run(&text_target("invokeai", invokeai_seeds(), &mutate, check)));
}

/// The round trips a parsed record must survive.
fn check_parsed(parsed: &ParsedSettings) -> Result<(), String> {
    check_nurie_round_trip(&parsed.record)?;
    check_infotext_round_trip(&parsed.record, parsed.source == SettingsSource::A1111)
}

/// The first place where two records differ, as a path of JSON field names (`controlnets.0.extra`);
/// `None` when they are the same. Debug text decides (it shows the order of extra pairs, and NaN is
/// equal to NaN there); the JSON values name the field.
fn first_difference(a: &GenerationRecord, b: &GenerationRecord) -> Option<String> {
    if format!("{a:?}") == format!("{b:?}") {
        return None;
    }
    Some(match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(x), Ok(y)) if x != y => difference_path(&x, &y),
        _ => "the order of extra pairs".to_string(),
    })
}

fn difference_path(a: &Value, b: &Value) -> String {
    let inner = match (a, b) {
        (Value::Object(x), Value::Object(y)) if x.keys().eq(y.keys()) => {
            x.iter().zip(y.values()).find(|((_, u), v)| u != v).map(|((key, u), v)| (key.clone(), u, v))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find(|(_, (u, v))| u != v).map(|(i, (u, v))| (i.to_string(), u, v))
        }
        _ => None,
    };
    match inner {
        Some((key, u, v)) => match difference_path(u, v) {
            rest if rest.is_empty() => key,
            rest => format!("{key}.{rest}"),
        },
        None => String::new(),
    }
}

/// A record Nurie would write as its JSON chunk reads back exactly.
fn check_nurie_round_trip(record: &GenerationRecord) -> Result<(), String> {
    if record.validate().is_err() {
        return Ok(());
    }
    let json = to_nurie_json(record).map_err(|e| format!("a valid record is not written as JSON: {e}"))?;
    let back = settings_from_nurie_json(&json).map_err(|e| format!("Nurie's own JSON does not read back: {e}\n{json}"))?;
    let Some(path) = first_difference(record, &back.record) else { return Ok(()) };
    let what = match (serde_json::to_value(record), serde_json::to_value(&back.record)) {
        (Ok(a), Ok(b)) if a != b && nearly_equal(&a, &b) => "the last bits of a float".to_string(),
        _ => format!("`{path}`"),
    };
    Err(format!("the nurie JSON round trip changes {what}\n  at `{path}`\n  before: {record:?}\n  after:  {:?}", back.record))
}

/// Equal but for numbers a few units in the last place apart: what serde_json's fast float parsing
/// (its default, without the `float_roundtrip` feature) does to some values it wrote itself. One
/// finding for all of them, so that they do not hide others.
fn nearly_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs()),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(u, v)| nearly_equal(u, v)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((k, u), (l, v))| k == l && nearly_equal(u, v))
        }
        _ => a == b,
    }
}

/// Written as A1111 text and read back, a record is stable after one pass: the first pass may drop
/// what the writer documents it cannot write (extras under its own keys, ControlNet units with `,` or
/// `:` in a value, whitespace at the ends of prompt lines), the second must change nothing. A record
/// read from A1111 text keeps its prompts and settings through the first pass too.
fn check_infotext_round_trip(record: &GenerationRecord, from_infotext: bool) -> Result<(), String> {
    if !hashes_are_well_formed(record) {
        return Ok(());
    }
    let first = infotext(record);
    let once = settings_from_infotext(&first).record;
    let carriable = !has_label_line(&record.settings.prompt) && !has_label_line(&record.settings.negative_prompt);
    if from_infotext && carriable && format!("{:?}", record.settings) != format!("{:?}", once.settings) {
        let path = first_difference(record, &once).unwrap_or_default();
        return Err(format!(
            "infotext → record → infotext changes `{path}`\n  text: {first:?}\n  before: {record:?}\n  after:  {once:?}"
        ));
    }
    let second = infotext(&once);
    let twice = settings_from_infotext(&second).record;
    match first_difference(&once, &twice) {
        Some(path) => Err(format!(
            "the infotext round trip is not stable: `{path}` changes\n  text: {second:?}\n  before: {once:?}\n  after:  {twice:?}"
        )),
        None => Ok(()),
    }
}

/// A prompt line starting with `Negative prompt:` cannot be carried by A1111 text: A1111 (and Nurie)
/// read the label off every such line. A1111's own parser makes such prompts, from text with the label
/// twice on a line.
fn has_label_line(prompt: &str) -> bool {
    prompt.split('\n').any(|line| python_strip(line).starts_with("Negative prompt:"))
}

/// Hashes as A1111 text carries them: AutoV1 8 hex digits, AutoV2 10, SHA-256 64, a network's short hash
/// 8 to 64. The writer copies
/// any other string into the text, where its reader refuses it and keeps it as an extra pair, which
/// the next write leaves out (the field owns the key): such a record changes over two passes. Only a
/// hand-edited or hostile `nurie` chunk holds one, so the round trip is not checked for it.
fn hashes_are_well_formed(record: &GenerationRecord) -> bool {
    let hex = |hash: &Option<String>, lengths: &[usize]| {
        hash.as_ref().is_none_or(|h| lengths.contains(&h.len()) && h.chars().all(|c| c.is_ascii_hexdigit()))
    };
    let model = |m: &ModelRef| hex(&m.autov1, &[8]) && hex(&m.autov2, &[10]) && hex(&m.sha256, &[64]);
    let network =
        |n: &NetworkUse| hex(&n.short_hash, &(8..=64).collect::<Vec<_>>()) && hex(&n.autov2, &[10]) && hex(&n.sha256, &[64]);
    model(&record.model)
        && record.vae.as_ref().is_none_or(model)
        && hex(&record.init_image_sha256, &[64])
        && hex(&record.color_hints_sha256, &[64])
        && record.controlnets.iter().all(|unit| model(&unit.model) && hex(&unit.line_art_sha256, &[64]))
        && record.references.iter().all(|unit| hex(&unit.picture_sha256, &[64]))
        && record.networks.iter().all(network)
}

// ----- PNG files -----

/// Chunk types and text keywords, for the dictionary.
const PNG_TOKENS: &[&[u8]] = &[
    b"tEXt",
    b"zTXt",
    b"iTXt",
    b"IEND",
    b"IDAT",
    b"IHDR",
    b"parameters\0",
    b"nurie\0",
    b"prompt\0",
    b"invokeai_metadata\0",
    b"\0\0",
    b"\x01\0",
    b"\x78\x9c",
    b"\x7f\xff\xff\xff",
    b"\x80\x00\x00\x00",
    b"\xff\xff\xff\xff",
];

fn png_seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metadata");
    let fixtures = ["pil_a1111_latin1.png", "pil_a1111_utf8.png", "pil_comfyui.png", "pil_compressed.png", "pil_invokeai.png"];
    let mut seeds: Vec<Vec<u8>> = fixtures.iter().map(|name| std::fs::read(dir.join(name)).unwrap()).collect();
    let records = sample_records();
    let full = &records[SamplerKind::ALL.len()];
    let (parameters, nurie) = (infotext(full), to_nurie_json(full).unwrap());
    let texts = [
        TextEntry { keyword: "parameters", text: &parameters, encoding: TextEncoding::LatinWhenPossible },
        TextEntry { keyword: "nurie", text: &nurie, encoding: TextEncoding::Utf8 },
    ];
    let pixels = [0x80u8; 2 * 2 * 3];
    seeds.push(encode_png(Path::new("seed.png"), RgbImage { width: 2, height: 2, pixels: &pixels }, &texts).unwrap());
    seeds
}

/// Walks the chunks and rewrites each CRC that the file has room for, so that mutated text chunks get
/// past the CRC check to the decoders.
fn fix_crcs(png: &mut [u8]) {
    let mut at = 8;
    while let Some(length) = png.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize) {
        let Some(crc_at) = at.checked_add(8).and_then(|n| n.checked_add(length)).filter(|&n| n + 4 <= png.len()) else {
            return;
        };
        let crc = crc32fast::hash(&png[at + 4..crc_at]);
        png[crc_at..crc_at + 4].copy_from_slice(&crc.to_be_bytes());
        at = crc_at + 4;
    }
}

/// Reads a PNG's text within [`PNG_LIMITS`], then the settings in it, and checks both.
fn check_png(bytes: &[u8]) -> Result<(), String> {
    let Ok(text) = read_png_text_from(bytes, Path::new("fuzz.png"), &PNG_LIMITS) else { return Ok(()) };
    let total: usize = text.chunks.iter().map(|c| c.text.len()).sum();
    let count = text.chunks.len() + text.skipped.len();
    if total > PNG_LIMITS.max_total_text_bytes || count > PNG_LIMITS.max_text_chunks {
        return Err(format!("the reader returned {count} chunks and {total} bytes of text, over its limits"));
    }
    // Latin-1 bytes take up to 2 bytes in UTF-8, and a damaged UTF-8 byte becomes U+FFFD (3 bytes).
    let per_chunk = 3 * PNG_LIMITS.max_inflated_bytes.max(PNG_LIMITS.max_chunk_bytes as usize);
    if let Some(chunk) = text.chunks.iter().find(|c| c.text.len() > per_chunk) {
        return Err(format!("chunk `{}` holds {} bytes, over the per-chunk limits", chunk.keyword, chunk.text.len()));
    }
    settings_from_text_chunks(&text.chunks).map_or(Ok(()), |parsed| check_parsed(&parsed))
}

#[test]
fn fuzz_png_text_chunks() {
    let mutate: &Mutate<Vec<u8>> = &|rng, parent, corpus| {
        let mut png = parent.clone();
        mutate_bytes(rng, &mut png, &ByteContext { dictionary: PNG_TOKENS, corpus, max_len: MAX_PNG_LEN });
        if !rng.one_in(3) {
            fix_crcs(&mut png);
        }
        png
    };
    let check: &Check<Vec<u8>> = &|bytes| check_png(bytes);
    // The reader holds at most one chunk as stored and one inflated, besides the text it keeps.
    let heap_limit = |len: usize| text_heap_limit(len) + 4 * PNG_LIMITS.max_inflated_bytes;
    let target = Target { name: "png_text", seeds: png_seeds(), default_execs: 1500, mutate, check, heap_limit: &heap_limit };
    report(run(&target));
}

/// The PNG seeds cut to their first `len` bytes, for the header reader's fuzz test in
/// `history::png_header`.
pub(crate) fn png_file_starts(len: usize) -> Vec<Vec<u8>> {
    png_seeds()
        .into_iter()
        .map(|mut png| {
            png.truncate(len);
            png
        })
        .collect()
}

/// Byte mutations with the PNG dictionary, inputs up to `max_len` bytes.
pub(crate) fn png_mutator(max_len: usize) -> impl Fn(&mut Rng, &Vec<u8>, &[Vec<u8>]) -> Vec<u8> {
    move |rng, parent, corpus| {
        let mut png = parent.clone();
        mutate_bytes(rng, &mut png, &ByteContext { dictionary: PNG_TOKENS, corpus, max_len });
        png
    }
}

#[test]
fn crc_fixing_makes_a_mutated_chunk_readable() {
    let mut png = png_seeds().remove(0);
    let at = png.windows(10).position(|w| w == b"parameters").unwrap();
    png[at] = b'P';
    assert!(read_png_text_from(&png[..], Path::new("x.png"), &PNG_LIMITS).unwrap().chunks.is_empty());
    fix_crcs(&mut png);
    let text = read_png_text_from(&png[..], Path::new("x.png"), &PNG_LIMITS).unwrap();
    assert!(text.get("Parameters").is_some(), "{:?}", text.chunks);
}
