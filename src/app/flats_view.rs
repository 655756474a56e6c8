//! The result view's switch between a finished picture's colors and its flats (下塗り), the gap the
//! flats are made with, and their texture. The flats themselves come from [`FlatsMaker`].

use std::path::Path;

use super::flats_maker::{FlatsKey, FlatsMaker};
use super::layer_export::ExportFailure;
use super::service::Waker;
use crate::flats::FlatsSettings;

/// What the result view shows of a finished picture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ResultLayer {
    #[default]
    Color,
    Flats,
}

/// The flats of the picture on view, as the view can show them.
pub enum FlatsOnView {
    Ready(egui::TextureHandle),
    /// Being made; the flats shown last for the same picture (another gap) meanwhile, if any.
    Making(Option<egui::TextureHandle>),
    Failed(ExportFailure),
}

pub struct FlatsView {
    pub showing: ResultLayer,
    /// The widest gap in the lines that still closes an area, in pixels (the slider's value).
    pub gap_px: u32,
    pub maker: FlatsMaker,
    /// The flats last turned into a texture.
    texture: Option<(FlatsKey, egui::TextureHandle)>,
}

impl FlatsView {
    /// Starts the flats thread, which finds line art in `home`'s kept inputs.
    pub fn start(home: &Path, waker: Waker) -> Self {
        let gap_px = FlatsSettings::default().gap_px;
        Self { showing: ResultLayer::default(), gap_px, maker: FlatsMaker::start(home, waker), texture: None }
    }

    /// The flats of `picture` with the chosen gap.
    pub fn key(&self, picture: &Path) -> FlatsKey {
        FlatsKey { picture: picture.to_path_buf(), gap_px: self.gap_px }
    }

    /// The flats of `picture` as the view shows them, asked for when not made yet.
    pub fn on_view(&mut self, picture: &Path, ctx: &egui::Context) -> FlatsOnView {
        let key = self.key(picture);
        match self.maker.flats(&key).cloned() {
            None => {
                let last = self.texture.as_ref().filter(|(shown, _)| shown.picture == key.picture);
                FlatsOnView::Making(last.map(|(_, texture)| texture.clone()))
            }
            Some(Err(why)) => FlatsOnView::Failed(why),
            Some(Ok(made)) => {
                if let Some((_, texture)) = self.texture.as_ref().filter(|(shown, _)| *shown == key) {
                    return FlatsOnView::Ready(texture.clone());
                }
                let size = [made.image.width() as usize, made.image.height() as usize];
                let image = egui::ColorImage::from_rgb(size, made.image.as_raw());
                let texture = ctx.load_texture("flats", image, egui::TextureOptions::LINEAR);
                self.texture = Some((key, texture.clone()));
                FlatsOnView::Ready(texture)
            }
        }
    }

    /// The flats whose texture is on view (or was last).
    pub fn texture_key(&self) -> Option<&FlatsKey> {
        self.texture.as_ref().map(|(key, _)| key)
    }
}
