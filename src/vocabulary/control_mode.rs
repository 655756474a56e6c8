//! How a ControlNet unit is weighed against the prompt: sd-webui-controlnet's control modes
//! (`scripts/enums.py`, `ControlMode`). What each does to the residuals is in `generate`.

use serde::{Deserialize, Serialize};

use super::choice::{Choice, text_forms};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlMode {
    #[default]
    Balanced,
    PromptMoreImportant,
    ControlNetMoreImportant,
}

impl Choice for ControlMode {
    const WHAT: &'static str = "control mode";
    /// In sd-webui-controlnet's order: API-made infotexts give the position instead of the label.
    const ALL: &'static [ControlMode] =
        &[ControlMode::Balanced, ControlMode::PromptMoreImportant, ControlMode::ControlNetMoreImportant];

    fn id(self) -> &'static str {
        match self {
            ControlMode::Balanced => "balanced",
            ControlMode::PromptMoreImportant => "prompt",
            ControlMode::ControlNetMoreImportant => "controlnet",
        }
    }

    fn label(self) -> &'static str {
        match self {
            ControlMode::Balanced => "Balanced",
            ControlMode::PromptMoreImportant => "My prompt is more important",
            ControlMode::ControlNetMoreImportant => "ControlNet is more important",
        }
    }
}

text_forms!(ControlMode);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::choice::assert_well_formed;

    #[test]
    fn labels_ids_and_positions() {
        assert_well_formed::<ControlMode>();
        assert_eq!("My Prompt is more important".parse(), Ok(ControlMode::PromptMoreImportant));
        assert_eq!("CONTROLNET".parse(), Ok(ControlMode::ControlNetMoreImportant));
        assert_eq!(" balanced ".parse(), Ok(ControlMode::Balanced));
        assert_eq!(ControlMode::find_name_or_index("2"), Some(ControlMode::ControlNetMoreImportant));
        assert_eq!(ControlMode::find_name_or_index("Balanced?"), None);
        assert!("strong".parse::<ControlMode>().is_err());
    }
}
