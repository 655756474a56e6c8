//! Best-effort reading of InvokeAI's `invokeai_metadata` chunk (InvokeAI 3 and later): the JSON of its
//! `core_metadata` node (`invokeai/app/invocations/metadata.py`), e.g.
//! `{"positive_prompt": "…", "seed": 356120443, "scheduler": "dpmpp_2m_k", "model": {"name": …}, …}`.
//!
//! Models are `{"model_name", "base_model"}` in 3.x and `{"key", "hash", "name", "base", "type"}` from
//! 4.0; their names are InvokeAI's model names, not file names. InvokeAI's `clip_skip` counts skipped
//! layers (0 = none), one less than A1111's. Its noise comes from torch on `rand_device`: `cpu` is
//! Nurie's CPU source, `cuda` the one A1111's NV source reproduces. Its `loras` are recorded as networks
//! with their weights (InvokeAI records no embeddings).

use serde_json::{Map, Value};

use super::error::{MetadataError, Result};
use super::generation_settings::ControlGuidance;
use super::network_use::{NetworkKind, NetworkUse};
use super::parsed_settings::{ParsedSettings, SettingsSource};
use super::record::{ControlNetUnit, GenerationRecord, ModelRef};
use crate::vocabulary::{Choice, ControlMode, RecordedSampler, ResizeMode, RngSource, SamplerKind};

/// The PNG text keyword InvokeAI writes its metadata under.
pub const INVOKEAI_KEYWORD: &str = "invokeai_metadata";

pub fn settings_from_invokeai_metadata(json: &str) -> Result<ParsedSettings> {
    let value: Value = serde_json::from_str(json).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Value::Object(fields) = value else {
        return Err(bad("the JSON is not an object".to_string()));
    };
    let mut reader = FieldReader { fields: &fields, record: GenerationRecord::default(), warnings: Vec::new() };
    reader.read_all();
    Ok(ParsedSettings { source: SettingsSource::InvokeAi, record: reader.record, warnings: reader.warnings })
}

fn bad(reason: String) -> MetadataError {
    MetadataError::BadInvokeAiMetadata { reason }
}

struct FieldReader<'a> {
    fields: &'a Map<String, Value>,
    record: GenerationRecord,
    warnings: Vec<String>,
}

impl FieldReader<'_> {
    fn read_all(&mut self) {
        self.check_model_family();
        self.record.settings.prompt = self.text("positive_prompt");
        self.record.settings.negative_prompt = self.text("negative_prompt");
        self.number("seed", |r, v| {
            r.settings.seed = v.as_u64()?;
            Some(())
        });
        self.number("steps", |r, v| {
            r.settings.steps = u32::try_from(v.as_u64()?).ok()?;
            Some(())
        });
        self.number("cfg_scale", |r, v| {
            r.settings.cfg_scale = v.as_f64().filter(|x| x.is_finite())?;
            Some(())
        });
        self.number("width", |r, v| {
            r.settings.width = u32::try_from(v.as_u64()?).ok()?;
            Some(())
        });
        self.number("height", |r, v| {
            r.settings.height = u32::try_from(v.as_u64()?).ok()?;
            Some(())
        });
        self.read_scheduler();
        self.read_optional();
        self.record.model = self.model("model").unwrap_or_default();
        if self.record.model.is_unknown() {
            self.warnings.push("no model given".to_string());
        }
        self.record.vae = self.model("vae");
        self.read_controlnets();
        self.read_loras();
        self.read_unsupported();
    }

    /// `loras`: `{"model": {…}, "weight"}` from 4.0, `{"lora": {"model_name"}, "weight"}` in 3.x.
    fn read_loras(&mut self) {
        let Some(loras) = self.fields.get("loras").and_then(Value::as_array) else { return };
        for (index, entry) in loras.iter().enumerate() {
            match lora_use(entry) {
                Some(lora) => {
                    self.warnings.push(format!(
                        "the image used LoRA `{}` outside the prompt; add <lora:{}:{}> to the prompt to use it",
                        lora.name,
                        lora.name,
                        lora.strength.unwrap_or(1.0)
                    ));
                    self.record.networks.push(lora);
                }
                None => self.warnings.push(format!("LoRA {index} has no model name")),
            }
        }
    }

    fn check_model_family(&mut self) {
        let mode = self.fields.get("generation_mode").and_then(Value::as_str).unwrap_or("");
        let base = self.fields.get("model").and_then(|m| m.get("base").or_else(|| m.get("base_model"))).and_then(Value::as_str);
        let other_family = ["sdxl", "flux", "sd3", "cogview4"].iter().any(|family| mode.starts_with(family));
        if other_family || base.is_some_and(|b| b != "sd-1") {
            self.warnings.push(format!("the image was made with a {} model; Nurie runs SD1.x models", base.unwrap_or(mode)));
        }
    }

    fn text(&mut self, name: &str) -> String {
        match self.fields.get(name) {
            Some(Value::String(text)) => text.clone(),
            _ => {
                self.warnings.push(format!("no `{name}` given"));
                String::new()
            }
        }
    }

    /// Reads a numeric field with `set` (which returns `None` when the value does not fit).
    fn number(&mut self, name: &str, set: impl Fn(&mut GenerationRecord, &Value) -> Option<()>) {
        let outcome = self.fields.get(name).map(|value| set(&mut self.record, value));
        match outcome {
            Some(Some(())) => {}
            Some(None) => self.warnings.push(format!("`{name}` is not a valid value; using the default")),
            None => self.warnings.push(format!("no `{name}` given; using the default")),
        }
    }

    fn read_scheduler(&mut self) {
        let scheduler = self.fields.get("scheduler").and_then(Value::as_str).unwrap_or("");
        match sampler_from_invokeai(scheduler) {
            Ok((kind, warning)) => {
                self.record.settings.sampler = RecordedSampler::Known(kind);
                self.warnings.extend(warning);
            }
            Err(why) => {
                if !scheduler.is_empty() {
                    self.record.settings.sampler = RecordedSampler::Other(scheduler.to_string());
                }
                self.warnings.push(why);
            }
        }
    }

    fn read_optional(&mut self) {
        if let Some(skip) = self.fields.get("clip_skip").and_then(Value::as_u64).and_then(|s| u32::try_from(s).ok()) {
            self.record.settings.clip_skip = skip.saturating_add(1);
        }
        match self.fields.get("rand_device").and_then(Value::as_str) {
            Some("cpu") | None => self.record.settings.rng = RngSource::Cpu,
            Some("cuda") => self.record.settings.rng = RngSource::Nv,
            Some(other) => self.warnings.push(format!("noise device `{other}` cannot be reproduced; using the CPU")),
        }
        let img2img = self.fields.get("generation_mode").and_then(Value::as_str).is_some_and(|m| m.contains("img2img"));
        let strength = self.fields.get("strength").and_then(Value::as_f64).filter(|s| s.is_finite());
        if let (true, Some(strength)) = (img2img, strength) {
            self.record.settings.denoising_strength = Some(strength);
        }
    }

    /// `{"name"|"model_name", "hash"}`; a `sha256:` hash is kept, InvokeAI's default BLAKE3 is not ours.
    fn model(&self, name: &str) -> Option<ModelRef> {
        model_ref(self.fields.get(name)?)
    }

    fn read_controlnets(&mut self) {
        let Some(units) = self.fields.get("controlnets").and_then(Value::as_array) else { return };
        for (index, unit) in units.iter().enumerate() {
            match controlnet_unit(unit) {
                Ok(unit) => self.record.controlnets.push(unit),
                Err(why) => self.warnings.push(format!("ControlNet {index}: {why}")),
            }
        }
    }

    fn read_unsupported(&mut self) {
        for (name, what) in [("ipAdapters", "IP-Adapters"), ("t2iAdapters", "T2I-Adapters")] {
            let count = self.fields.get(name).and_then(Value::as_array).map_or(0, Vec::len);
            if count > 0 {
                self.warnings.push(format!("the image used {count} {what}, which Nurie does not apply"));
            }
        }
        if self.fields.get("hrf_enabled").and_then(Value::as_bool) == Some(true) {
            self.warnings.push("the image used InvokeAI's high-resolution fix, which Nurie does not do".to_string());
        }
    }
}

fn model_ref(value: &Value) -> Option<ModelRef> {
    let name = value.get("name").or_else(|| value.get("model_name")).and_then(Value::as_str)?;
    let sha256 = value.get("hash").and_then(Value::as_str).and_then(|h| h.strip_prefix("sha256:"));
    Some(match sha256.filter(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit())) {
        Some(sha) => ModelRef::from_sha256(name, sha),
        None => ModelRef { file_name: name.to_string(), ..Default::default() },
    })
}

/// One entry of `loras`, by InvokeAI's model name; a `sha256:` hash gives its AutoV2 (its short hash,
/// A1111's addnet hash, cannot be told from the file's SHA-256).
fn lora_use(entry: &Value) -> Option<NetworkUse> {
    let model = model_ref(entry.get("model").or_else(|| entry.get("lora"))?)?;
    let weight = entry.get("weight").and_then(Value::as_f64).filter(|w| w.is_finite());
    Some(NetworkUse {
        autov2: model.autov2,
        sha256: model.sha256,
        strength: weight,
        clip_strength: weight,
        ..NetworkUse::named(NetworkKind::Lora, model.file_name)
    })
}

/// InvokeAI's `ControlNetMetadataField`.
fn controlnet_unit(value: &Value) -> std::result::Result<ControlNetUnit, String> {
    let model = value.get("control_model").and_then(model_ref).ok_or("it has no model")?;
    let weight = match value.get("control_weight") {
        Some(Value::Array(per_step)) => per_step.first().and_then(Value::as_f64),
        Some(other) => other.as_f64(),
        None => Some(1.0),
    };
    let number = |name: &str, default: f64| value.get(name).map_or(Some(default), Value::as_f64);
    let control_mode = match value.get("control_mode").and_then(Value::as_str).unwrap_or("balanced") {
        "more_prompt" => ControlMode::PromptMoreImportant,
        "more_control" | "unbalanced" => ControlMode::ControlNetMoreImportant,
        _ => ControlMode::Balanced,
    };
    let resize_mode = match value.get("resize_mode").and_then(Value::as_str).unwrap_or("just_resize") {
        "crop_resize" => ResizeMode::CropAndResize,
        "fill_resize" => ResizeMode::ResizeAndFill,
        _ => ResizeMode::JustResize,
    };
    Ok(ControlNetUnit {
        model,
        guidance: ControlGuidance {
            weight: weight.ok_or("its weight is not a number")?,
            guidance_start: number("begin_step_percent", 0.0).ok_or("its start is not a number")?,
            guidance_end: number("end_step_percent", 1.0).ok_or("its end is not a number")?,
            control_mode,
        },
        resize_mode,
        ..Default::default()
    })
}

/// InvokeAI scheduler names (`invokeai/backend/stable_diffusion/schedulers`) → Nurie samplers; `_k`
/// marks Karras sigmas.
fn sampler_from_invokeai(scheduler: &str) -> std::result::Result<(SamplerKind, Option<String>), String> {
    let karras_dropped = |id: SamplerKind, name: &str| {
        Ok((id, Some(format!("scheduler `{name}` uses Karras sigmas, which Nurie's {} does not; using its default", id.id()))))
    };
    match scheduler {
        "euler" => Ok((SamplerKind::Euler, None)),
        "euler_a" => Ok((SamplerKind::EulerA, None)),
        "dpmpp_2m" => Ok((SamplerKind::Dpmpp2m, None)),
        "dpmpp_2m_k" => Ok((SamplerKind::Dpmpp2mKarras, None)),
        "ddim" => Ok((SamplerKind::Ddim, None)),
        "unipc" => Ok((SamplerKind::UniPc, None)),
        "lcm" => Ok((SamplerKind::Lcm, None)),
        "euler_k" => karras_dropped(SamplerKind::Euler, scheduler),
        "unipc_k" => karras_dropped(SamplerKind::UniPc, scheduler),
        "" => Err("no `scheduler` given; using the default sampler".to_string()),
        other => Err(format!("InvokeAI scheduler `{other}` is not one Nurie has; using the default sampler")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metadata/invokeai_metadata.json");
        let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let found = all["metadata"].as_array().unwrap().iter().find(|m| m["name"] == name).unwrap();
        found["json"].as_str().unwrap().to_string()
    }

    #[test]
    fn invokeai_3_txt2img_with_an_unsupported_scheduler() {
        let parsed = settings_from_invokeai_metadata(&fixture("invokeai_3_3_txt2img")).unwrap();
        let r = &parsed.record;
        assert_eq!((r.settings.prompt.as_str(), r.settings.negative_prompt.as_str()), ("landscape", "low quality"));
        assert_eq!(
            (r.settings.seed, r.settings.steps, r.settings.cfg_scale, r.settings.width, r.settings.height),
            (356120443, 50, 7.5, 768, 432)
        );
        assert_eq!((r.settings.clip_skip, r.settings.rng), (1, RngSource::Cpu));
        assert_eq!(r.model.file_name, "amixx_3Prunedfp16");
        assert_eq!(r.vae.as_ref().unwrap().file_name, "sd-vae-ft-mse");
        assert_eq!(r.settings.sampler, RecordedSampler::Other("dpmpp_2m_sde_k".into()));
        assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
        assert!(parsed.warnings[0].contains("dpmpp_2m_sde_k"));
    }

    #[test]
    fn invokeai_5_img2img_with_controlnet() {
        let parsed = settings_from_invokeai_metadata(&fixture("invokeai_5_img2img_controlnet")).unwrap();
        let r = &parsed.record;
        assert_eq!(r.settings.prompt, "a girl reading under a cherry tree, 桜, watercolor");
        assert_eq!(
            (r.settings.sampler.stored_name(), r.settings.seed, r.settings.steps, r.settings.cfg_scale),
            ("dpmpp_2m_karras", 2873460971, 30, 6.0)
        );
        assert_eq!((r.settings.clip_skip, r.settings.rng, r.settings.denoising_strength), (2, RngSource::Nv, Some(0.65)));
        assert_eq!((r.settings.width, r.settings.height), (512, 768));
        assert_eq!(r.model.file_name, "counterfeitV30_v30");
        assert_eq!(r.model.sha256, None);
        let unit = &r.controlnets[0];
        assert_eq!(unit.model.file_name, "control_v11p_sd15_lineart");
        assert_eq!(unit.model.autov2.as_deref(), Some("7f2a4c1b9d"));
        let guidance = &unit.guidance;
        assert_eq!((guidance.weight, guidance.guidance_start, guidance.guidance_end), (0.85, 0.0, 0.9));
        assert_eq!((guidance.control_mode, unit.resize_mode), (ControlMode::PromptMoreImportant, ResizeMode::JustResize));
        assert_eq!(
            parsed.warnings,
            vec![
                "the image used LoRA `flat_color` outside the prompt; add <lora:flat_color:0.7> to the prompt to use it"
                    .to_string()
            ]
        );
        let lora =
            NetworkUse { strength: Some(0.7), clip_strength: Some(0.7), ..NetworkUse::named(NetworkKind::Lora, "flat_color") };
        assert_eq!(r.networks, vec![lora]);
    }

    #[test]
    fn loras_of_invokeai_3_and_sha256_hashes() {
        let json = format!(
            r#"{{"loras": [{{"lora": {{"model_name": "old_style", "base_model": "sd-1"}}, "weight": 0.5}},
                {{"model": {{"name": "hashed", "hash": "sha256:{}"}}}}, {{"weight": 1}}]}}"#,
            "ab".repeat(32)
        );
        let parsed = settings_from_invokeai_metadata(&json).unwrap();
        let networks = &parsed.record.networks;
        assert_eq!((networks[0].name.as_str(), networks[0].strength), ("old_style", Some(0.5)));
        assert_eq!((networks[1].autov2.as_deref(), networks[1].strength), (Some("ababababab"), None));
        assert!(parsed.warnings.iter().any(|w| w == "LoRA 2 has no model name"), "{:?}", parsed.warnings);
    }

    #[test]
    fn missing_and_mistyped_fields_warn() {
        let parsed = settings_from_invokeai_metadata(
            r#"{"seed": "abc", "steps": -2, "model": {"base": "sdxl", "name": "xl"}, "controlnets": [{}], "rand_device": "mps"}"#,
        )
        .unwrap();
        let defaults = GenerationRecord::default();
        assert_eq!(
            (parsed.record.settings.seed, parsed.record.settings.steps),
            (defaults.settings.seed, defaults.settings.steps)
        );
        let all = parsed.warnings.join("\n");
        for expected in [
            "sdxl",
            "positive_prompt",
            "`seed` is not a valid",
            "`steps` is not a valid",
            "no `cfg_scale`",
            "scheduler",
            "ControlNet 0",
            "mps",
        ] {
            assert!(all.contains(expected), "{expected} in {all}");
        }
    }

    #[test]
    fn broken_json_is_a_typed_error() {
        for bad in ["", "nope", "[1]", "\"text\""] {
            assert!(matches!(settings_from_invokeai_metadata(bad), Err(MetadataError::BadInvokeAiMetadata { .. })), "{bad}");
        }
    }
}
