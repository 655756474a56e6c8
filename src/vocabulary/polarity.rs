//! Which way round the user's line art is drawn. How `Auto` decides is in `control`.

use serde::{Deserialize, Serialize};

use super::choice::{Choice, text_forms};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    /// Decide from the picture's border.
    #[default]
    Auto,
    /// Dark lines on a light background: inverted before it becomes a hint.
    BlackOnWhite,
    /// Light lines on a dark background: already what the ControlNet wants.
    WhiteOnBlack,
}

impl Choice for Polarity {
    const WHAT: &'static str = "polarity";
    const ALL: &'static [Polarity] = &[Polarity::Auto, Polarity::BlackOnWhite, Polarity::WhiteOnBlack];

    fn id(self) -> &'static str {
        match self {
            Polarity::Auto => "auto",
            Polarity::BlackOnWhite => "black-on-white",
            Polarity::WhiteOnBlack => "white-on-black",
        }
    }

    /// No A1111 equivalent: sd-webui-controlnet picks a preprocessor "from white bg & black line".
    fn label(self) -> &'static str {
        match self {
            Polarity::Auto => "Auto",
            Polarity::BlackOnWhite => "Black on white",
            Polarity::WhiteOnBlack => "White on black",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Polarity::Auto => &[],
            Polarity::BlackOnWhite => &["black_on_white"],
            Polarity::WhiteOnBlack => &["white_on_black"],
        }
    }
}

text_forms!(Polarity);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::choice::assert_well_formed;

    #[test]
    fn ids_with_hyphens_or_underscores() {
        assert_well_formed::<Polarity>();
        assert_eq!("black_on_white".parse(), Ok(Polarity::BlackOnWhite));
        assert_eq!("White-On-Black".parse(), Ok(Polarity::WhiteOnBlack));
        assert!("inverted".parse::<Polarity>().is_err());
    }
}
