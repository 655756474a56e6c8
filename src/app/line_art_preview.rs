//! Loads line art and computes its processed hint off the UI thread, for the line-art panel. Each
//! request carries a ticket; a result for an outdated ticket is dropped.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;

use crate::app::service::{Emitter, Waker, event_channel, spawn};
use crate::control::{LineArtSettings, load_rgb8, prepare_line_art};

/// The largest side of the line art the panel shows (the full-size files stay on disk).
const SHOWN_SIDE: u32 = 1024;
/// The largest side of the lines laid over the result: full resolution up to this.
const OVERLAY_SIDE: u32 = 4096;

#[derive(Debug, Clone, PartialEq)]
pub struct PreviewRequest {
    pub unit: usize,
    pub path: PathBuf,
    pub settings: LineArtSettings,
    pub width: u32,
    pub height: u32,
}

/// The line art as shown, its full size, and the hint the ControlNet will see (white lines on black).
pub struct LineArtPreview {
    pub request: PreviewRequest,
    pub ticket: u64,
    pub result: Result<Prepared, String>,
}

pub struct Prepared {
    pub line_art: image::RgbImage,
    pub full_size: (u32, u32),
    pub hint: image::GrayImage,
    /// The lines as black with alpha = line darkness (premultiplied RGBA): drawn over the result with
    /// ordinary alpha blending this is exactly `result × line luminance`, a multiply.
    pub lines: image::RgbaImage,
}

/// Previews being made wait here for the window; a preparing thread waits while the window catches up.
const RESULT_CAPACITY: usize = 8;

pub struct LineArtPreviewer {
    emitter: Emitter<LineArtPreview>,
    receiver: Receiver<LineArtPreview>,
    next_ticket: u64,
}

impl LineArtPreviewer {
    pub fn new(waker: Waker) -> Self {
        let (emitter, receiver) = event_channel(RESULT_CAPACITY, waker);
        Self { emitter, receiver, next_ticket: 0 }
    }

    /// Starts preparing `request` on a short-lived thread (`nurie-line-art`); returns its ticket.
    pub fn request(&mut self, request: PreviewRequest) -> u64 {
        self.next_ticket += 1;
        let ticket = self.next_ticket;
        let emitter = self.emitter.clone();
        let kept = request.clone();
        let spawned = spawn("line-art", move || {
            let result = prepare(&request);
            emitter.send(LineArtPreview { request, ticket, result });
        });
        if let Err(error) = spawned {
            self.emitter.offer(LineArtPreview { request: kept, ticket, result: Err(error.to_string()) });
        }
        ticket
    }

    pub fn try_result(&self) -> Option<LineArtPreview> {
        self.receiver.try_recv().ok()
    }
}

fn prepare(request: &PreviewRequest) -> Result<Prepared, String> {
    let art = load_rgb8(&request.path).map_err(|e| e.to_string())?;
    let prepared = prepare_line_art(&art, request.settings, request.width, request.height).map_err(|e| e.to_string())?;
    let hint = prepared.hint;
    let hint_image = image::GrayImage::from_fn(hint.width, hint.height, |x, y| {
        let value = hint.data[(y * hint.width + x) as usize];
        image::Luma([(value.clamp(0.0, 1.0) * 255.0).round() as u8])
    });
    let full_size = art.dimensions();
    let lines = lines_mask(&shrink(&art, OVERLAY_SIDE), prepared.black_on_white);
    Ok(Prepared { line_art: shrink(&art, SHOWN_SIDE), full_size, hint: hint_image, lines })
}

/// Black with alpha = how dark the line is (`1 − luminance` for black lines on white, `luminance`
/// for white lines on black).
pub fn lines_mask(art: &image::RgbImage, black_on_white: bool) -> image::RgbaImage {
    image::RgbaImage::from_fn(art.width(), art.height(), |x, y| {
        let [r, g, b] = art.get_pixel(x, y).0;
        let luma = ((299 * r as u32 + 587 * g as u32 + 114 * b as u32 + 500) / 1000) as u8;
        let alpha = if black_on_white { 255 - luma } else { luma };
        image::Rgba([0, 0, 0, alpha])
    })
}

fn shrink(art: &image::RgbImage, side: u32) -> image::RgbImage {
    let (w, h) = art.dimensions();
    if w.max(h) <= side {
        return art.clone();
    }
    let scale = side as f32 / w.max(h) as f32;
    let (nw, nh) = (((w as f32 * scale).round() as u32).max(1), ((h as f32 * scale).round() as u32).max(1));
    image::imageops::resize(art, nw, nh, image::imageops::FilterType::Triangle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lines_mask_multiplies_when_blended() {
        let art =
            image::RgbImage::from_fn(2, 1, |x, _| if x == 0 { image::Rgb([255, 255, 255]) } else { image::Rgb([51, 51, 51]) });
        let mask = lines_mask(&art, true);
        // Blending black with alpha a over c gives c·(1 − a) = c · luminance.
        assert_eq!(mask.get_pixel(0, 0).0, [0, 0, 0, 0]);
        assert_eq!(mask.get_pixel(1, 0).0, [0, 0, 0, 204]);
        assert_eq!(lines_mask(&art, false).get_pixel(1, 0).0[3], 51);
    }
}
