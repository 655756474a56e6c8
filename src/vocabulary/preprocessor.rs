//! The model-free preprocessors Nurie runs on line art, named as the command line knows them and as
//! sd-webui-controlnet writes them (`Module: …`). What each does is in `control`.

use serde::{Deserialize, Serialize};

use super::choice::{Choice, text_forms};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preprocessor {
    /// Use the line art as drawn (inverted to white on black when needed).
    #[default]
    None,
    /// Always `255 − x` (sd-webui-controlnet's "invert (from white bg & black line)").
    Invert,
    /// Two levels: sd-webui-controlnet's `threshold` with the settings' threshold.
    Binarize,
    /// sd-webui-controlnet's model-free "lineart_standard (from white bg & black line)".
    LineartStandard,
}

impl Choice for Preprocessor {
    const WHAT: &'static str = "preprocessor";
    const ALL: &'static [Preprocessor] =
        &[Preprocessor::None, Preprocessor::Invert, Preprocessor::Binarize, Preprocessor::LineartStandard];

    fn id(self) -> &'static str {
        match self {
            Preprocessor::None => "none",
            Preprocessor::Invert => "invert",
            Preprocessor::Binarize => "binarize",
            Preprocessor::LineartStandard => "lineart_standard",
        }
    }

    /// sd-webui-controlnet's module name, as its infotext writes it.
    fn label(self) -> &'static str {
        match self {
            Preprocessor::None => "none",
            Preprocessor::Invert => "invert",
            Preprocessor::Binarize => "threshold",
            Preprocessor::LineartStandard => "lineart_standard",
        }
    }

    /// The extension's menu names.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Preprocessor::None => &[],
            Preprocessor::Invert => &["invert (from white bg & black line)"],
            Preprocessor::Binarize => &["binary"],
            Preprocessor::LineartStandard => &["lineart_standard (from white bg & black line)"],
        }
    }
}

text_forms!(Preprocessor);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::choice::assert_well_formed;

    #[test]
    fn ids_and_sd_webui_controlnet_module_names() {
        assert_well_formed::<Preprocessor>();
        assert_eq!(Preprocessor::find("threshold"), Some(Preprocessor::Binarize));
        assert_eq!(Preprocessor::find("Binarize"), Some(Preprocessor::Binarize));
        assert_eq!(Preprocessor::find("invert (from white bg & black line)"), Some(Preprocessor::Invert));
        assert_eq!(Preprocessor::find("lineart_anime"), None);
        assert_eq!(Preprocessor::LineartStandard.label(), "lineart_standard");
    }
}
