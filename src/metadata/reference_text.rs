//! Reference units in infotext: sd-webui-controlnet writes them as ordinary `ControlNet N` units whose
//! `Module` is a reference preprocessor (`reference_only`, `reference_adain`, `reference_adain+attn`),
//! with `Model: None` and the style fidelity as `Threshold A`. Nurie adds `Reference N hash`, the
//! picture's SHA-256, as it adds `Line art N hash` to line-art units.

use super::python_format::python_float_repr;
use super::record::{ControlNetUnit, ReferenceRecord};
use crate::metadata::{ControlGuidance, ReferenceSettings};
use crate::vocabulary::{Choice, ReferenceMode, ResizeMode};

/// The field sd-webui-controlnet keeps the style fidelity of reference preprocessors in.
const STYLE_FIDELITY_FIELD: &str = "Threshold A";

/// The unit as sd-webui-controlnet would record it.
pub fn reference_as_unit(reference: &ReferenceRecord) -> ControlNetUnit {
    let settings = &reference.settings;
    let mut unit = ControlNetUnit {
        module: settings.mode.label().to_string(),
        guidance: ControlGuidance {
            weight: settings.weight,
            guidance_start: settings.guidance_start,
            guidance_end: settings.guidance_end,
            ..ControlGuidance::default()
        },
        resize_mode: ResizeMode::CropAndResize,
        extra: reference.extra.clone(),
        ..ControlNetUnit::default()
    };
    unit.extra.insert(STYLE_FIDELITY_FIELD, python_float_repr(settings.style_fidelity));
    unit
}

/// The reference unit a `ControlNet N` unit describes, if its module is a reference preprocessor, with
/// a warning for a style fidelity it could not read (the default is used then).
pub fn reference_from_unit(unit: &ControlNetUnit) -> Option<(ReferenceRecord, Option<String>)> {
    let mode = ReferenceMode::find(&unit.module)?;
    let defaults = ReferenceSettings::default();
    let written = unit.extra.get(STYLE_FIDELITY_FIELD);
    let fidelity = written.map(|text| text.trim().parse::<f64>().ok().filter(|f| (0.0..=1.0).contains(f)));
    let warning = match (written, fidelity) {
        (Some(text), Some(None)) => Some(format!("style fidelity `{text}` is not a number in [0, 1]; using 0.5")),
        _ => None,
    };
    let settings = ReferenceSettings {
        mode,
        weight: unit.guidance.weight,
        style_fidelity: fidelity.flatten().unwrap_or(defaults.style_fidelity),
        guidance_start: unit.guidance.guidance_start,
        guidance_end: unit.guidance.guidance_end,
    };
    let mut extra = unit.extra.clone();
    extra.remove(STYLE_FIDELITY_FIELD);
    Some((ReferenceRecord { settings, picture_sha256: None, extra }, warning))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{controlnet_unit_text, parse_controlnet_unit};

    #[test]
    fn written_as_the_extension_writes_and_read_back() {
        let settings =
            ReferenceSettings { mode: ReferenceMode::AdainAttn, weight: 0.8, style_fidelity: 0.25, ..Default::default() };
        let reference = ReferenceRecord { settings, ..ReferenceRecord::default() };
        let text = controlnet_unit_text(&reference_as_unit(&reference));
        assert_eq!(
            text,
            "Module: reference_adain+attn, Model: None, Weight: 0.8, Resize Mode: Crop and Resize, Threshold A: 0.25, \
             Guidance Start: 0.0, Guidance End: 1.0, Control Mode: Balanced"
        );
        let (unit, warnings) = parse_controlnet_unit(&text).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(reference_from_unit(&unit), Some((reference, None)));
    }

    /// As sd-webui-controlnet 1.1.4 writes a reference unit (its own fields and order).
    #[test]
    fn the_extension_s_reference_unit_reads() {
        let text = "Module: reference_only, Model: None, Weight: 1, Resize Mode: Crop and Resize, Low Vram: False, \
                    Processor Res: 512, Threshold A: 0.5, Threshold B: 0.5, Guidance Start: 0, Guidance End: 1, \
                    Pixel Perfect: False, Control Mode: Balanced, Hr Option: Both, Save Detected Map: True";
        let (unit, _) = parse_controlnet_unit(text).unwrap();
        let (reference, warning) = reference_from_unit(&unit).unwrap();
        assert_eq!(reference.settings, ReferenceSettings::default());
        assert_eq!(warning, None);
        assert_eq!(reference.extra.get("Processor Res"), Some("512"));
        let again = controlnet_unit_text(&reference_as_unit(&reference));
        assert!(again.contains("Low Vram: False, Processor Res: 512, Threshold A: 0.5, Threshold B: 0.5"), "{again}");
        let (canny, _) = parse_controlnet_unit("Module: canny, Model: control_v11p_sd15_canny [d14c016b]").unwrap();
        assert_eq!(reference_from_unit(&canny), None);
    }

    #[test]
    fn an_unreadable_style_fidelity_warns_and_keeps_the_default() {
        let (unit, _) = parse_controlnet_unit("Module: reference_adain, Threshold A: strong").unwrap();
        let (reference, warning) = reference_from_unit(&unit).unwrap();
        assert_eq!(reference.settings.style_fidelity, 0.5);
        assert!(warning.unwrap().contains("`strong`"));
    }
}
