//! The user's choices for flats: how big a gap in the lines still counts as closed, what is a line, and
//! how small an area is too small to keep.

/// Gaps wider than this are not closed: the ball would be larger than most areas of a page, and the
/// cost of fitting it grows with its size.
pub const MAX_GAP_PX: u32 = 64;

/// How [`crate::flats::make_flats`] reads the drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlatsSettings {
    /// The widest gap in a line, in pixels, that still separates the two areas on its sides (as the gap
    /// size of Krita's colorize mask or a trapped-ball fill). 0 closes nothing: any opening joins areas.
    /// Gaps up to `gap_px` (and `gap_px + 1` when it is odd) are closed; at most [`MAX_GAP_PX`].
    pub gap_px: u32,
    /// A pixel of the line art darker than this (0 black … 255 white) is a line. Antialiased edges lighter
    /// than it belong to the area they border, which is what a flat under the lines needs.
    pub line_threshold: u8,
    /// Areas with fewer pixels than this (not counting lines) merge into the neighbour they share the
    /// longest border with: specks inside hatching or between touching lines are not worth a color.
    pub min_area_px: usize,
}

impl Default for FlatsSettings {
    fn default() -> Self {
        Self { gap_px: 4, line_threshold: 160, min_area_px: 24 }
    }
}

impl FlatsSettings {
    /// Radius of the ball that must fit in free space to seed an area: a gap of `2 × radius` pixels or
    /// narrower has no pixel farther than `radius` from its two line ends, so no ball passes through it.
    pub fn ball_radius(&self) -> u32 {
        self.gap_px.min(MAX_GAP_PX).div_ceil(2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ball_is_half_the_gap_rounded_up_and_bounded() {
        let radius = |gap_px| FlatsSettings { gap_px, ..FlatsSettings::default() }.ball_radius();
        assert_eq!([0, 1, 2, 3, 4, 5].map(radius), [0, 1, 1, 2, 2, 3]);
        assert_eq!(radius(u32::MAX), MAX_GAP_PX / 2);
    }
}
