//! The colors at hand: a fixed row of swatches for coloring characters, and the colors used last.

use egui::Color32;

/// How many swatches the fixed row has (their names are in [`super::HintTexts::swatches`]).
pub const SWATCH_COUNT: usize = 14;

/// Skin, hair, and the plain colors clothes and eyes are mostly painted in, in the order shown.
pub const SWATCHES: [Color32; SWATCH_COUNT] = [
    Color32::from_rgb(252, 227, 210), // fair skin
    Color32::from_rgb(232, 180, 142), // tan skin
    Color32::from_rgb(243, 210, 122), // blonde
    Color32::from_rgb(166, 110, 63),  // light brown
    Color32::from_rgb(90, 58, 37),    // dark brown
    Color32::from_rgb(32, 32, 32),    // black
    Color32::from_rgb(255, 255, 255), // white
    Color32::from_rgb(216, 48, 58),   // red
    Color32::from_rgb(242, 156, 183), // pink
    Color32::from_rgb(247, 208, 56),  // yellow
    Color32::from_rgb(79, 168, 74),   // green
    Color32::from_rgb(126, 200, 240), // sky blue
    Color32::from_rgb(47, 91, 183),   // blue
    Color32::from_rgb(138, 90, 181),  // purple
];

/// How many recently used colors are kept.
pub const RECENT_COUNT: usize = 8;

/// The colors painted with last, newest first, each once.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Recent(Vec<Color32>);

impl Recent {
    /// `color` was painted with: it moves to the front.
    pub fn used(&mut self, color: Color32) {
        self.0.retain(|known| *known != color);
        self.0.insert(0, color);
        self.0.truncate(RECENT_COUNT);
    }

    pub fn colors(&self) -> &[Color32] {
        &self.0
    }
}

/// `#rrggbb`, how a color without a name is called (and read out).
pub fn hex(color: Color32) -> String {
    format!("#{:02x}{:02x}{:02x}", color.r(), color.g(), color.b())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_colors_are_newest_first_once_each_and_bounded() {
        let mut recent = Recent::default();
        for value in 0..10u8 {
            recent.used(Color32::from_gray(value));
        }
        recent.used(Color32::from_gray(5));
        assert_eq!(recent.colors().len(), RECENT_COUNT);
        assert_eq!(recent.colors()[0], Color32::from_gray(5));
        assert_eq!(recent.colors().iter().filter(|c| **c == Color32::from_gray(5)).count(), 1);
        assert_eq!(hex(Color32::from_rgb(255, 16, 0)), "#ff1000");
    }
}
