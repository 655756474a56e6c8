//! The hint layer's state: the picture of painted colors at the generation size, the tools, and the
//! history of strokes.

use egui::Color32;
use image::{RgbImage, Rgba, RgbaImage};

use super::brush::{self, Area};
use super::history::{History, Patch};
use super::palette::{Recent, SWATCHES};
use super::tool::Tool;

/// The brush sizes offered, in pixels of the picture.
pub const BRUSH_SIZES: std::ops::RangeInclusive<u32> = 2..=64;
pub const DEFAULT_BRUSH_SIZE: u32 = 12;

/// Colors painted over the line art to steer the generation's colors: opaque where painted,
/// transparent elsewhere, at the generation size. One layer serves the whole form.
pub struct HintLayer {
    picture: RgbaImage,
    /// The "Paint hints" toggle: dragging on the line art paints instead of panning.
    pub painting: bool,
    pub tool: Tool,
    /// The brush's (and eraser's) diameter in pixels of the picture.
    pub brush_size: u32,
    /// The brush's color (always opaque).
    pub color: Color32,
    recent: Recent,
    history: History,
    stroke: Option<Stroke>,
    /// The picture as last uploaded for the overlay, and whether it changed since.
    pub(super) texture: Option<egui::TextureHandle>,
    pub(super) changed: bool,
}

/// A stroke in progress: the picture before it, where the pointer last was, what it changed so far.
struct Stroke {
    before: RgbaImage,
    last: (f32, f32),
    area: Option<Area>,
}

impl Default for HintLayer {
    fn default() -> Self {
        Self {
            picture: RgbaImage::new(0, 0),
            painting: false,
            tool: Tool::Brush,
            brush_size: DEFAULT_BRUSH_SIZE,
            color: SWATCHES[0],
            recent: Recent::default(),
            history: History::default(),
            stroke: None,
            texture: None,
            changed: true,
        }
    }
}

impl HintLayer {
    /// The hints for a generation: `None` when nothing is painted, so an empty layer never reaches one.
    pub fn picture(&self) -> Option<RgbaImage> {
        (!self.is_empty()).then(|| self.picture.clone())
    }

    /// As [`HintLayer::picture`], at `width`×`height` (rescaled, nearest, if the layer is at another size).
    pub fn picture_sized(&self, width: u32, height: u32) -> Option<RgbaImage> {
        let picture = self.picture()?;
        Some(if picture.dimensions() == (width, height) { picture } else { rescaled(&picture, width, height) })
    }

    /// Whether no pixel has a hint.
    pub fn is_empty(&self) -> bool {
        self.picture.pixels().all(|pixel| pixel[3] == 0)
    }

    /// The picture's size (the generation size it was last fitted to).
    pub fn size(&self) -> (u32, u32) {
        self.picture.dimensions()
    }

    /// Follows the generation size: the hints painted so far are rescaled (nearest, so colors stay
    /// pure), not lost. The undo history is forgotten: its rectangles belong to the old size.
    pub fn fit_to(&mut self, width: u32, height: u32) {
        if self.picture.dimensions() == (width, height) {
            return;
        }
        self.picture = if self.picture.width() == 0 || self.picture.height() == 0 {
            RgbaImage::new(width, height)
        } else {
            rescaled(&self.picture, width, height)
        };
        self.stroke = None;
        self.history.forget();
        self.changed = true;
    }

    /// The pixel under `at`, relative to the picture (0..1 on each axis), in pixels.
    pub fn pixel_at(&self, at: egui::Pos2) -> (f32, f32) {
        (at.x * self.picture.width() as f32, at.y * self.picture.height() as f32)
    }

    /// Starts a stroke at `at` (pixels) with the brush or the eraser: one dab.
    pub fn press(&mut self, at: (f32, f32)) {
        let Some(color) = self.paint_color() else { return };
        let before = self.picture.clone();
        let area = brush::dab(&mut self.picture, at, self.brush_size as f32, color);
        self.stroke = Some(Stroke { before, last: at, area });
        self.changed |= area.is_some();
    }

    /// Continues the stroke to `at` (pixels), with no gap however far the pointer jumped.
    pub fn drag_to(&mut self, at: (f32, f32)) {
        let (Some(color), Some(stroke)) = (self.paint_color(), self.stroke.as_mut()) else { return };
        if stroke.last == at {
            return;
        }
        let touched = brush::segment(&mut self.picture, stroke.last, at, self.brush_size as f32, color);
        stroke.last = at;
        stroke.area = union(stroke.area, touched);
        self.changed |= touched.is_some();
    }

    /// Ends the stroke: one step of the history; the brush's color joins the recent ones.
    pub fn release(&mut self) {
        let Some(stroke) = self.stroke.take() else { return };
        if let Some(area) = stroke.area {
            self.history.push(Patch::between(&stroke.before, &self.picture, area));
        }
        if self.tool == Tool::Brush {
            self.recent.used(self.color);
        }
    }

    /// Whether a stroke is in progress.
    pub fn is_stroking(&self) -> bool {
        self.stroke.is_some()
    }

    /// Takes the color at `at` (relative to the frame) from `result`, or the hints without one, and
    /// goes back to the brush.
    pub fn pick(&mut self, result: Option<&RgbImage>, at: egui::Pos2) {
        if let Some(color) = super::eyedropper::pick(result, &self.picture, at) {
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
        self.changed |= self.history.undo(&mut self.picture);
    }

    pub fn redo(&mut self) {
        self.release();
        self.changed |= self.history.redo(&mut self.picture);
    }

    pub fn can_undo(&self) -> bool {
        self.history.can_undo()
    }

    pub fn can_redo(&self) -> bool {
        self.history.can_redo()
    }

    /// Removes every hint, as one step that can be undone.
    pub fn clear(&mut self) {
        self.release();
        if self.is_empty() {
            return;
        }
        let before = self.picture.clone();
        self.picture.pixels_mut().for_each(|pixel| *pixel = Rgba([0, 0, 0, 0]));
        self.history.push(Patch::between(&before, &self.picture, Area::of(&before)));
        self.changed = true;
    }

    /// Puts `hints` (a picture's kept hints, at the generation size) in place of what is painted, as
    /// one step that can be undone.
    pub fn replace_with(&mut self, hints: RgbaImage) {
        self.release();
        let before = std::mem::replace(&mut self.picture, hints);
        if before.dimensions() == self.picture.dimensions() {
            self.history.push(Patch::between(&before, &self.picture, Area::of(&before)));
        } else {
            self.history.forget();
        }
        self.changed = true;
    }

    /// What the current tool puts down: the color, or transparency for the eraser.
    fn paint_color(&self) -> Option<Rgba<u8>> {
        match self.tool {
            Tool::Brush => Some(Rgba([self.color.r(), self.color.g(), self.color.b(), 255])),
            Tool::Eraser => Some(Rgba([0, 0, 0, 0])),
            Tool::Eyedropper => None,
        }
    }

    /// The hint picture as it is now (for the overlay).
    pub(super) fn pixels(&self) -> &RgbaImage {
        &self.picture
    }
}

fn rescaled(picture: &RgbaImage, width: u32, height: u32) -> RgbaImage {
    image::imageops::resize(picture, width, height, image::imageops::FilterType::Nearest)
}

fn union(a: Option<Area>, b: Option<Area>) -> Option<Area> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.union(b)),
        (a, b) => a.or(b),
    }
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
