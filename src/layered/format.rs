//! The layered file formats Nurie writes, as the command line and the window name them.

use std::path::{Path, PathBuf};

use super::error::Result;
use super::ora::write_ora;
use super::psd::write_psd;
use super::stack::LayerStack;

/// PSD for Photoshop and Clip Studio Paint; OpenRaster for Krita, GIMP and MyPaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum LayeredFormat {
    Psd,
    Ora,
}

impl LayeredFormat {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            LayeredFormat::Psd => "psd",
            LayeredFormat::Ora => "ora",
        }
    }

    /// `picture` with this format's extension (`00012-1234.png` → `00012-1234.psd`).
    pub fn beside(self, picture: &Path) -> PathBuf {
        picture.with_extension(self.extension())
    }

    /// Writes `stack` to `path`, whole or not at all.
    pub fn write(self, stack: &LayerStack, path: &Path) -> Result<()> {
        match self {
            LayeredFormat::Psd => write_psd(stack, path),
            LayeredFormat::Ora => write_ora(stack, path),
        }
    }
}
