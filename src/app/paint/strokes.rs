//! A picture painted on in strokes: the stroke in progress, and the history that undoes whole strokes
//! and whole-picture changes (clear, invert, a picture put in place).

use image::{ImageBuffer, Pixel};

use super::brush::{self, Area, Tip};
use super::history::{History, Patch};

/// A picture of pixels `P`, as `image` stores it.
pub type Picture<P> = ImageBuffer<P, Vec<<P as Pixel>::Subpixel>>;

/// The picture, the stroke being painted, the history, and whether the picture changed since it was
/// last shown.
pub struct Strokes<P: Pixel> {
    picture: Picture<P>,
    history: History<P>,
    stroke: Option<Stroke<P>>,
    changed: bool,
}

/// A stroke in progress: the picture before it, where the pointer last was, what it changed so far.
struct Stroke<P: Pixel> {
    before: Picture<P>,
    last: (f32, f32),
    area: Option<Area>,
}

impl<P: Pixel> Default for Strokes<P> {
    fn default() -> Self {
        Self::new(ImageBuffer::new(0, 0))
    }
}

impl<P: Pixel> Strokes<P> {
    pub fn new(picture: Picture<P>) -> Self {
        Self { picture, history: History::default(), stroke: None, changed: true }
    }

    /// The picture as it is now, the stroke in progress included.
    pub fn picture(&self) -> &Picture<P> {
        &self.picture
    }

    pub fn size(&self) -> (u32, u32) {
        self.picture.dimensions()
    }

    /// Starts a stroke at `at` (pixels): one dab.
    pub fn press(&mut self, at: (f32, f32), tip: Tip, paint: &impl Fn(&mut P, f32)) {
        let before = self.picture.clone();
        let area = brush::dab(&mut self.picture, at, tip, paint);
        self.stroke = Some(Stroke { before, last: at, area });
        self.changed |= area.is_some();
    }

    /// Continues the stroke to `at` (pixels), with no gap however far the pointer jumped.
    pub fn drag_to(&mut self, at: (f32, f32), tip: Tip, paint: &impl Fn(&mut P, f32)) {
        let Some(stroke) = self.stroke.as_mut() else { return };
        if stroke.last == at {
            return;
        }
        let touched = brush::segment(&mut self.picture, stroke.last, at, tip, paint);
        stroke.last = at;
        stroke.area = union(stroke.area, touched);
        self.changed |= touched.is_some();
    }

    /// Ends the stroke, one step of the history; false when no stroke was in progress.
    pub fn release(&mut self) -> bool {
        let Some(stroke) = self.stroke.take() else { return false };
        if let Some(area) = stroke.area {
            self.history.push(Patch::between(&stroke.before, &self.picture, area));
        }
        true
    }

    pub fn is_stroking(&self) -> bool {
        self.stroke.is_some()
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

    /// Changes every pixel with `change`, as one step that can be undone.
    pub fn change_all(&mut self, change: impl Fn(&mut P)) {
        self.release();
        let before = self.picture.clone();
        self.picture.pixels_mut().for_each(change);
        self.history.push(Patch::between(&before, &self.picture, Area::of(&before)));
        self.changed = true;
    }

    /// Puts `picture` in place of what is painted: one step that can be undone when the size is the
    /// same; at another size the history is forgotten (its rectangles no longer fit).
    pub fn replace_with(&mut self, picture: Picture<P>) {
        self.release();
        let before = std::mem::replace(&mut self.picture, picture);
        if before.dimensions() == self.picture.dimensions() {
            self.history.push(Patch::between(&before, &self.picture, Area::of(&before)));
        } else {
            self.history.forget();
        }
        self.changed = true;
    }

    /// Gives the picture a new size, not as a step: `resized` makes the picture at that size from the
    /// old one (which is never empty), and the history is forgotten. Nothing happens at the same size.
    pub fn resize(&mut self, width: u32, height: u32, resized: impl FnOnce(&Picture<P>) -> Picture<P>) {
        if self.picture.dimensions() == (width, height) {
            return;
        }
        self.picture = if self.picture.width() == 0 || self.picture.height() == 0 {
            ImageBuffer::new(width, height)
        } else {
            resized(&self.picture)
        };
        self.stroke = None;
        self.history.forget();
        self.changed = true;
    }

    /// Whether the picture changed since the last call (for uploading it again).
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }
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
    use image::{GrayImage, Luma};

    fn white(pixel: &mut Luma<u8>, _: f32) {
        pixel.0[0] = 255;
    }

    #[test]
    fn a_stroke_is_one_step_and_whole_picture_changes_are_steps_too() {
        let mut strokes = Strokes::new(GrayImage::new(32, 32));
        strokes.press((4.0, 4.0), Tip::hard(4.0), &white);
        strokes.drag_to((28.0, 4.0), Tip::hard(4.0), &white);
        assert!(strokes.release() && !strokes.release(), "one stroke ended");
        let painted = strokes.picture().clone();
        strokes.change_all(|pixel| pixel.0[0] = 255 - pixel.0[0]);
        assert_eq!(strokes.picture().get_pixel(16, 20).0[0], 255, "inverted");
        strokes.undo();
        assert_eq!(strokes.picture(), &painted);
        strokes.undo();
        assert!(strokes.picture().pixels().all(|pixel| pixel.0[0] == 0) && !strokes.can_undo());
        strokes.redo();
        assert_eq!(strokes.picture(), &painted);
    }

    #[test]
    fn a_new_size_keeps_the_picture_and_forgets_the_history() {
        let mut strokes: Strokes<Luma<u8>> = Strokes::default();
        strokes.resize(8, 8, |_| unreachable!("an empty picture is made new"));
        strokes.press((1.0, 1.0), Tip::hard(1.0), &white);
        strokes.release();
        assert!(strokes.take_changed() && !strokes.take_changed());
        strokes.resize(16, 16, |old| image::imageops::resize(old, 16, 16, image::imageops::FilterType::Nearest));
        assert_eq!(strokes.picture().get_pixel(2, 2).0[0], 255);
        assert!(!strokes.can_undo() && strokes.take_changed());
    }
}
