//! Inpainting's choices as A1111's img2img "Inpaint" tab names them: which part of the picture is
//! sampled (`Inpaint area`) and what the masked part starts from (`Masked content`). How each acts is
//! in `inpaint` and `generate`.

use serde::{Deserialize, Serialize};

use super::choice::{Choice, text_forms};

/// What is sampled: the whole picture at the generation size, or only the masked part (its bounding box
/// with padding, enlarged to the generation size, then pasted back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InpaintArea {
    #[default]
    Whole,
    OnlyMasked,
}

impl Choice for InpaintArea {
    const WHAT: &'static str = "inpaint area";
    const ALL: &'static [InpaintArea] = &[InpaintArea::Whole, InpaintArea::OnlyMasked];

    /// The command line's `--inpaint-area` values.
    fn id(self) -> &'static str {
        match self {
            InpaintArea::Whole => "whole",
            InpaintArea::OnlyMasked => "masked",
        }
    }

    /// A1111's labels (`Inpaint area`).
    fn label(self) -> &'static str {
        match self {
            InpaintArea::Whole => "Whole picture",
            InpaintArea::OnlyMasked => "Only masked",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            InpaintArea::Whole => &["whole-picture", "whole_picture"],
            InpaintArea::OnlyMasked => &["only-masked", "only_masked"],
        }
    }
}

text_forms!(InpaintArea);

/// What the masked part starts from before it is noised (A1111's `inpainting_fill`, in its order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaskedContent {
    /// The picture's colours spread into the mask by ever smaller blurs.
    Fill,
    /// The picture as it is (A1111's default).
    #[default]
    Original,
    /// The latents there replaced by the image's own seed noise.
    LatentNoise,
    /// The latents there set to zero.
    LatentNothing,
}

impl Choice for MaskedContent {
    const WHAT: &'static str = "masked content";
    const ALL: &'static [MaskedContent] =
        &[MaskedContent::Fill, MaskedContent::Original, MaskedContent::LatentNoise, MaskedContent::LatentNothing];

    /// The command line's `--masked-content` values.
    fn id(self) -> &'static str {
        match self {
            MaskedContent::Fill => "fill",
            MaskedContent::Original => "original",
            MaskedContent::LatentNoise => "latent-noise",
            MaskedContent::LatentNothing => "latent-nothing",
        }
    }

    /// A1111's labels, as its infotext writes them (`Masked content: latent noise`).
    fn label(self) -> &'static str {
        match self {
            MaskedContent::Fill => "fill",
            MaskedContent::Original => "original",
            MaskedContent::LatentNoise => "latent noise",
            MaskedContent::LatentNothing => "latent nothing",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            MaskedContent::LatentNoise => &["latent_noise"],
            MaskedContent::LatentNothing => &["latent_nothing"],
            _ => &[],
        }
    }
}

text_forms!(MaskedContent);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::choice::assert_well_formed;

    #[test]
    fn ids_labels_and_positions() {
        assert_well_formed::<InpaintArea>();
        assert_well_formed::<MaskedContent>();
        assert_eq!(InpaintArea::find("Only masked"), Some(InpaintArea::OnlyMasked));
        assert_eq!("masked".parse(), Ok(InpaintArea::OnlyMasked));
        assert_eq!(MaskedContent::find("latent noise"), Some(MaskedContent::LatentNoise));
        assert_eq!(MaskedContent::find_name_or_index("3"), Some(MaskedContent::LatentNothing));
        assert_eq!("latent-nothing".parse(), Ok(MaskedContent::LatentNothing));
        assert!("noise".parse::<MaskedContent>().is_err());
    }
}
