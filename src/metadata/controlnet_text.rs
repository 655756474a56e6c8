//! The value of an infotext `ControlNet N` key, as sd-webui-controlnet writes it
//! (`internal_controlnet/args.py`, `ControlNetUnit.serialize`): `Field: value` pairs joined by `, `,
//! field names from the unit's attribute names (`guidance_start` → `Guidance Start`), values by
//! Python's `str()` (floats as `1.0`, enums by their label). The 2024 extension writes
//!
//! `Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 1.0, Resize Mode: Crop and Resize,
//! Processor Res: 512, Threshold A: 192.0, Threshold B: 255.0, Guidance Start: 0.0, Guidance End: 1.0,
//! Pixel Perfect: False, Control Mode: ControlNet is more important`
//!
//! and 2023 versions also `Low Vram`, `Hr Option` and `Save Detected Map`. The bracketed model hash is
//! A1111's legacy AutoV1 hash of the ControlNet file.

use super::extra_params::ExtraParams;
use super::python_format::python_float_repr;
use super::record::{ControlNetUnit, ModelRef};
use crate::vocabulary::{Choice, ControlMode, ResizeMode};

/// Field names in the order sd-webui-controlnet writes them; fields Nurie keeps in `extra` go to their
/// usual place so that an infotext read from A1111 is written back the same way.
const FIELD_ORDER: [&str; 14] = [
    "Module",
    "Model",
    "Weight",
    "Resize Mode",
    "Low Vram",
    "Processor Res",
    "Threshold A",
    "Threshold B",
    "Guidance Start",
    "Guidance End",
    "Pixel Perfect",
    "Control Mode",
    "Hr Option",
    "Save Detected Map",
];

/// The unit as sd-webui-controlnet serializes it. Like the extension, a unit whose values contain `,`
/// or `:` (which its parser would split) is written as an empty string.
pub fn controlnet_unit_text(unit: &ControlNetUnit) -> String {
    let mut fields = ExtraParams::new();
    for name in FIELD_ORDER {
        if let Some(value) = known_field_value(unit, name).or_else(|| unit.extra.get(name).map(str::to_string)) {
            fields.insert(name, value);
        }
    }
    for (name, value) in unit.extra.iter() {
        fields.insert(name, value);
    }
    let splittable = fields.iter().any(|(name, value)| [name, value].iter().any(|s| s.contains([',', ':'])));
    if splittable {
        return String::new();
    }
    fields.iter().map(|(name, value)| format!("{name}: {value}")).collect::<Vec<_>>().join(", ")
}

fn known_field_value(unit: &ControlNetUnit, name: &str) -> Option<String> {
    match name {
        "Module" => Some(unit.module.clone()),
        "Model" => Some(model_text(&unit.model)),
        "Weight" => Some(python_float_repr(unit.guidance.weight)),
        "Resize Mode" => Some(unit.resize_mode.label().to_string()),
        "Guidance Start" => Some(python_float_repr(unit.guidance.guidance_start)),
        "Guidance End" => Some(python_float_repr(unit.guidance.guidance_end)),
        "Control Mode" => Some(unit.guidance.control_mode.label().to_string()),
        _ => None,
    }
}

/// `control_v11p_sd15_lineart [43d4be0d]`, the bare name without an AutoV1 hash, `None` without a model.
/// The unit parser trims every value, so the name is trimmed before its extension is dropped (fuzzing
/// found `x.pth ` read back as `x.pth`, then written as `x`: a name that changed one save later).
fn model_text(model: &ModelRef) -> String {
    let trimmed = ModelRef { file_name: model.file_name.trim().to_string(), ..ModelRef::default() };
    let name = trimmed.display_name();
    match (name.is_empty(), &model.autov1) {
        (true, _) => "None".to_string(),
        (false, Some(hash)) => format!("{name} [{hash}]"),
        (false, None) => name.to_string(),
    }
}

/// Reads a unit string. Unknown fields go to the unit's `extra`; unreadable values give warnings and
/// keep the default. `Err` when nothing in the text looks like a unit.
pub fn parse_controlnet_unit(text: &str) -> Result<(ControlNetUnit, Vec<String>), String> {
    let mut unit = ControlNetUnit::default();
    let mut warnings = Vec::new();
    let mut recognized = 0;
    for item in text.split(',').map(str::trim).filter(|item| !item.is_empty()) {
        let Some((name, value)) = item.split_once(": ").or_else(|| item.strip_suffix(':').map(|n| (n, ""))) else {
            warnings.push(format!("ControlNet field `{item}` has no `Name: value` form; ignored"));
            continue;
        };
        recognized += 1;
        if let Err(why) = apply_field(&mut unit, name.trim(), value.trim()) {
            warnings.push(why);
            unit.extra.insert(name.trim(), value.trim());
        }
    }
    if recognized == 0 {
        return Err(format!("`{text}` is not a ControlNet unit"));
    }
    Ok((unit, warnings))
}

fn apply_field(unit: &mut ControlNetUnit, name: &str, value: &str) -> Result<(), String> {
    match name {
        "Module" => unit.module = value.to_string(),
        "Model" => unit.model = parse_model(value),
        "Weight" => unit.guidance.weight = parse_number(name, value)?,
        "Guidance Start" => unit.guidance.guidance_start = parse_number(name, value)?,
        "Guidance End" => unit.guidance.guidance_end = parse_number(name, value)?,
        "Resize Mode" => {
            unit.resize_mode =
                ResizeMode::find_name_or_index(value).ok_or_else(|| format!("unknown ControlNet resize mode `{value}`"))?
        }
        "Control Mode" => {
            unit.guidance.control_mode =
                ControlMode::find_name_or_index(value).ok_or_else(|| format!("unknown ControlNet control mode `{value}`"))?
        }
        _ => unit.extra.insert(name, value),
    }
    Ok(())
}

fn parse_number(name: &str, value: &str) -> Result<f64, String> {
    value.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| format!("ControlNet {name} `{value}` is not a number"))
}

/// `name [hash]` → name + AutoV1 (8 hex) or AutoV2 (10 hex); `None` → no model.
fn parse_model(value: &str) -> ModelRef {
    if value == "None" || value.is_empty() {
        return ModelRef::default();
    }
    let bracketed = value.strip_suffix(']').and_then(|rest| rest.rsplit_once(" ["));
    if let Some((name, hash)) = bracketed.filter(|(_, hash)| hash.chars().all(|c| c.is_ascii_hexdigit())) {
        let hash = hash.to_ascii_lowercase();
        let mut model = ModelRef { file_name: name.to_string(), ..Default::default() };
        match hash.len() {
            8 => model.autov1 = Some(hash),
            10 => model.autov2 = Some(hash),
            _ => model.file_name = value.to_string(),
        }
        return model;
    }
    ModelRef { file_name: value.to_string(), ..Default::default() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::ControlGuidance;

    const V1_10_UNIT: &str = "Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 1.0, Resize Mode: Crop and Resize, Processor Res: 512, Threshold A: 192.0, Threshold B: 255.0, Guidance Start: 0.0, Guidance End: 1.0, Pixel Perfect: False, Control Mode: ControlNet is more important";

    #[test]
    fn reads_a_2024_unit_and_writes_it_back_identically() {
        let (unit, warnings) = parse_controlnet_unit(V1_10_UNIT).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(unit.module, "canny");
        assert_eq!(unit.model.file_name, "control_v11p_sd15_canny");
        assert_eq!(unit.model.autov1.as_deref(), Some("d14c016b"));
        assert_eq!((unit.guidance.weight, unit.guidance.guidance_start, unit.guidance.guidance_end), (1.0, 0.0, 1.0));
        assert_eq!(unit.guidance.control_mode, ControlMode::ControlNetMoreImportant);
        assert_eq!(unit.resize_mode, ResizeMode::CropAndResize);
        assert_eq!(unit.extra.get("Threshold A"), Some("192.0"));
        assert_eq!(controlnet_unit_text(&unit), V1_10_UNIT);
    }

    #[test]
    fn reads_a_2023_unit_with_integer_values_and_extra_fields() {
        let text = "Module: lineart_standard (from white bg & black line), Model: control_v11p_sd15_lineart [43d4be0d], Weight: 1, Resize Mode: Resize and Fill, Low Vram: False, Processor Res: 512, Guidance Start: 0, Guidance End: 1, Pixel Perfect: False, Control Mode: Balanced, Hr Option: Both, Save Detected Map: True";
        let (unit, warnings) = parse_controlnet_unit(text).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(unit.module, "lineart_standard (from white bg & black line)");
        assert_eq!(unit.resize_mode, ResizeMode::ResizeAndFill);
        assert_eq!(
            unit.extra.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            vec!["Low Vram", "Processor Res", "Pixel Perfect", "Hr Option", "Save Detected Map"]
        );
        // Written back in the 2024 number style, the other fields in their places.
        assert_eq!(
            controlnet_unit_text(&unit),
            text.replace("Weight: 1,", "Weight: 1.0,").replace("Start: 0,", "Start: 0.0,").replace("End: 1,", "End: 1.0,")
        );
    }

    #[test]
    fn writes_a_nurie_unit() {
        let unit = ControlNetUnit {
            model: ModelRef {
                file_name: "control_v11p_sd15_lineart.safetensors".into(),
                autov1: Some("43d4be0d".into()),
                ..Default::default()
            },
            module: "invert".into(),
            guidance: ControlGuidance {
                weight: 0.8,
                guidance_end: 0.9,
                control_mode: ControlMode::PromptMoreImportant,
                ..Default::default()
            },
            resize_mode: ResizeMode::JustResize,
            ..Default::default()
        };
        assert_eq!(
            controlnet_unit_text(&unit),
            "Module: invert, Model: control_v11p_sd15_lineart [43d4be0d], Weight: 0.8, Resize Mode: Just Resize, Guidance Start: 0.0, Guidance End: 0.9, Control Mode: My prompt is more important"
        );
    }

    #[test]
    fn unit_with_a_comma_in_a_value_is_written_empty_like_the_extension() {
        let unit = ControlNetUnit { module: "a, b".into(), ..Default::default() };
        assert_eq!(controlnet_unit_text(&unit), "");
    }

    #[test]
    fn model_none_and_api_style_indices() {
        let (unit, warnings) =
            parse_controlnet_unit("Module: tile_resample, Model: None, Resize Mode: 1, Control Mode: 2").unwrap();
        assert!(warnings.is_empty());
        assert!(unit.model.is_unknown());
        assert_eq!(unit.resize_mode, ResizeMode::CropAndResize);
        assert_eq!(unit.guidance.control_mode, ControlMode::ControlNetMoreImportant);
        assert!(controlnet_unit_text(&unit).contains("Model: None"));
    }

    #[test]
    fn bad_values_warn_and_are_kept() {
        let (unit, warnings) = parse_controlnet_unit("Module: canny, Weight: heavy, Control Mode: Loud, stray").unwrap();
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert_eq!(unit.guidance.weight, 1.0);
        assert_eq!(unit.extra.get("Weight"), Some("heavy"));
        assert_eq!(unit.extra.get("Control Mode"), Some("Loud"));
    }

    #[test]
    fn garbage_is_not_a_unit() {
        assert!(parse_controlnet_unit("").is_err());
        assert!(parse_controlnet_unit("just words").is_err());
    }

    #[test]
    fn model_names_are_trimmed_before_the_extension_is_dropped() {
        let model = ModelRef { file_name: "lineart.pth\u{2028}".into(), ..Default::default() };
        let text = controlnet_unit_text(&ControlNetUnit { model, ..Default::default() });
        assert!(text.contains("Model: lineart,"), "{text}");
    }
}
