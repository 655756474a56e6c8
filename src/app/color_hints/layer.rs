//! The hint layer's state: the picture of painted colors at the generation size, the tools, and the
//! history of strokes.

use egui::Color32;
use image::{RgbImage, Rgba, RgbaImage};

use super::palette::{Recent, SWATCHES};
use super::tool::Tool;
use crate::app::paint::{Strokes, Tip};

/// The brush sizes offered, in pixels of the picture.
pub const BRUSH_SIZES: std::ops::RangeInclusive<u32> = 2..=64;
pub const DEFAULT_BRUSH_SIZE: u32 = 12;

/// Colors painted over the line art to steer the generation's colors: opaque where painted,
/// transparent elsewhere, at the generation size. One layer serves the whole form.
pub struct HintLayer {
    pub(super) strokes: Strokes<Rgba<u8>>,
    /// The "Paint hints" toggle: dragging on the line art paints instead of panning.
    pub painting: bool,
    pub tool: Tool,
    /// The brush's (and eraser's) diameter in pixels of the picture.
    pub brush_size: u32,
    /// The brush's color (always opaque).
    pub color: Color32,
    recent: Recent,
    /// The picture as last uploaded for the overlay.
    pub(super) texture: Option<egui::TextureHandle>,
}

impl Default for HintLayer {
    fn default() -> Self {
        Self {
            strokes: Strokes::default(),
            painting: false,
            tool: Tool::Brush,
            brush_size: DEFAULT_BRUSH_SIZE,
            color: SWATCHES[0],
            recent: Recent::default(),
            texture: None,
        }
    }
}

impl HintLayer {
    /// The hints for a generation: `None` when nothing is painted, so an empty layer never reaches one.
    pub fn picture(&self) -> Option<RgbaImage> {
        (!self.is_empty()).then(|| self.pixels().clone())
    }

    /// As [`HintLayer::picture`], at `width`×`height` (rescaled, nearest, if the layer is at another size).
    pub fn picture_sized(&self, width: u32, height: u32) -> Option<RgbaImage> {
        let picture = self.picture()?;
        Some(if picture.dimensions() == (width, height) { picture } else { rescaled(&picture, width, height) })
    }

    /// Whether no pixel has a hint.
    pub fn is_empty(&self) -> bool {
        self.pixels().pixels().all(|pixel| pixel[3] == 0)
    }

    /// The picture's size (the generation size it was last fitted to).
    pub fn size(&self) -> (u32, u32) {
        self.strokes.size()
    }

    /// Follows the generation size: the hints painted so far are rescaled (nearest, so colors stay
    /// pure), not lost. The undo history is forgotten: its rectangles belong to the old size.
    pub fn fit_to(&mut self, width: u32, height: u32) {
        self.strokes.resize(width, height, |old| rescaled(old, width, height));
    }

    /// The pixel under `at`, relative to the picture (0..1 on each axis), in pixels.
    pub fn pixel_at(&self, at: egui::Pos2) -> (f32, f32) {
        let (width, height) = self.size();
        (at.x * width as f32, at.y * height as f32)
    }

    /// Starts a stroke at `at` (pixels) with the brush or the eraser: one dab.
    pub fn press(&mut self, at: (f32, f32)) {
        let Some(color) = self.paint_color() else { return };
        self.strokes.press(at, self.tip(), &move |pixel, _| *pixel = color);
    }

    /// Continues the stroke to `at` (pixels), with no gap however far the pointer jumped.
    pub fn drag_to(&mut self, at: (f32, f32)) {
        let Some(color) = self.paint_color() else { return };
        self.strokes.drag_to(at, self.tip(), &move |pixel, _| *pixel = color);
    }

    /// Ends the stroke: one step of the history; the brush's color joins the recent ones.
    pub fn release(&mut self) {
        if self.strokes.release() && self.tool == Tool::Brush {
            self.recent.used(self.color);
        }
    }

    /// Whether a stroke is in progress.
    pub fn is_stroking(&self) -> bool {
        self.strokes.is_stroking()
    }

    /// Takes the color at `at` (relative to the frame) from `result`, or the hints without one, and
    /// goes back to the brush.
    pub fn pick(&mut self, result: Option<&RgbImage>, at: egui::Pos2) {
        if let Some(color) = super::eyedropper::pick(result, self.pixels(), at) {
            self.color = color;
        }
        self.tool = Tool::Brush;
    }

    /// Chooses `color` to paint with (a swatch, a recent color, the color picker): the brush is taken.
    pub fn choose(&mut self, color: Color32) {
        self.color = color.to_opaque();
        self.tool = Tool::Brush;
    }

    /// The recently used colors, newest first.
    pub fn recent(&self) -> &[Color32] {
        self.recent.colors()
    }

    pub fn undo(&mut self) {
        self.release();
        self.strokes.undo();
    }

    pub fn redo(&mut self) {
        self.release();
        self.strokes.redo();
    }

    pub fn can_undo(&self) -> bool {
        self.strokes.can_undo()
    }

    pub fn can_redo(&self) -> bool {
        self.strokes.can_redo()
    }

    /// Removes every hint, as one step that can be undone.
    pub fn clear(&mut self) {
        self.release();
        if !self.is_empty() {
            self.strokes.change_all(|pixel| *pixel = Rgba([0, 0, 0, 0]));
        }
    }

    /// Puts `hints` (a picture's kept hints, at the generation size) in place of what is painted, as
    /// one step that can be undone.
    pub fn replace_with(&mut self, hints: RgbaImage) {
        self.release();
        self.strokes.replace_with(hints);
    }

    /// What the current tool puts down: the color, or transparency for the eraser.
    fn paint_color(&self) -> Option<Rgba<u8>> {
        match self.tool {
            Tool::Brush => Some(Rgba([self.color.r(), self.color.g(), self.color.b(), 255])),
            Tool::Eraser => Some(Rgba([0, 0, 0, 0])),
            Tool::Eyedropper => None,
        }
    }

    /// Hints are hard-edged: a hint's color is pure or absent.
    fn tip(&self) -> Tip {
        Tip::hard(self.brush_size as f32)
    }

    /// The hint picture as it is now (for the overlay).
    pub(super) fn pixels(&self) -> &RgbaImage {
        self.strokes.picture()
    }
}

fn rescaled(picture: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    image::imageops::resize(picture, width, height, image::imageops::FilterType::Nearest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(width: u32, height: u32) -> HintLayer {
        let mut layer = HintLayer::default();
        layer.fit_to(width, height);
        layer
    }

    fn stroke(layer: &mut HintLayer, points: &[(f32, f32)]) {
        layer.press(points[0]);
        points[1..].iter().for_each(|at| layer.drag_to(*at));
        layer.release();
    }

    #[test]
    fn an_empty_layer_has_no_picture() {
        let mut layer = layer(32, 48);
        assert!(layer.is_empty() && layer.picture().is_none());
        stroke(&mut layer, &[(5.0, 5.0)]);
        assert_eq!(layer.picture().map(|p| p.dimensions()), Some((32, 48)));
    }

    #[test]
    fn a_fast_drag_paints_a_continuous_opaque_stroke() {
        let mut layer = layer(128, 32);
        layer.choose(Color32::from_rgb(10, 20, 30));
        layer.brush_size = 4;
        stroke(&mut layer, &[(4.5, 16.5), (120.5, 16.5)]);
        let picture = layer.picture().unwrap();
        for x in 4..=120 {
            assert_eq!(picture.get_pixel(x, 16).0, [10, 20, 30, 255], "pixel {x}");
        }
        assert_eq!(layer.recent(), &[Color32::from_rgb(10, 20, 30)]);
    }

    #[test]
    fn the_eraser_removes_hints() {
        let mut layer = layer(64, 64);
        layer.brush_size = 20;
        stroke(&mut layer, &[(32.0, 32.0)]);
        layer.tool = Tool::Eraser;
        layer.brush_size = 64;
        stroke(&mut layer, &[(32.0, 32.0)]);
        assert!(layer.is_empty());
        assert!(layer.recent().len() == 1, "erasing uses no color");
    }

    #[test]
    fn undo_and_redo_restore_the_exact_pixels_per_stroke() {
        let mut layer = layer(64, 64);
        stroke(&mut layer, &[(10.0, 10.0), (50.0, 20.0)]);
        let one = layer.picture().unwrap();
        layer.choose(SWATCHES[7]);
        stroke(&mut layer, &[(30.0, 5.0), (30.0, 60.0)]);
        let two = layer.picture().unwrap();
        layer.undo();
        assert_eq!(layer.picture().unwrap(), one);
        layer.undo();
        assert!(layer.is_empty() && !layer.can_undo());
        layer.redo();
        layer.redo();
        assert_eq!(layer.picture().unwrap(), two);
        layer.clear();
        assert!(layer.is_empty());
        layer.undo();
        assert_eq!(layer.picture().unwrap(), two, "clearing is undone too");
    }

    #[test]
    fn a_new_generation_size_rescales_the_hints() {
        let mut layer = layer(32, 32);
        layer.brush_size = 2;
        stroke(&mut layer, &[(4.5, 4.5)]);
        layer.fit_to(64, 96);
        let picture = layer.picture().unwrap();
        assert_eq!(picture.dimensions(), (64, 96));
        assert_eq!(picture.get_pixel(9, 13)[3], 255, "the hint moved with the picture");
        assert!(picture.pixels().all(|p| p[3] == 0 || p[3] == 255), "nearest: no blended edge");
        assert_eq!(layer.picture_sized(16, 16).map(|p| p.dimensions()), Some((16, 16)));
    }

    #[test]
    fn the_eyedropper_takes_the_color_and_returns_to_the_brush() {
        let mut layer = layer(8, 8);
        layer.tool = Tool::Eyedropper;
        let result = RgbImage::from_pixel(4, 4, image::Rgb([200, 100, 50]));
        layer.press((1.0, 1.0));
        assert!(layer.is_empty(), "the eyedropper does not paint");
        layer.pick(Some(&result), egui::pos2(0.5, 0.5));
        assert_eq!((layer.color, layer.tool), (Color32::from_rgb(200, 100, 50), Tool::Brush));
    }
}
