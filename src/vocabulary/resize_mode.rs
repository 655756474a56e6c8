//! How a control map is fitted to a generation size of another aspect ratio: sd-webui-controlnet's
//! resize modes (`scripts/enums.py`, `ResizeMode`). The fitting itself is in `control`.

use serde::{Deserialize, Serialize};

use super::choice::{Choice, text_forms};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResizeMode {
    /// Stretch to the target size.
    JustResize,
    /// Scale to cover the target, centre, crop the overflow (sd-webui-controlnet's default).
    #[default]
    CropAndResize,
    /// Scale to fit inside the target, centre, pad with the map's border colour.
    ResizeAndFill,
}

impl Choice for ResizeMode {
    const WHAT: &'static str = "resize mode";
    /// In sd-webui-controlnet's order: API-made infotexts give the position instead of the label.
    const ALL: &'static [ResizeMode] = &[ResizeMode::JustResize, ResizeMode::CropAndResize, ResizeMode::ResizeAndFill];

    fn id(self) -> &'static str {
        match self {
            ResizeMode::JustResize => "just-resize",
            ResizeMode::CropAndResize => "crop-and-resize",
            ResizeMode::ResizeAndFill => "resize-and-fill",
        }
    }

    fn label(self) -> &'static str {
        match self {
            ResizeMode::JustResize => "Just Resize",
            ResizeMode::CropAndResize => "Crop and Resize",
            ResizeMode::ResizeAndFill => "Resize and Fill",
        }
    }

    /// The ids with underscores, and the older names sd-webui-controlnet still accepts
    /// (`internal_controlnet/args.py`).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            ResizeMode::JustResize => &["just_resize"],
            ResizeMode::CropAndResize => &["crop_and_resize", "Inner Fit (Scale to Fit)", "Scale to Fit (Inner Fit)"],
            ResizeMode::ResizeAndFill => &["resize_and_fill", "Outer Fit (Shrink to Fit)", "Envelope (Outer Fit)"],
        }
    }
}

text_forms!(ResizeMode);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::choice::assert_well_formed;

    #[test]
    fn labels_old_names_ids_and_positions() {
        assert_well_formed::<ResizeMode>();
        assert_eq!(ResizeMode::find("Envelope (Outer Fit)"), Some(ResizeMode::ResizeAndFill));
        assert_eq!(ResizeMode::find_name_or_index("0"), Some(ResizeMode::JustResize));
        assert_eq!("crop_and_resize".parse(), Ok(ResizeMode::CropAndResize));
        assert_eq!("Crop-And-Resize".parse(), Ok(ResizeMode::CropAndResize));
        assert!("stretch".parse::<ResizeMode>().is_err());
    }
}
