//! The "Export layers…" dialog's state: which picture, in which format, with which options. The view
//! draws it ([`crate::app::view`]); the app turns its answer into an [`ExportJob`].

use std::path::{Path, PathBuf};

use super::layer_export::{ExportJob, ExportOptions};
use crate::layered::LayeredFormat;

#[derive(Debug, Clone, PartialEq)]
pub struct ExportDialog {
    pub picture: PathBuf,
    pub format: LayeredFormat,
    pub options: ExportOptions,
}

impl ExportDialog {
    pub fn new(picture: &Path, options: ExportOptions) -> Self {
        Self { picture: picture.to_path_buf(), format: LayeredFormat::Psd, options }
    }

    /// The default file: the picture's name with the format's extension, beside it.
    pub fn default_target(&self) -> PathBuf {
        self.format.beside(&self.picture)
    }

    /// The job writing to `target`.
    pub fn job(&self, target: PathBuf) -> ExportJob {
        ExportJob { picture: self.picture.clone(), format: self.format, target, options: self.options }
    }
}
