//! Saves each finished image of a request as a numbered PNG with its A1111 and Nurie metadata.

use std::path::{Path, PathBuf};

use crate::generate::{FinishedImage, Provenance, Request, record_for};
use crate::metadata::{self, GenerationRecord, write_png_with_record};

/// Why a picture could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot use the output folder {path}: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// A picture on disk, with the record written into it.
#[derive(Debug, Clone)]
pub struct SavedImage {
    pub path: PathBuf,
    pub record: GenerationRecord,
}

/// Numbers and writes the pictures of one output folder.
#[derive(Debug)]
pub struct ImageSaver {
    folder: PathBuf,
    next_number: u32,
}

impl ImageSaver {
    /// Creates `folder` if needed and finds the next free number in it.
    pub fn new(folder: &Path) -> Result<Self, OutputError> {
        let folder_error = |source| OutputError::Folder { path: folder.to_path_buf(), source };
        std::fs::create_dir_all(folder).map_err(folder_error)?;
        let next_number = super::next_free_number(folder).map_err(folder_error)?;
        Ok(Self { folder: folder.to_path_buf(), next_number })
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The file stem the next picture of `seed` gets (`00012-1234`).
    pub fn next_stem(&self, seed: u64) -> String {
        format!("{:05}-{seed}", self.next_number)
    }

    /// Writes `image` (image `image.index` of `request`) atomically, with its metadata; the number
    /// advances only when the file is complete.
    pub fn save(&mut self, request: &Request, provenance: &Provenance, image: &FinishedImage) -> Result<SavedImage, OutputError> {
        let path = self.folder.join(format!("{}.png", self.next_stem(image.seed)));
        let record = record_for(request, image.index, provenance);
        let pixels = metadata::RgbImage { width: image.image.width(), height: image.image.height(), pixels: image.image.as_raw() };
        write_png_with_record(&path, pixels, &record).map_err(|e| OutputError::Write { path: path.clone(), message: e.to_string() })?;
        self.next_number += 1;
        Ok(SavedImage { path, record })
    }
}
