//! The picture the mask is painted on (the img2img picture), and mask files, read off the UI thread.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use image::{GrayImage, RgbImage};

use crate::app::service::{Waker, spawn_task};

/// The img2img picture as the painter shows it: asked for by path, loading, on screen, or unreadable.
#[derive(Default)]
pub struct Source {
    path: Option<PathBuf>,
    state: State,
}

#[derive(Default)]
enum State {
    #[default]
    Nothing,
    Loading(Receiver<Result<RgbImage, String>>),
    Ready(egui::TextureHandle),
    Failed(String),
}

/// What the painter can show of its picture this frame.
pub enum Shown {
    Loading,
    Ready(egui::TextureId, (u32, u32)),
    Failed(String),
}

impl Source {
    /// Starts reading `path` unless it is the picture already asked for.
    pub fn follow(&mut self, path: &Path, ctx: &egui::Context) {
        if self.path.as_deref() == Some(path) {
            return;
        }
        self.path = Some(path.to_path_buf());
        let owned = path.to_path_buf();
        let read = spawn_task("mask-picture", Waker::of(ctx), move || read_picture(&owned, super::MAX_SIDE));
        self.state = match read {
            Ok(receiver) => State::Loading(receiver),
            Err(e) => State::Failed(e.to_string()),
        };
    }

    /// The picture once it arrived: its size is returned the frame it does, for the mask to follow.
    pub fn poll(&mut self, ctx: &egui::Context) -> Option<(u32, u32)> {
        let State::Loading(receiver) = &self.state else { return None };
        let read = receiver.try_recv().ok()?;
        match read {
            Ok(picture) => {
                let size = picture.dimensions();
                let image = egui::ColorImage::from_rgb([size.0 as usize, size.1 as usize], picture.as_raw());
                self.state = State::Ready(ctx.load_texture("mask-picture", image, egui::TextureOptions::LINEAR));
                Some(size)
            }
            Err(why) => {
                self.state = State::Failed(why);
                None
            }
        }
    }

    pub fn shown(&self) -> Shown {
        match &self.state {
            State::Nothing | State::Loading(_) => Shown::Loading,
            State::Ready(texture) => {
                let [width, height] = texture.size();
                Shown::Ready(texture.id(), (width as u32, height as u32))
            }
            State::Failed(why) => Shown::Failed(why.clone()),
        }
    }

    /// Whether `path` is the picture on screen (so the mask painted is painted on it).
    pub fn is_ready_for(&self, path: &Path) -> bool {
        self.path.as_deref() == Some(path) && matches!(self.state, State::Ready(_))
    }
}

/// The picture at `path`, made smaller (its shape kept) when a side exceeds `max_side`: the mask is
/// painted at this size, and the generation fits it to the picture's own.
fn read_picture(path: &Path, max_side: u32) -> Result<RgbImage, String> {
    let picture = crate::control::load_rgb8(path).map_err(|e| e.to_string())?;
    Ok(within(picture, max_side))
}

fn within(picture: RgbImage, max_side: u32) -> RgbImage {
    let (width, height) = picture.dimensions();
    let longest = width.max(height);
    if longest <= max_side {
        return picture;
    }
    let side = |s: u32| ((u64::from(s) * u64::from(max_side) / u64::from(longest)) as u32).max(1);
    image::imageops::resize(&picture, side(width), side(height), image::imageops::FilterType::Triangle)
}

/// A mask file being read, to be fitted to the mask's size.
pub type MaskFile = Receiver<Result<GrayImage, String>>;

/// Starts reading the mask file at `path` as inpainting reads it (white or opaque is redrawn), fitted to
/// `width`×`height`.
pub fn read_mask(path: &Path, (width, height): (u32, u32), ctx: &egui::Context) -> Result<MaskFile, String> {
    let path = path.to_path_buf();
    let read = move || {
        let mask = crate::inpaint::load_mask(&path).map_err(|e| e.to_string())?;
        Ok(if mask.dimensions() == (width, height) {
            mask
        } else {
            image::imageops::resize(&mask, width, height, image::imageops::FilterType::Triangle)
        })
    };
    spawn_task("mask-file", Waker::of(ctx), read).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_picture_is_painted_on_at_a_bounded_size_in_its_shape() {
        assert_eq!(within(RgbImage::new(4000, 1000), 2048).dimensions(), (2048, 512));
        assert_eq!(within(RgbImage::new(64, 96), 2048).dimensions(), (64, 96), "small pictures as they are");
    }
}
