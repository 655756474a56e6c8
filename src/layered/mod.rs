//! Layered files for finishing in a painting program: the AI colors, the flats and hints, and the
//! artist's own line art on top in Multiply, untouched but for the resize to the picture's size, written
//! as PSD (Photoshop, Clip Studio Paint) or OpenRaster (Krita, GIMP, MyPaint).
//!
//! [`compose`] builds the [`LayerStack`] (with [`line_layer`], [`merge`] and [`color_trace`]), [`picture`]
//! rebuilds it from a picture Nurie made, [`psd`] and [`ora`] write it.

pub mod color_trace;
pub mod compose;
mod error;
mod format;
pub mod line_layer;
pub mod merge;
pub mod ora;
pub mod packbits;
pub mod picture;
pub mod picture_flats;
pub mod psd;
mod psd_channel;
mod psd_layers;
mod stack;

use std::path::Path;

pub use compose::{COLOR_LAYER, FLATS_LAYER, HINTS_LAYER, LINE_ART_LAYER, LayerOptions, LayerSources, compose_layers};
pub use error::{LayeredError, Result};
pub use format::LayeredFormat;
pub use ora::{ora_bytes, write_ora};
pub use picture::{hints_at_size, kept_hints, layers_for_picture, sources_of_unit};
pub use psd::{PSD_MAX_SIDE, psd_bytes, write_psd};
pub use stack::{BlendMode, Layer, LayerStack};

/// Every layer must cover the picture exactly: both formats place full-size layers at (0, 0).
fn check_layer_sizes(stack: &LayerStack, path: &Path) -> Result<()> {
    let (width, height) = (stack.width(), stack.height());
    let outside = |layer: &&Layer| {
        let (x, y) = layer.origin;
        u64::from(x) + u64::from(layer.pixels.width()) > u64::from(width)
            || u64::from(y) + u64::from(layer.pixels.height()) > u64::from(height)
    };
    match stack.layers.iter().find(outside) {
        Some(layer) => Err(LayeredError::LayerSize {
            path: path.to_path_buf(),
            layer: layer.name.clone(),
            got_w: layer.pixels.width(),
            got_h: layer.pixels.height(),
            width,
            height,
        }),
        None => Ok(()),
    }
}
