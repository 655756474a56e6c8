//! A layered picture as Nurie exports it: named RGBA layers, bottom to top, over a merged image, the
//! one model both file writers (PSD, OpenRaster) read.

use image::RgbaImage;

/// How a layer combines with what is below it (the modes both PSD and OpenRaster name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlendMode {
    Normal,
    Multiply,
}

/// One layer: a rectangle of pixels inside the picture (most cover all of it).
#[derive(Debug, Clone)]
pub struct Layer {
    /// Shown in the painting program's layer panel (any Unicode, e.g. Japanese).
    pub name: String,
    pub pixels: RgbaImage,
    /// Where the pixels' top-left corner sits in the picture, (x, y).
    pub origin: (u32, u32),
    /// 0 (transparent) to 255 (opaque).
    pub opacity: u8,
    pub visible: bool,
    pub blend: BlendMode,
}

impl Layer {
    /// A visible, opaque, Normal layer.
    pub fn new(name: impl Into<String>, pixels: RgbaImage) -> Self {
        Self { name: name.into(), pixels, origin: (0, 0), opacity: 255, visible: true, blend: BlendMode::Normal }
    }

    /// The layer placed with its top-left corner at `(x, y)` of the picture.
    pub fn at(mut self, x: u32, y: u32) -> Self {
        self.origin = (x, y);
        self
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
/// layer lies inside the merged picture.
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
