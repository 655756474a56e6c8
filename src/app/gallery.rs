//! This session's finished pictures, newest last, with the one being viewed.

use std::path::PathBuf;
use std::sync::Arc;

use crate::metadata::GenerationRecord;

use super::worker::JobId;

pub struct GalleryItem {
    pub job: JobId,
    pub path: PathBuf,
    pub image: Arc<image::RgbImage>,
    pub record: GenerationRecord,
    pub texture: Option<egui::TextureHandle>,
}

#[derive(Default)]
pub struct Gallery {
    pub items: Vec<GalleryItem>,
    pub selected: Option<usize>,
}

impl Gallery {
    /// Adds a picture and shows it.
    pub fn add(&mut self, item: GalleryItem) {
        self.items.push(item);
        self.selected = Some(self.items.len() - 1);
    }

    pub fn selected(&self) -> Option<&GalleryItem> {
        self.selected.and_then(|i| self.items.get(i))
    }

    /// Moves the selection by `offset`, staying inside the strip.
    pub fn browse(&mut self, offset: isize) {
        if self.items.is_empty() {
            return;
        }
        let current = self.selected.unwrap_or(self.items.len() - 1);
        self.selected = Some(current.saturating_add_signed(offset).min(self.items.len() - 1));
    }
}
