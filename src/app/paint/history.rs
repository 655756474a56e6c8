//! Undo and redo, one step per stroke: each step keeps only the rectangle the stroke changed, before
//! and after, and the history is bounded in steps and in bytes.

use image::Pixel;

use super::brush::Area;
use super::strokes::Picture;

/// How many strokes can be undone.
pub const MAX_STEPS: usize = 30;
/// The most memory the kept pixels may take (before and after together); the oldest steps go first.
pub const MAX_BYTES: usize = 96 * 1024 * 1024;

/// One stroke's change: the pixels of `area` before and after it.
pub struct Patch<P: Pixel> {
    area: Area,
    before: Picture<P>,
    after: Picture<P>,
}

impl<P: Pixel> Patch<P> {
    /// The change in `area` from `before` (the whole picture as it was) to `after` (as it is now).
    pub fn between(before: &Picture<P>, after: &Picture<P>, area: Area) -> Patch<P> {
        Patch { area, before: crop(before, area), after: crop(after, area) }
    }

    fn bytes(&self) -> usize {
        2 * self.area.pixels() * std::mem::size_of::<P>()
    }
}

/// The strokes that can be undone and those undone that can be done again.
pub struct History<P: Pixel> {
    done: Vec<Patch<P>>,
    undone: Vec<Patch<P>>,
}

impl<P: Pixel> Default for History<P> {
    fn default() -> Self {
        Self { done: Vec::new(), undone: Vec::new() }
    }
}

impl<P: Pixel> History<P> {
    /// Keeps a new step; what was undone before it can no longer be redone.
    pub fn push(&mut self, patch: Patch<P>) {
        self.undone.clear();
        self.done.push(patch);
        while self.done.len() > MAX_STEPS || (self.done.len() > 1 && self.bytes() > MAX_BYTES) {
            self.done.remove(0);
        }
    }

    /// Puts the last step's pixels back as they were; false when there is nothing to undo.
    pub fn undo(&mut self, picture: &mut Picture<P>) -> bool {
        let Some(patch) = self.done.pop() else { return false };
        paste(picture, &patch.before, patch.area);
        self.undone.push(patch);
        true
    }

    /// Does the last undone step again; false when there is nothing to redo.
    pub fn redo(&mut self, picture: &mut Picture<P>) -> bool {
        let Some(patch) = self.undone.pop() else { return false };
        paste(picture, &patch.after, patch.area);
        self.done.push(patch);
        true
    }

    pub fn can_undo(&self) -> bool {
        !self.done.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.undone.is_empty()
    }

    /// Forgets every step (the picture was rescaled: the rectangles no longer fit it).
    pub fn forget(&mut self) {
        self.done.clear();
        self.undone.clear();
    }

    fn bytes(&self) -> usize {
        self.done.iter().chain(&self.undone).map(Patch::bytes).sum()
    }
}

fn crop<P: Pixel>(picture: &Picture<P>, area: Area) -> Picture<P> {
    Picture::from_fn(area.width, area.height, |x, y| *picture.get_pixel(area.x + x, area.y + y))
}

fn paste<P: Pixel>(picture: &mut Picture<P>, pixels: &Picture<P>, area: Area) {
    for (x, y, pixel) in pixels.enumerate_pixels() {
        picture.put_pixel(area.x + x, area.y + y, *pixel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    fn painted(picture: &RgbaImage, x: u32, y: u32, value: u8) -> RgbaImage {
        let mut after = picture.clone();
        after.put_pixel(x, y, Rgba([value, value, value, 255]));
        after
    }

    #[test]
    fn undo_and_redo_restore_the_exact_pixels() {
        let empty = RgbaImage::new(16, 16);
        let first = painted(&empty, 3, 4, 10);
        let second = painted(&first, 12, 9, 20);
        let mut history = History::default();
        history.push(Patch::between(&empty, &first, Area { x: 2, y: 3, width: 3, height: 3 }));
        history.push(Patch::between(&first, &second, Area { x: 12, y: 9, width: 1, height: 1 }));
        let mut picture = second.clone();
        assert!(history.undo(&mut picture));
        assert_eq!(picture, first);
        assert!(history.undo(&mut picture));
        assert_eq!(picture, empty);
        assert!(!history.undo(&mut picture), "nothing left to undo");
        assert!(history.redo(&mut picture) && history.redo(&mut picture));
        assert_eq!(picture, second);
        assert!(!history.can_redo());
    }

    #[test]
    fn a_new_stroke_ends_the_redo_and_the_history_is_bounded() {
        let picture = RgbaImage::new(4, 4);
        let whole = Area::of(&picture);
        let mut history = History::default();
        for _ in 0..MAX_STEPS + 5 {
            history.push(Patch::between(&picture, &picture, whole));
        }
        assert_eq!(history.done.len(), MAX_STEPS);
        let mut copy = picture.clone();
        history.undo(&mut copy);
        assert!(history.can_redo());
        history.push(Patch::between(&picture, &picture, whole));
        assert!(!history.can_redo());
    }
}
