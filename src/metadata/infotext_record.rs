//! Turns A1111 infotext into a [`GenerationRecord`]: interprets the pairs [`parse_infotext`] found the
//! way A1111 1.10 does (`Size: WxH`, missing `Clip skip` = 1, missing `RNG` = its GPU default, old
//! `Sampler: DPM++ 2M Karras` names, `ControlNet N` unit strings) and reads Nurie's own keys back.
//!
//! Nothing is dropped: a pair Nurie has no field for, or whose value it cannot read, is kept in
//! `record.extra` (with a warning in the second case).

use std::collections::BTreeMap;

use super::controlnet_text::parse_controlnet_unit;
use super::infotext_keys::{Reading, key_named, parse_sha256};
use super::infotext_parse::parse_infotext;
use super::parsed_settings::{ParsedSettings, SettingsSource};
use super::record::{ControlNetUnit, ReferenceRecord};
use super::reference_text::reference_from_unit;

/// Reads an A1111 (or Nurie-written) `parameters` text.
pub fn settings_from_infotext(text: &str) -> ParsedSettings {
    let fields = parse_infotext(text);
    let mut reader = PairReader {
        reading: Reading::new(&fields.params),
        units: BTreeMap::new(),
        line_art: BTreeMap::new(),
        reference_hashes: BTreeMap::new(),
    };
    reader.reading.record.settings.prompt = fields.prompt;
    reader.reading.record.settings.negative_prompt = fields.negative_prompt;
    if fields.params.is_empty() {
        reader.reading.warnings.push("the text has no settings line; only the prompt was read".to_string());
    }
    for (key, value) in fields.params.iter() {
        reader.read_pair(key, value);
    }
    reader.finish()
}

/// Keys that start a ControlNet extension format from before 2023-05, which Nurie does not read.
const LEGACY_CONTROLNET_PREFIXES: [&str; 2] = ["ControlNet-", "ControlNet Enabled"];

struct PairReader<'a> {
    reading: Reading<'a>,
    units: BTreeMap<u32, ControlNetUnit>,
    line_art: BTreeMap<u32, (Option<String>, bool)>,
    /// `Reference N hash`: the picture of reference unit `ControlNet N`.
    reference_hashes: BTreeMap<u32, String>,
}

impl PairReader<'_> {
    /// Keeps a pair Nurie could not read, with the reason.
    fn keep(&mut self, key: &str, value: &str, why: Option<String>) {
        self.reading.warnings.extend(why);
        self.reading.record.extra.insert(key, value);
    }

    fn read_pair(&mut self, key: &str, value: &str) {
        let outcome = match key_named(key) {
            Some(entry) => (entry.read)(&mut self.reading, key, value),
            None if key == "Version" => self.read_version(value),
            None => self.read_indexed(key, value),
        };
        match outcome {
            Ok(()) => {}
            Err(why) if why.is_empty() => self.keep(key, value, None),
            Err(why) => self.keep(key, value, Some(why)),
        }
    }

    /// `Version: nurie-X` marks Nurie's own images; any other version is kept as written.
    fn read_version(&mut self, value: &str) -> Result<(), String> {
        let version = value.strip_prefix("nurie-").ok_or_else(String::new)?;
        self.reading.record.nurie_version = Some(version.to_string());
        Ok(())
    }

    /// `ControlNet N`, `Line art N hash`, `Line art N inverted`; `Err("")` keeps other keys silently.
    fn read_indexed(&mut self, key: &str, value: &str) -> Result<(), String> {
        if let Some(index) = indexed(key, "ControlNet ", "") {
            let (unit, warnings) = parse_controlnet_unit(value)?;
            self.reading.warnings.extend(warnings.into_iter().map(|w| format!("{key}: {w}")));
            self.units.insert(index, unit);
            return Ok(());
        }
        if let Some(index) = indexed(key, "Line art ", " hash") {
            let sha = parse_sha256(value)?;
            self.line_art.entry(index).or_default().0 = Some(sha);
            return Ok(());
        }
        if let Some(index) = indexed(key, "Reference ", " hash") {
            self.reference_hashes.insert(index, parse_sha256(value)?);
            return Ok(());
        }
        if let Some(index) = indexed(key, "Line art ", " inverted") {
            let inverted = parse_python_bool(value)?;
            self.line_art.entry(index).or_default().1 = inverted;
            return Ok(());
        }
        if LEGACY_CONTROLNET_PREFIXES.iter().any(|prefix| key.starts_with(prefix)) {
            return Err(format!("`{key}` is from an old ControlNet extension format that Nurie does not read"));
        }
        Err(String::new())
    }

    fn finish(mut self) -> ParsedSettings {
        for (index, (sha, inverted)) in std::mem::take(&mut self.line_art) {
            match self.units.get_mut(&index) {
                Some(unit) => (unit.line_art_sha256, unit.line_art_inverted) = (sha, inverted),
                None => self.orphan_line_art(index, sha, inverted),
            }
        }
        let references = self.take_references();
        let Reading { mut record, warnings, .. } = self.reading;
        record.controlnets = self.units.into_values().collect();
        record.references = references;
        // The text lists LoRAs before embeddings (`Lora hashes`, `TI hashes`, then `Hashes`).
        record.networks.sort_by_key(|network| network.kind);
        ParsedSettings { source: SettingsSource::A1111, record, warnings }
    }

    /// The units whose module is a reference preprocessor, out of the line-art units, with their
    /// pictures' hashes.
    fn take_references(&mut self) -> Vec<ReferenceRecord> {
        let indices: Vec<u32> = self.units.keys().copied().collect();
        let mut references = Vec::new();
        for index in indices {
            let Some((mut reference, warning)) = self.units.get(&index).and_then(reference_from_unit) else { continue };
            self.units.remove(&index);
            self.reading.warnings.extend(warning.map(|w| format!("ControlNet {index}: {w}")));
            reference.picture_sha256 = self.reference_hashes.remove(&index);
            references.push(reference);
        }
        for (index, sha) in std::mem::take(&mut self.reference_hashes) {
            self.keep(
                &format!("Reference {index} hash"),
                &sha,
                Some(format!("reference {index} has no ControlNet {index} unit")),
            );
        }
        references
    }

    fn orphan_line_art(&mut self, index: u32, sha: Option<String>, inverted: bool) {
        let why = format!("line art {index} has no ControlNet {index} unit");
        if let Some(sha) = sha {
            self.keep(&format!("Line art {index} hash"), &sha, Some(why.clone()));
        }
        if inverted {
            self.keep(&format!("Line art {index} inverted"), "True", Some(why));
        }
    }
}

/// `ControlNet 3` with prefix `ControlNet ` and suffix `` → 3.
pub(super) fn indexed(key: &str, prefix: &str, suffix: &str) -> Option<u32> {
    let digits = key.strip_prefix(prefix)?.strip_suffix(suffix)?;
    (!digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())).then(|| digits.parse().ok())?
}

fn parse_python_bool(value: &str) -> Result<bool, String> {
    match value.trim() {
        "True" => Ok(true),
        "False" => Ok(false),
        other => Err(format!("`{other}` is neither True nor False")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::GenerationRecord;
    use crate::metadata::infotext_write::infotext;
    use crate::vocabulary::{ControlMode, InpaintArea, MaskedContent, RecordedSampler, ResizeMode, RngSource, SamplerKind};
    use serde_json::Value;

    fn example(name: &str) -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metadata/a1111_examples.json");
        let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let found = all["examples"].as_array().unwrap().iter().find(|e| e["name"] == name).unwrap();
        found["text"].as_str().unwrap().to_string()
    }

    #[test]
    fn a1111_1_10_with_two_controlnets() {
        let parsed = settings_from_infotext(&example("a1111_v1_10_1_two_controlnets"));
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let r = &parsed.record.settings;
        assert_eq!(
            r.prompt,
            "object,(pine wood pallet with cargo cardboard boxes),(masterpiece),realistic photography,solo focus,professional photograph,simple white background"
        );
        assert!(
            r.negative_prompt.starts_with("(two tails:1.2),FastNegativeV2,")
                && r.negative_prompt.ends_with("(more than two legs:1.2),")
        );
        assert_eq!((r.steps, r.sampler.stored_name(), r.cfg_scale, r.seed), (20, "dpmpp_2m_karras", 7.0, 1944526060));
        assert_eq!((r.width, r.height, r.clip_skip, r.rng), (512, 512, 1, RngSource::Nv));
        let r = &parsed.record;
        assert_eq!(r.model.file_name, "helloobjects_V15evae");
        assert_eq!(r.model.autov2.as_deref(), Some("6d82a674e1"));
        assert_eq!(r.controlnets.len(), 2);
        assert_eq!(r.controlnets[0].module, "canny");
        assert_eq!(r.controlnets[0].guidance.control_mode, ControlMode::ControlNetMoreImportant);
        assert_eq!(r.controlnets[1].model.autov1.as_deref(), Some("a8575a2a"));
        assert_eq!(r.nurie_version, None);
        assert_eq!(r.extra.iter().collect::<Vec<_>>(), vec![("Version", "v1.10.1")]);
    }

    /// Written back, the genuine 1.10 text comes out the same, except for the `RNG: NV` Nurie always
    /// writes where A1111 writes nothing for its GPU default.
    #[test]
    fn a1111_1_10_text_is_written_back_unchanged_but_for_the_rng_key() {
        let original = example("a1111_v1_10_1_two_controlnets");
        let rewritten = infotext(&settings_from_infotext(&original).record);
        assert_eq!(rewritten.replace("Model: helloobjects_V15evae, RNG: NV,", "Model: helloobjects_V15evae,"), original);
    }

    #[test]
    fn a1111_1_8_old_sampler_name_vae_and_lineart_unit() {
        let parsed = settings_from_infotext(&example("a1111_v1_8_0_lineart_controlnet"));
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let r = &parsed.record;
        assert_eq!(r.settings.prompt, "sharp_two_hand_sword");
        assert_eq!(r.settings.sampler, RecordedSampler::Known(SamplerKind::Dpmpp2mKarras));
        let vae = r.vae.as_ref().unwrap();
        assert_eq!((vae.file_name.as_str(), vae.autov2.as_deref()), ("kl-f8-anime2.ckpt", Some("df3c506e51")));
        let unit = &r.controlnets[0];
        assert_eq!(unit.module, "lineart_standard (from white bg & black line)");
        assert_eq!(unit.resize_mode, ResizeMode::ResizeAndFill);
        assert_eq!((unit.guidance.weight, unit.guidance.guidance_start, unit.guidance.guidance_end), (1.0, 0.0, 1.0));
    }

    #[test]
    fn a1111_old_docstring_example_with_autov1_hash() {
        let parsed = settings_from_infotext(&example("a1111_docstring_old_format"));
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let r = &parsed.record;
        assert_eq!(r.settings.sampler, RecordedSampler::Known(SamplerKind::EulerA));
        assert_eq!(r.model.autov1.as_deref(), Some("45dee52b"));
        assert_eq!((r.settings.seed, r.settings.clip_skip), (965400086, 1));
        assert!(r.settings.negative_prompt.ends_with("messy drawing"));
    }

    #[test]
    fn unsupported_sampler_warns_and_keeps_the_values() {
        let parsed = settings_from_infotext(&example("a1111_v1_10_1_unsupported_sampler"));
        assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
        assert!(parsed.warnings[0].contains("DPM adaptive"));
        let r = &parsed.record;
        // Kept by its name: generating needs another sampler, and the text is written back as read.
        assert_eq!(r.settings.sampler, RecordedSampler::Other("DPM adaptive".into()));
        assert_eq!(r.extra.get("Schedule type"), Some("Automatic"));
        assert!(infotext(r).contains("Sampler: DPM adaptive, Schedule type: Automatic, CFG scale"), "{}", infotext(r));
        assert_eq!((r.settings.clip_skip, r.settings.width, r.settings.height), (2, 704, 832));
        assert_eq!(r.model.file_name, "darkSushiMixMix_225D");
        assert_eq!(
            r.settings.prompt,
            "Anna Yamada, dancing with her hands above her head, happy, full shot, full body <lora:AnnaYamada:1>."
        );
    }

    #[test]
    fn img2img_inpaint_example_keeps_unknown_keys_in_order() {
        let parsed = settings_from_infotext(&example("a1111_v1_8_0_img2img_inpaint_adetailer"));
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let r = &parsed.record;
        assert_eq!(r.settings.denoising_strength, Some(0.4));
        assert_eq!(r.settings.negative_prompt, "");
        let keys: Vec<_> = r.extra.iter().map(|(k, _)| k).collect();
        assert_eq!(keys.first(), Some(&"ADetailer model"));
        assert_eq!(keys.last(), Some(&"Version"));
        let inpaint = r.settings.inpaint.expect("the inpainting keys are read");
        assert_eq!((inpaint.mask_blur, inpaint.area, inpaint.padding), (4, InpaintArea::OnlyMasked, 32));
        assert_eq!((inpaint.masked_content, inpaint.paste_back), (MaskedContent::Original, true));
        assert_eq!(r.controlnets[0].module, "scribble_pidinet");
        assert!(crate::metadata::infotext(r).contains("Mask blur: 4, Inpaint area: Only masked, Masked area padding: 32"));
    }

    #[test]
    fn inpainting_keys_round_trip() {
        let text = "cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512, Denoising strength: 0.75, Mask mode: Inpaint not masked, Mask blur: 0, Masked content: latent noise, Paste back: off, Color correction: on";
        let parsed = settings_from_infotext(text);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let inpaint = parsed.record.settings.inpaint.expect("read");
        assert!(inpaint.invert && !inpaint.paste_back && inpaint.color_correction);
        assert_eq!(
            (inpaint.mask_blur, inpaint.area, inpaint.masked_content),
            (0, InpaintArea::Whole, MaskedContent::LatentNoise)
        );
        let written = crate::metadata::infotext(&parsed.record);
        assert!(
            written.ends_with(
                "Mask mode: Inpaint not masked, Mask blur: 0, Masked content: latent noise, Paste back: off, Color correction: on"
            ),
            "{written}"
        );
        let bad = settings_from_infotext("cat\nSteps: 20, Sampler: Euler, Seed: 1, Size: 8x8, Masked content: smudge");
        assert!(bad.warnings.iter().any(|w| w.contains("smudge")), "{:?}", bad.warnings);
    }

    #[test]
    fn hires_fix_is_read_with_its_strength() {
        let text = "cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512, Denoising strength: 0.7, Hires upscale: 1.5, Hires steps: 12, Hires upscaler: R-ESRGAN 4x+ Anime6B";
        let parsed = settings_from_infotext(text);
        assert_eq!(parsed.record.settings.denoising_strength, Some(0.7));
        let hires = parsed.record.settings.hires.as_ref().unwrap();
        assert_eq!((hires.scale, hires.steps, hires.upscaler.as_str()), (1.5, 12, "R-ESRGAN 4x+ Anime6B"));
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert!(
            crate::metadata::infotext(&parsed.record)
                .contains("Denoising strength: 0.7, Hires upscale: 1.5, Hires steps: 12, Hires upscaler: R-ESRGAN 4x+ Anime6B")
        );
    }

    #[test]
    fn a_fixed_hires_size_is_kept_but_not_read() {
        let text = "cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512, Denoising strength: 0.7, Hires resize: 1024x768, Hires upscaler: Latent";
        let parsed = settings_from_infotext(text);
        assert_eq!(parsed.record.settings.hires, None);
        assert_eq!(parsed.record.extra.get("Hires resize"), Some("1024x768"));
        assert_eq!(parsed.record.extra.get("Hires upscaler"), Some("Latent"));
        assert!(parsed.warnings.iter().any(|w| w.contains("Hires resize")));
    }

    #[test]
    fn unreadable_values_are_kept_with_warnings() {
        let text =
            "x\nSteps: many, Sampler: Euler, CFG scale: nan, Seed: -5, Size: big, Model hash: xyz, RNG: TPU, Clip skip: 2.5";
        let parsed = settings_from_infotext(text);
        assert_eq!(parsed.warnings.len(), 7, "{:?}", parsed.warnings);
        let (defaults, read) = (GenerationRecord::default().settings, &parsed.record.settings);
        assert_eq!((read.steps, read.seed, read.width), (defaults.steps, defaults.seed, defaults.width));
        for key in ["Steps", "CFG scale", "Seed", "Size", "Model hash", "RNG", "Clip skip"] {
            assert!(parsed.record.extra.contains_key(key), "{key}");
        }
    }

    #[test]
    fn legacy_controlnet_keys_and_bad_units_warn() {
        let text = "x\nSteps: 20, Sampler: Euler, CFG scale: 7, ControlNet-0 Enabled: True, ControlNet 1: \"nonsense\"";
        let parsed = settings_from_infotext(text);
        assert!(parsed.record.controlnets.is_empty());
        assert_eq!(parsed.warnings.len(), 2, "{:?}", parsed.warnings);
        assert_eq!(parsed.record.extra.get("ControlNet 1"), Some("nonsense"));
    }

    #[test]
    fn text_without_settings_is_just_a_prompt() {
        let parsed = settings_from_infotext("a lonely prompt");
        assert_eq!(parsed.record.settings.prompt, "a lonely prompt");
        assert!(!parsed.warnings.is_empty());
    }

    /// Fuzzing found `Clip skip: 0` and `Batch size: 0` read as 0, which the writer leaves out (A1111
    /// never writes them below 2), so the settings changed on the next save. They are refused like
    /// unreadable values: kept in the extras, with a warning.
    #[test]
    fn zero_clip_skip_and_batch_size_are_refused() {
        let parsed = settings_from_infotext("cat\nSteps: 20, Clip skip: 0, Batch size: 0, Batch pos: 3");
        let settings = &parsed.record.settings;
        assert_eq!((settings.clip_skip, settings.batch_size), (1, 1));
        assert_eq!(parsed.record.extra.get("Clip skip"), Some("0"));
        assert!(parsed.warnings.iter().any(|w| w.contains("Batch size `0`")), "{:?}", parsed.warnings);
        let again = settings_from_infotext(&infotext(&parsed.record)).record;
        assert_eq!(again.settings, parsed.record.settings);
    }
}
