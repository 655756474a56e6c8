//! A layered picture as Nurie exports it: named RGBA layers, bottom to top, over a merged image, the
//! one model both file writers (PSD, OpenRaster) read.

use image::RgbaImage;

/// How a layer combines with what is below it (the modes both PSD and OpenRaster name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlendMode {
    Normal,
    Multiply,
}

/// One layer, covering the whole picture.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Shown in the painting program's layer panel (any Unicode, e.g. Japanese).
    pub name: String,
    pub pixels: RgbaImage,
    /// 0 (transparent) to 255 (opaque).
    pub opacity: u8,
    pub visible: bool,
    pub blend: BlendMode,
}

impl Layer {
    /// A visible, opaque, Normal layer.
    pub fn new(name: impl Into<String>, pixels: RgbaImage) -> Self {
        Self { name: name.into(), pixels, opacity: 255, visible: true, blend: BlendMode::Normal }
    }

    pub fn hidden(mut self) -> Self {
        self.visible = false;
        self
    }

    pub fn blended(mut self, blend: BlendMode) -> Self {
        self.blend = blend;
        self
    }
}

/// The layers, bottom first, and the merged picture a reader shows without compositing them. Every
/// layer has the merged picture's size.
#[derive(Debug, Clone)]
pub struct LayerStack {
    pub layers: Vec<Layer>,
    pub merged: RgbaImage,
}

impl LayerStack {
    pub fn width(&self) -> u32 {
        self.merged.width()
    }

    pub fn height(&self) -> u32 {
        self.merged.height()
    }
}
