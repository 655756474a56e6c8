//! The mask painter's state: the mask, the picture under it, the tools, the history, the zoom.

use std::path::Path;

use image::{GrayImage, Luma};

use super::source::{MaskFile, Source, read_mask};
use super::tool::MaskTool;
use crate::app::paint::{Strokes, Tip};
use crate::app::view_state::ZoomPan;

/// The brush sizes offered, in pixels of the picture.
pub const BRUSH_SIZES: std::ops::RangeInclusive<u32> = 1..=256;
pub const DEFAULT_BRUSH_SIZE: u32 = 24;
/// The longest side the mask is painted at; a larger picture is shown and masked smaller (the
/// generation fits the mask to the picture).
pub const MAX_SIDE: u32 = 2048;

/// Paints the inpainting mask over the img2img picture. One painter serves the form; the mask
/// follows the picture (rescaled when another picture of another size is chosen, kept otherwise).
pub struct MaskPainter {
    pub(super) strokes: Strokes<Luma<u8>>,
    pub tool: MaskTool,
    /// The brush's (and eraser's) diameter in pixels of the picture.
    pub brush_size: u32,
    /// How much of the brush's radius fades out (0 hard, 1 soft to the centre).
    pub feather: f32,
    /// The painter's own zoom and pan (the line art and result share theirs).
    pub view: ZoomPan,
    pub(super) source: Source,
    pub(super) mask_file: Option<MaskFile>,
    /// Why the last mask file could not be read, said under the canvas.
    pub(super) mask_file_error: Option<String>,
    pub(super) overlay: Option<egui::TextureHandle>,
}

impl Default for MaskPainter {
    fn default() -> Self {
        Self {
            strokes: Strokes::default(),
            tool: MaskTool::Brush,
            brush_size: DEFAULT_BRUSH_SIZE,
            feather: 0.0,
            view: ZoomPan::default(),
            source: Source::default(),
            mask_file: None,
            mask_file_error: None,
            overlay: None,
        }
    }
}

impl MaskPainter {
    /// The mask for a generation from `picture`: `None` unless the painter shows that picture and
    /// something is painted, so an empty mask never reaches one.
    pub fn mask_for(&self, picture: &Path) -> Option<GrayImage> {
        (self.source.is_ready_for(picture) && !self.is_empty()).then(|| self.mask().clone())
    }

    /// The mask as it is now, 255 where the picture is redrawn.
    pub fn mask(&self) -> &GrayImage {
        self.strokes.picture()
    }

    /// Whether nothing is painted.
    pub fn is_empty(&self) -> bool {
        self.mask().pixels().all(|pixel| pixel.0[0] == 0)
    }

    /// Shows `picture` from now on (read in the background; see [`MaskPainter::poll`]).
    pub fn follow(&mut self, picture: &Path, ctx: &egui::Context) {
        self.source.follow(picture, ctx);
    }

    /// Takes what the background reads brought: the picture (the mask follows its size) and a mask
    /// file (put in place of the mask, one step of the history).
    pub fn poll(&mut self, ctx: &egui::Context) {
        if let Some((width, height)) = self.source.poll(ctx) {
            self.strokes
                .resize(width, height, |old| image::imageops::resize(old, width, height, image::imageops::FilterType::Triangle));
            self.view = ZoomPan::default();
        }
        let read = self.mask_file.as_ref().and_then(|file| file.try_recv().ok());
        match read {
            Some(Ok(mask)) if mask.dimensions() == self.strokes.size() => self.strokes.replace_with(mask),
            Some(Ok(_)) => {}
            Some(Err(why)) => self.mask_file_error = Some(why),
            None => return,
        }
        self.mask_file = None;
    }

    /// Reads the mask file at `path` in place of the painted mask (white or opaque is redrawn, as
    /// inpainting reads it), fitted to the picture.
    pub fn load_file(&mut self, path: &Path, ctx: &egui::Context) {
        self.mask_file_error = None;
        match read_mask(path, self.strokes.size(), ctx) {
            Ok(file) => self.mask_file = Some(file),
            Err(why) => self.mask_file_error = Some(why),
        }
    }

    /// Starts a stroke at `at` (pixels) with the brush or the eraser: one dab.
    pub fn press(&mut self, at: (f32, f32)) {
        let tool = self.tool;
        self.strokes.press(at, self.tip(), &move |pixel, coverage| tool.apply(pixel, coverage));
    }

    /// Continues the stroke to `at` (pixels), with no gap however far the pointer jumped.
    pub fn drag_to(&mut self, at: (f32, f32)) {
        let tool = self.tool;
        self.strokes.drag_to(at, self.tip(), &move |pixel, coverage| tool.apply(pixel, coverage));
    }

    /// Ends the stroke: one step of the history.
    pub fn release(&mut self) {
        self.strokes.release();
    }

    pub fn is_stroking(&self) -> bool {
        self.strokes.is_stroking()
    }

    pub fn undo(&mut self) {
        self.strokes.undo();
    }

    pub fn redo(&mut self) {
        self.strokes.redo();
    }

    pub fn can_undo(&self) -> bool {
        self.strokes.can_undo()
    }

    pub fn can_redo(&self) -> bool {
        self.strokes.can_redo()
    }

    /// Unmarks everything, as one step that can be undone.
    pub fn clear(&mut self) {
        if !self.is_empty() {
            self.strokes.change_all(|pixel| pixel.0[0] = 0);
        }
    }

    /// Marks what is unmarked and unmarks what is marked, as one step that can be undone.
    pub fn invert(&mut self) {
        self.strokes.change_all(|pixel| pixel.0[0] = 255 - pixel.0[0]);
    }

    fn tip(&self) -> Tip {
        Tip { diameter: self.brush_size as f32, feather: self.feather }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn painter(width: u32, height: u32) -> MaskPainter {
        let mut painter = MaskPainter::default();
        painter.strokes.resize(width, height, |old| old.clone());
        painter
    }

    fn stroke(painter: &mut MaskPainter, points: &[(f32, f32)]) {
        painter.press(points[0]);
        points[1..].iter().for_each(|at| painter.drag_to(*at));
        painter.release();
    }

    #[test]
    fn strokes_mark_erase_invert_and_undo() {
        let mut painter = painter(64, 64);
        painter.brush_size = 8;
        stroke(&mut painter, &[(8.0, 32.0), (56.0, 32.0)]);
        assert_eq!(painter.mask().get_pixel(32, 32).0[0], 255);
        assert_eq!(painter.mask().get_pixel(32, 10).0[0], 0);
        let painted = painter.mask().clone();
        painter.tool = MaskTool::Eraser;
        stroke(&mut painter, &[(32.0, 32.0)]);
        assert_eq!(painter.mask().get_pixel(32, 32).0[0], 0, "erased");
        painter.undo();
        assert_eq!(painter.mask(), &painted);
        painter.invert();
        assert_eq!((painter.mask().get_pixel(32, 32).0[0], painter.mask().get_pixel(32, 10).0[0]), (0, 255));
        painter.clear();
        assert!(painter.is_empty());
        painter.undo();
        painter.undo();
        assert_eq!(painter.mask(), &painted, "clearing and inverting are undone");
    }

    #[test]
    fn a_feathered_brush_leaves_a_soft_edge() {
        let mut painter = painter(64, 64);
        (painter.brush_size, painter.feather) = (20, 1.0);
        stroke(&mut painter, &[(32.0, 32.0)]);
        let edge = painter.mask().get_pixel(40, 32).0[0];
        assert!(edge > 0 && edge < 255, "{edge}");
    }

    #[test]
    fn no_mask_goes_to_a_picture_the_painter_does_not_show() {
        let mut painter = painter(8, 8);
        stroke(&mut painter, &[(4.0, 4.0)]);
        assert!(painter.mask_for(Path::new("elsewhere.png")).is_none());
    }
}
