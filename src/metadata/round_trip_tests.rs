//! Write → parse round trips through A1111 infotext, across the whole metadata module.
//!
//! A1111 text cannot carry everything a record holds. What it loses, exactly as A1111 itself does:
//! whitespace at the ends of prompt lines (every line is stripped), full SHA-256 hashes (only the
//! 10-digit AutoV2 is written), the extension of checkpoint and ControlNet file names (A1111 shows
//! names without it), and prompt lines that start with `Negative prompt:` (the label is read off every
//! such line). Networks (LoRAs, embeddings) come back by what `Lora hashes`, `TI hashes` and `Hashes`
//! carry: the name (without `:` and `,`) and the short and AutoV2 hashes, LoRAs before embeddings and,
//! within a kind, those with a short hash first; not the full SHA-256 or the strengths. Records built
//! within those limits must come back unchanged; the `nurie` chunk carries the rest. `src/fuzz` checks the same on mutated texts and on records read from other tools.

use super::generation_settings::{ControlGuidance, GenerationSettings};
use super::infotext_record::settings_from_infotext;
use super::infotext_write::infotext;
use super::network_use::{NetworkKind, NetworkUse};
use super::python_format::python_strip;
use super::record::{ControlNetUnit, GenerationRecord, ModelRef};
use crate::vocabulary::{Choice, ControlMode, ResizeMode, RngSource, SamplerKind};

fn assert_round_trip(record: &GenerationRecord) {
    let text = infotext(record);
    let parsed = settings_from_infotext(&text);
    assert!(parsed.warnings.is_empty(), "{:?}\n{text}", parsed.warnings);
    assert_eq!(&parsed.record, record, "\n{text}");
}

fn model(name: &str, autov2: &str) -> ModelRef {
    ModelRef { file_name: name.into(), autov2: Some(autov2.into()), ..Default::default() }
}

/// A line-art unit using every field the A1111 ControlNet text carries (also a fuzz seed).
pub(crate) fn lineart_unit() -> ControlNetUnit {
    ControlNetUnit {
        model: ModelRef { file_name: "control_v11p_sd15_lineart".into(), autov1: Some("43d4be0d".into()), ..Default::default() },
        module: "invert".into(),
        guidance: ControlGuidance {
            weight: 0.85,
            guidance_start: 0.05,
            guidance_end: 0.9,
            control_mode: ControlMode::ControlNetMoreImportant,
        },
        resize_mode: ResizeMode::ResizeAndFill,
        line_art_sha256: Some("0f".repeat(32)),
        line_art_inverted: true,
        ..Default::default()
    }
}

#[test]
fn japanese_prompts_and_a_lineart_controlnet() {
    let record = GenerationRecord {
        settings: GenerationSettings {
            prompt: "1girl, 桜の木の下で本を読む少女、水彩画風：やわらかい光, <lora:flat_color:0.8>".into(),
            negative_prompt: "低品質, ぼやけ, (worst quality:1.4)".into(),
            sampler: SamplerKind::EulerA.into(),
            seed: 2870305590,
            rng: RngSource::Nv,
            width: 512,
            height: 768,
            clip_skip: 2,
            ..Default::default()
        },
        model: model("二次元_mixProV45Colorbox_v45", "19dbfda152"),
        controlnets: vec![lineart_unit()],
        nurie_version: Some("0.1.0".into()),
        ..Default::default()
    };
    assert_round_trip(&record);
}

#[test]
fn prompts_with_commas_colons_quotes_newlines_and_emphasis() {
    let record = GenerationRecord {
        settings: GenerationSettings {
            prompt: "masterpiece, (best quality:1.2), [[background]], \\(parenthesized\\), {curly}\n\nsecond: \"quoted\", back\\slash\nBREAK, a AND b, (a:1.1) [b:c:0.5]".into(),
            negative_prompt: "bad hands: 2, \"ugly\"\nsecond line, (worst quality, low quality:1.4)".into(),
            sampler: SamplerKind::Dpmpp2m.into(),
            cfg_scale: 4.5,
            ..Default::default()
        },
        ..Default::default()
    };
    assert_round_trip(&record);
}

#[test]
fn every_sampler_and_every_optional_field() {
    for &id in SamplerKind::ALL {
        let mut record = GenerationRecord {
            settings: GenerationSettings {
                prompt: "cat".into(),
                steps: 150,
                sampler: id.into(),
                cfg_scale: 12.25,
                seed: u64::MAX,
                rng: RngSource::Cpu,
                ensd: -31337,
                width: 1024,
                height: 64,
                batch_size: 8,
                clip_skip: 12,
                denoising_strength: Some(0.35),
                ..Default::default()
            },
            batch_index: 7,
            model: ModelRef { file_name: "old model".into(), autov1: Some("45dee52b".into()), ..Default::default() },
            vae: Some(model("kl-f8-anime2.ckpt", "df3c506e51")),
            init_image_sha256: Some("ab".repeat(32)),
            controlnets: vec![lineart_unit(), ControlNetUnit::default()],
            nurie_version: Some("0.1.0-beta.2".into()),
            model_license: Some("creativeml-openrail-m".into()),
            ..Default::default()
        };
        record.extra.insert("Face restoration", "CodeFormer");
        record.networks = sample_networks();
        record.extra.insert("Tricky", " leading space, \"quotes\"\nand a newline ");
        record.extra.insert("Quoted", "\"already quoted\"");
        record.extra.insert("Empty", "");
        assert_round_trip(&record);
    }
}

/// Networks as A1111 text carries them: LoRAs, then embeddings; each with a short hash, an AutoV2 or
/// both (also a fuzz seed).
pub(crate) fn sample_networks() -> Vec<NetworkUse> {
    let network = |kind, name: &str, short: Option<&str>, autov2: Option<&str>| NetworkUse {
        short_hash: short.map(str::to_string),
        autov2: autov2.map(str::to_string),
        ..NetworkUse::named(kind, name)
    };
    vec![
        network(NetworkKind::Lora, "flat_color", Some("3b8aa1d351ef"), Some("7e3a1f0c2d")),
        network(NetworkKind::Lora, "詳細 detail", Some("0123456789ab"), None),
        network(NetworkKind::Lora, "only\"civitai\"}", None, Some("aaaaaaaaaa")),
        network(NetworkKind::Embedding, "EasyNegative", Some("c74b4e810b03"), Some("c74b4e810b")),
        network(NetworkKind::Embedding, "bad-hands-5", None, Some("aa7651be15")),
    ]
}

#[test]
fn loras_and_embeddings_with_their_hashes() {
    let record = GenerationRecord {
        settings: GenerationSettings {
            prompt: "1girl, <lora:flat_color:0.8>, <lora:詳細 detail:0.5>".into(),
            negative_prompt: "EasyNegative, bad-hands-5".into(),
            ..Default::default()
        },
        model: model("counterfeitV30_v30", "cbfba64e66"),
        vae: Some(model("kl-f8-anime2.ckpt", "df3c506e51")),
        networks: sample_networks(),
        nurie_version: Some("0.1.0".into()),
        ..Default::default()
    };
    let text = infotext(&record);
    assert!(
        text.contains(r#"Lora hashes: "flat_color: 3b8aa1d351ef, 詳細 detail: 0123456789ab", TI hashes: "EasyNegative: c74b4e810b03", Version: nurie-0.1.0, Hashes: {"model": "cbfba64e66", "vae": "df3c506e51", "lora:flat_color": "7e3a1f0c2d""#),
        "{text}"
    );
    assert_round_trip(&record);
}

/// What the text cannot carry of networks: the SHA-256 and strengths, names' `:` and `,` (A1111 drops
/// them), a network with no hash at all; the order becomes LoRAs first.
#[test]
fn what_a1111_text_cannot_carry_of_networks() {
    let mut embedding = NetworkUse::named(NetworkKind::Embedding, "a:b,c");
    (embedding.short_hash, embedding.sha256, embedding.strength) =
        (Some("0123456789ab".into()), Some("ef".repeat(32)), Some(0.5));
    let lora = NetworkUse { short_hash: Some("ba9876543210".into()), ..NetworkUse::named(NetworkKind::Lora, "x") };
    let record = GenerationRecord {
        networks: vec![embedding, NetworkUse::named(NetworkKind::Lora, "unhashed"), lora.clone()],
        ..Default::default()
    };
    let parsed = settings_from_infotext(&infotext(&record)).record;
    let carried = NetworkUse { autov2: Some("efefefefef".into()), ..NetworkUse::named(NetworkKind::Embedding, "a:b,c") };
    let stripped = NetworkUse { short_hash: Some("0123456789ab".into()), ..NetworkUse::named(NetworkKind::Embedding, "abc") };
    assert_eq!(parsed.networks, vec![lora, stripped, carried]);
    assert_eq!(settings_from_infotext(&infotext(&parsed)).record, parsed);
}

#[test]
fn empty_prompts_round_trip() {
    assert_round_trip(&GenerationRecord::default());
    let mut record = GenerationRecord::default();
    record.settings.negative_prompt = "only negative".into();
    assert_round_trip(&record);
}

/// What A1111 text drops, checked explicitly: the file extension of the checkpoint, its full SHA-256,
/// whitespace at the ends of prompt lines.
#[test]
fn what_a1111_text_cannot_carry() {
    let record = GenerationRecord {
        settings: GenerationSettings { prompt: "  cat  \n  dog".into(), ..Default::default() },
        model: ModelRef::from_sha256(
            "counterfeitV30_v30.safetensors",
            &"cbfba64e66".repeat(6).chars().chain("0123".chars()).collect::<String>(),
        ),
        ..Default::default()
    };
    let parsed = settings_from_infotext(&infotext(&record)).record;
    assert_eq!(parsed.settings.prompt, "cat\ndog");
    assert_eq!(parsed.model, model("counterfeitV30_v30", "cbfba64e66"));
}

/// Deterministic pseudo-random records (a 64-bit LCG), with text from characters that stress the
/// format: separators, quotes, escapes, brackets, CJK, emoji, newlines and Unicode spaces.
#[test]
fn many_random_records_round_trip() {
    let mut random = Lcg(0x006e_7572_6965);
    for _ in 0..400 {
        let record = random_record(&mut random);
        assert_round_trip(&record);
    }
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 11
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn text(&mut self, max_len: u64) -> String {
        const POOL: [&str; 24] = [
            "a", "Z", "7", " ", ",", ":", ", ", ": ", "\"", "\\", "(", ")", "[", "]", ":1.2", "\n", "桜", "、", "：", "🎨",
            "\u{3000}", "\t", "BREAK", "Negative",
        ];
        (0..self.below(max_len + 1)).map(|_| POOL[self.below(POOL.len() as u64) as usize]).collect()
    }

    fn unit_float(&mut self) -> f64 {
        (self.next() as f64) / ((1u64 << 53) as f64)
    }
}

/// A prompt as A1111 text can hold it: no whitespace at line ends, no empty first line.
fn a1111_prompt(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').map(python_strip).collect();
    python_strip(&lines.join("\n")).to_string()
}

fn random_record(random: &mut Lcg) -> GenerationRecord {
    let sampler = SamplerKind::ALL[random.below(6) as usize];
    let mut record = GenerationRecord {
        settings: GenerationSettings {
            prompt: a1111_prompt(&random.text(40)),
            negative_prompt: a1111_prompt(&random.text(20)),
            steps: 1 + random.below(150) as u32,
            sampler: sampler.into(),
            cfg_scale: random.below(61) as f64 / 2.0,
            seed: random.next() << random.below(12),
            rng: if random.below(2) == 0 { RngSource::Cpu } else { RngSource::Nv },
            ensd: random.below(40000) as i64 - 20000,
            width: 64 * (1 + random.below(32) as u32),
            height: 8 * (1 + random.below(256) as u32),
            clip_skip: 1 + random.below(3) as u32,
            denoising_strength: (random.below(2) == 0).then(|| random.unit_float()),
            hint_strength: (random.below(2) == 0).then(|| random.unit_float()),
            ..Default::default()
        },
        ..Default::default()
    };
    if record.settings.hint_strength.is_some() {
        record.color_hints_sha256 = Some("c0".repeat(32));
    }
    if random.below(2) == 0 {
        let mut unit = lineart_unit();
        unit.guidance.weight = random.unit_float() * 2.0;
        unit.guidance.guidance_start = random.unit_float() / 2.0;
        unit.line_art_inverted = random.below(2) == 0;
        record.controlnets.push(unit);
    }
    for key in ["Face restoration", "ADetailer prompt"] {
        if random.below(2) == 0 {
            record.extra.insert(key, random.text(12));
        }
    }
    record.networks = random_networks(random);
    record
}

/// Networks within what the text carries: names without `:`, `,` or whitespace at the ends, LoRAs first
/// and within a kind those with a short hash first, one name per kind.
fn random_networks(random: &mut Lcg) -> Vec<NetworkUse> {
    let mut networks: Vec<NetworkUse> = Vec::new();
    for _ in 0..random.below(5) {
        let kind = if random.below(2) == 0 { NetworkKind::Lora } else { NetworkKind::Embedding };
        let name = python_strip(&random.text(8).replace([':', ','], "")).to_string();
        let hex = |random: &mut Lcg, digits: usize| format!("{:016x}", random.next())[..digits].to_string();
        let (short, autov2) = match random.below(3) {
            0 => (Some(hex(random, 12)), None),
            1 => (None, Some(hex(random, 10))),
            _ => (Some(hex(random, 12)), Some(hex(random, 10))),
        };
        if !name.is_empty() && !networks.iter().any(|n| n.kind == kind && n.name == name) {
            networks.push(NetworkUse { short_hash: short, autov2, ..NetworkUse::named(kind, name) });
        }
    }
    networks.sort_by_key(|n| (n.kind, n.short_hash.is_none()));
    networks
}
