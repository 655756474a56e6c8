//! Every infotext key Nurie writes and reads, each written and read in one place, in the order A1111
//! 1.10's `create_infotext` writes them (`modules/processing.py`). A new setting gets its key here.
//!
//! [`LEADING_KEYS`] come before the extension keys (`ControlNet N`, written by `infotext_write` with
//! Nurie's `Line art N` keys), then `Lora hashes` and `TI hashes` (`network_hash_keys`), [`TRAILING_KEYS`]
//! after them; then the record's other pairs, `Version` and Civitai's `Hashes` (`civitai_hashes`). Values a key cannot read make its reader return `Err(why)`: the pair is kept in the
//! record's extras with `why` as a warning (silently when `why` is empty).

use super::civitai_hashes::CIVITAI_HASHES_KEY;
use super::extra_params::ExtraParams;
use super::generation_settings::{GenerationSettings, HiresSettings, InpaintSettings};
use super::network_hash_keys::NETWORK_HASH_KEYS;
use super::python_format::ui_number;
use super::record::{GenerationRecord, ModelRef};
use super::sampler::sampler_from_a1111;
use crate::vocabulary::{Choice, InpaintArea, MaskedContent, RecordedSampler, RngSource};

/// A record being read from infotext: what the keys fill in, and what they need to know.
pub struct Reading<'a> {
    pub record: GenerationRecord,
    /// Every pair of the text (keys sometimes depend on each other).
    pub params: &'a ExtraParams,
    pub warnings: Vec<String>,
}

impl<'a> Reading<'a> {
    /// A record to fill from `params`. The sampler is read first: `Schedule type` and `Version` decide
    /// what `Sampler` means.
    pub fn new(params: &'a ExtraParams) -> Self {
        let mut reading = Reading { record: GenerationRecord::default(), params, warnings: Vec::new() };
        // A1111 omits `RNG` for its GPU default, which NV reproduces.
        reading.record.settings.rng = RngSource::Nv;
        reading.read_sampler();
        reading
    }

    fn settings(&mut self) -> &mut GenerationSettings {
        &mut self.record.settings
    }

    fn read_sampler(&mut self) {
        let Some(sampler) = self.params.get("Sampler") else {
            self.warnings.push("no sampler given; using the default".to_string());
            return;
        };
        match sampler_from_a1111(sampler, self.params.get("Schedule type"), self.params.get("Version")) {
            Ok(found) => {
                self.record.settings.sampler = RecordedSampler::Known(found.kind);
                self.warnings.extend(found.warning);
            }
            Err(why) => {
                self.record.settings.sampler = RecordedSampler::Other(sampler.trim().to_string());
                self.warnings.push(format!("{why}; choose another one to generate"));
            }
        }
    }
}

/// One infotext key, or keys written together.
pub struct Key {
    /// The keys it writes and reads.
    pub names: &'static [&'static str],
    /// Adds its pairs for a record (none where A1111 leaves the key out).
    pub write: fn(&GenerationRecord, &mut ExtraParams),
    /// Reads one of its pairs (`key`, `value`).
    pub read: fn(&mut Reading, &str, &str) -> Result<(), String>,
}

/// Keys A1111 writes before the extension keys, in its order.
pub const LEADING_KEYS: [Key; 13] = [
    Key {
        names: &["Steps"],
        write: |r, out| out.insert("Steps", r.settings.steps.to_string()),
        read: |reading, key, value| parse_into(value, key, &mut reading.settings().steps),
    },
    Key { names: &["Sampler", "Schedule type"], write: write_sampler, read: read_sampler_pair },
    Key {
        names: &["CFG scale"],
        write: |r, out| out.insert("CFG scale", ui_number(r.settings.cfg_scale)),
        read: |reading, key, value| parse_finite(value, key).map(|x| reading.settings().cfg_scale = x),
    },
    Key {
        names: &["Seed"],
        write: |r, out| out.insert("Seed", r.settings.seed.to_string()),
        read: |reading, key, value| parse_into(value, key, &mut reading.settings().seed),
    },
    Key {
        names: &["Size"],
        write: |r, out| out.insert("Size", format!("{}x{}", r.settings.width, r.settings.height)),
        read: |reading, _, value| parse_size(value).map(|(w, h)| (reading.settings().width, reading.settings().height) = (w, h)),
    },
    Key {
        names: &["Model hash", "Model"],
        write: |r, out| write_model(out, "Model", &r.model, r.model.display_name()),
        read: |reading, key, value| read_model(&mut reading.record.model, key, value),
    },
    Key {
        names: &["VAE hash", "VAE"],
        // A1111 shows the VAE by its file name, extension included (`kl-f8-anime2.ckpt`).
        write: |r, out| r.vae.iter().for_each(|vae| write_model(out, "VAE", vae, &vae.file_name)),
        read: |reading, key, value| read_model(reading.record.vae.get_or_insert_with(ModelRef::default), key, value),
    },
    Key {
        names: &["Denoising strength"],
        write: |r, out| r.settings.denoising_strength.iter().for_each(|&d| out.insert("Denoising strength", ui_number(d))),
        read: read_denoising_strength,
    },
    Key { names: &["Hires upscale", "Hires steps", "Hires upscaler", "Hires resize"], write: write_hires, read: read_hires },
    Key {
        names: &["Clip skip"],
        write: |r, out| {
            if r.settings.clip_skip > 1 {
                out.insert("Clip skip", r.settings.clip_skip.to_string());
            }
        },
        read: |reading, key, value| parse_positive(value, key, &mut reading.settings().clip_skip),
    },
    Key {
        names: &["ENSD"],
        write: |r, out| {
            if r.settings.ensd != 0 {
                out.insert("ENSD", r.settings.ensd.to_string());
            }
        },
        read: |reading, key, value| parse_into(value, key, &mut reading.settings().ensd),
    },
    Key {
        names: &["Init image hash"],
        write: |r, out| r.init_image_sha256.iter().for_each(|hash| out.insert("Init image hash", hash.clone())),
        read: |reading, _, value| parse_sha256(value).map(|sha| reading.record.init_image_sha256 = Some(sha)),
    },
    Key {
        names: &["RNG"],
        write: |r, out| out.insert("RNG", r.settings.rng.label()),
        read: |reading, _, value| {
            let rng =
                RngSource::find(value).ok_or_else(|| format!("unknown RNG source `{value}`; using NV (A1111's GPU default)"))?;
            reading.settings().rng = rng;
            Ok(())
        },
    },
];

/// Keys written after the extension keys: inpainting's (A1111 adds them after its scripts'), older
/// A1111's batch keys and Nurie's own.
pub const TRAILING_KEYS: [Key; 4] = [
    Key { names: &INPAINT_KEYS, write: write_inpaint, read: read_inpaint },
    Key {
        names: &["Batch size", "Batch pos"],
        write: |r, out| {
            if r.settings.batch_size > 1 {
                out.insert("Batch size", r.settings.batch_size.to_string());
                out.insert("Batch pos", r.batch_index.to_string());
            }
        },
        read: |reading, key, value| match key {
            "Batch size" => parse_positive(value, key, &mut reading.settings().batch_size),
            _ => parse_into(value, key, &mut reading.record.batch_index),
        },
    },
    Key {
        names: &["Color hints hash", "Hint strength"],
        write: |r, out| {
            r.color_hints_sha256.iter().for_each(|hash| out.insert("Color hints hash", hash.clone()));
            r.settings.hint_strength.iter().for_each(|&s| out.insert("Hint strength", ui_number(s)));
        },
        read: |reading, key, value| match key {
            "Color hints hash" => parse_sha256(value).map(|sha| reading.record.color_hints_sha256 = Some(sha)),
            _ => parse_finite(value, key).map(|x| reading.settings().hint_strength = Some(x)),
        },
    },
    Key {
        names: &["Model license"],
        write: |r, out| r.model_license.iter().for_each(|license| out.insert("Model license", license.clone())),
        read: |reading, _, value| {
            reading.record.model_license = Some(value.to_string());
            Ok(())
        },
    },
];

/// The key table entry that reads and writes `key`.
pub fn key_named(key: &str) -> Option<&'static Key> {
    let network_keys = NETWORK_HASH_KEYS.iter().chain(std::iter::once(&CIVITAI_HASHES_KEY));
    LEADING_KEYS.iter().chain(TRAILING_KEYS.iter()).chain(network_keys).find(|entry| entry.names.contains(&key))
}

/// `Sampler` and `Schedule type` as A1111 1.10 writes them; another tool's sampler by its name, with
/// the schedule type it came with.
fn write_sampler(record: &GenerationRecord, out: &mut ExtraParams) {
    match &record.settings.sampler {
        RecordedSampler::Known(kind) => {
            let (sampler, schedule) = kind.a1111_infotext();
            out.insert("Sampler", sampler);
            out.insert("Schedule type", schedule);
        }
        RecordedSampler::Other(name) => {
            out.insert("Sampler", name.clone());
            if let Some(schedule) = record.extra.get("Schedule type") {
                out.insert("Schedule type", schedule);
            }
        }
    }
}

/// The sampler was read before the other pairs ([`Reading::new`]); another tool's schedule type stays
/// in the extras, where [`write_sampler`] finds it.
fn read_sampler_pair(reading: &mut Reading, key: &str, _: &str) -> Result<(), String> {
    match (&reading.record.settings.sampler, key) {
        (RecordedSampler::Other(_), "Schedule type") => Err(String::new()),
        _ => Ok(()),
    }
}

/// The img2img strength, or with hires fix its second pass's.
fn read_denoising_strength(reading: &mut Reading, key: &str, value: &str) -> Result<(), String> {
    parse_finite(value, key).map(|x| reading.settings().denoising_strength = Some(x))
}

/// A1111 writes `Hires upscale`, `Hires steps` only when set, then `Hires upscaler`.
fn write_hires(record: &GenerationRecord, out: &mut ExtraParams) {
    let Some(hires) = &record.settings.hires else { return };
    out.insert("Hires upscale", ui_number(hires.scale));
    if hires.steps > 0 {
        out.insert("Hires steps", hires.steps.to_string());
    }
    out.insert("Hires upscaler", hires.upscaler.clone());
}

/// A second pass of a fixed size (`Hires resize`) is not read: its keys stay in the record's extras.
fn read_hires(reading: &mut Reading, key: &str, value: &str) -> Result<(), String> {
    if reading.params.get("Hires resize").is_some() {
        return Err(match key {
            "Hires resize" => {
                format!("`Hires resize: {value}` (a second pass of a fixed size) is not supported; read without hires fix")
            }
            _ => String::new(),
        });
    }
    let hires = reading.settings().hires.get_or_insert_with(HiresSettings::default);
    match key {
        "Hires upscale" => parse_finite(value, key).map(|scale| hires.scale = scale),
        "Hires steps" => parse_into(value, key, &mut hires.steps),
        "Hires upscaler" => {
            hires.upscaler = value.trim().to_string();
            Ok(())
        }
        _ => Err(String::new()),
    }
}

/// Inpainting's keys in A1111's order, and Nurie's `Paste back`.
const INPAINT_KEYS: [&str; 8] = [
    "Mask mode",
    "Mask blur",
    "Inpaint area",
    "Masked area padding",
    "Masked content",
    "Paste back",
    "Color correction",
    "Mask hash",
];

/// A1111 writes `Mask blur` only above 0, and the area, padding and content only when not its defaults;
/// Nurie always writes `Mask blur` so that a record says it was inpainted, and `Paste back: off` when
/// the decoded picture was kept as it is.
fn write_inpaint(record: &GenerationRecord, out: &mut ExtraParams) {
    let Some(inpaint) = &record.settings.inpaint else { return };
    if inpaint.invert {
        out.insert("Mask mode", "Inpaint not masked");
    }
    out.insert("Mask blur", inpaint.mask_blur.to_string());
    if inpaint.area == InpaintArea::OnlyMasked {
        out.insert("Inpaint area", inpaint.area.label());
        out.insert("Masked area padding", inpaint.padding.to_string());
    }
    if inpaint.masked_content != MaskedContent::Original {
        out.insert("Masked content", inpaint.masked_content.label());
    }
    if !inpaint.paste_back {
        out.insert("Paste back", "off");
    }
    if inpaint.color_correction {
        out.insert("Color correction", "on");
    }
    record.mask_sha256.iter().for_each(|hash| out.insert("Mask hash", hash.clone()));
}

fn read_inpaint(reading: &mut Reading, key: &str, value: &str) -> Result<(), String> {
    if key == "Mask hash" {
        return parse_sha256(value).map(|sha| reading.record.mask_sha256 = Some(sha));
    }
    let inpaint = reading.settings().inpaint.get_or_insert_with(InpaintSettings::default);
    let unknown = |what: &str| format!("{key} `{value}` is not {what}");
    match key {
        "Mask mode" => match value.trim() {
            "Inpaint not masked" => inpaint.invert = true,
            "Inpaint masked" => inpaint.invert = false,
            _ => return Err(unknown("`Inpaint masked` or `Inpaint not masked`")),
        },
        "Mask blur" => parse_into(value, key, &mut inpaint.mask_blur)?,
        "Inpaint area" => inpaint.area = InpaintArea::find(value).ok_or_else(|| unknown("an inpaint area"))?,
        "Masked area padding" => parse_into(value, key, &mut inpaint.padding)?,
        "Masked content" => inpaint.masked_content = MaskedContent::find(value).ok_or_else(|| unknown("masked content"))?,
        _ => {
            let on = match value.trim() {
                "on" => true,
                "off" => false,
                _ => return Err(unknown("`on` or `off`")),
            };
            match key {
                "Paste back" => inpaint.paste_back = on,
                _ => inpaint.color_correction = on,
            }
        }
    }
    Ok(())
}

fn write_model(out: &mut ExtraParams, key: &str, model: &ModelRef, name: &str) {
    if let Some(hash) = model.a1111_hash() {
        out.insert(format!("{key} hash"), hash);
    }
    if !name.is_empty() {
        out.insert(key, name);
    }
}

fn read_model(model: &mut ModelRef, key: &str, value: &str) -> Result<(), String> {
    if key.ends_with(" hash") {
        return set_hash(model, value);
    }
    model.file_name = value.to_string();
    Ok(())
}

pub fn parse_into<T: std::str::FromStr>(value: &str, key: &str, target: &mut T) -> Result<(), String> {
    *target = value.trim().parse().map_err(|_| format!("{key} `{value}` is not a valid number"))?;
    Ok(())
}

/// A count of at least 1 (`Clip skip`, `Batch size`; A1111 writes neither below 2). A 0 is refused like
/// an unreadable value: read as 0, it was left out by the writer and so changed on the next save.
fn parse_positive(value: &str, key: &str, target: &mut u32) -> Result<(), String> {
    let mut count = 0;
    parse_into(value, key, &mut count)?;
    if count == 0 {
        return Err(format!("{key} `{value}` is not valid (at least 1)"));
    }
    *target = count;
    Ok(())
}

fn parse_finite(value: &str, key: &str) -> Result<f64, String> {
    let x: f64 = value.trim().parse().map_err(|_| format!("{key} `{value}` is not a number"))?;
    if x.is_finite() { Ok(x) } else { Err(format!("{key} `{value}` is not a finite number")) }
}

/// A1111's `^(\d+)x(\d+)$`.
fn parse_size(value: &str) -> Result<(u32, u32), String> {
    let why = || format!("Size `{value}` is not WIDTHxHEIGHT");
    let (w, h) = value.split_once('x').ok_or_else(why)?;
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(w) || !digits(h) {
        return Err(why());
    }
    Ok((w.parse().map_err(|_| why())?, h.parse().map_err(|_| why())?))
}

/// `Model hash` / `VAE hash`: 10 hex digits are AutoV2, 8 the legacy AutoV1.
fn set_hash(model: &mut ModelRef, value: &str) -> Result<(), String> {
    let hash = value.trim().to_ascii_lowercase();
    if !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("model hash `{value}` is not hexadecimal"));
    }
    let slot = match hash.len() {
        10 => &mut model.autov2,
        8 => &mut model.autov1,
        _ => {
            return Err(format!("model hash `{value}` is neither an AutoV2 (10 digits) nor an AutoV1 (8 digits) hash"));
        }
    };
    *slot = Some(hash);
    Ok(())
}

pub fn parse_sha256(value: &str) -> Result<String, String> {
    let hash = value.trim().to_ascii_lowercase();
    if hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hash)
    } else {
        // A1111's own `Init image hash` is an MD5 of the pixels: kept, but it is not Nurie's file hash.
        Err(String::new())
    }
}
