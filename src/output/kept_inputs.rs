//! The drawings a generation started from (line art, img2img picture), kept beside Nurie's state so a
//! picture's inputs survive the user moving or editing the originals. Each file is stored once, named
//! by the SHA-256 of its bytes: the same hash the picture's metadata records (`line_art_sha256`,
//! `init_image_sha256`), so the input of any picture can be found again from the PNG alone.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::atomic_write::write_file_atomically;

/// A folder of kept input files: `<sha256>.<extension>`.
#[derive(Debug, Clone)]
pub struct KeptInputs {
    folder: PathBuf,
}

impl KeptInputs {
    /// `home/inputs`, where pasted drawings go too.
    pub fn in_home(home: &Path) -> Self {
        Self { folder: home.join("inputs") }
    }

    /// Keeps a copy of `file`, whose content hashes to `sha256` (hex), unless one is kept already;
    /// returns the kept copy.
    pub fn keep(&self, file: &Path, sha256: &str) -> Result<PathBuf, KeepError> {
        if !is_sha256_hex(sha256) {
            return Err(KeepError::BadHash(sha256.to_string()));
        }
        let kept = self.folder.join(file_name(sha256, file));
        if kept.is_file() {
            return Ok(kept);
        }
        let io_error = |source| KeepError::Io { path: file.to_path_buf(), source };
        std::fs::create_dir_all(&self.folder).map_err(io_error)?;
        let bytes = std::fs::read(file).map_err(io_error)?;
        write_file_atomically(&kept, &bytes).map_err(|e| KeepError::Write { path: kept.clone(), message: e.to_string() })?;
        Ok(kept)
    }

    /// Keeps a picture made in the window (the painted color hints, an inpainting mask) as a PNG named
    /// by the SHA-256 of its bytes, as a file would be kept; returns the kept file.
    pub fn keep_png<P>(&self, picture: &image::ImageBuffer<P, Vec<P::Subpixel>>) -> Result<PathBuf, KeepError>
    where
        P: image::PixelWithColorType,
        [P::Subpixel]: image::EncodableLayout,
    {
        let mut bytes = Vec::new();
        let encoded = picture.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png);
        let kept_name = self.folder.join("painted.png");
        encoded.map_err(|e| KeepError::Write { path: kept_name.clone(), message: e.to_string() })?;
        let sha256 = crate::provenance::hash::hex(&Sha256::digest(&bytes));
        let kept = self.folder.join(format!("{sha256}.png"));
        if kept.is_file() {
            return Ok(kept);
        }
        std::fs::create_dir_all(&self.folder).map_err(|source| KeepError::Io { path: self.folder.clone(), source })?;
        write_file_atomically(&kept, &bytes).map_err(|e| KeepError::Write { path: kept.clone(), message: e.to_string() })?;
        Ok(kept)
    }

    /// Where the kept files are.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The kept file of `sha256`, whatever its extension.
    pub fn find(&self, sha256: &str) -> Option<PathBuf> {
        if !is_sha256_hex(sha256) {
            return None;
        }
        let entries = std::fs::read_dir(&self.folder).ok()?;
        entries.flatten().map(|entry| entry.path()).find(|path| path.file_stem().is_some_and(|stem| stem == sha256))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    #[error("`{0}` is not a SHA-256 in hex")]
    BadHash(String),
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot keep a copy as {path}: {message}")]
    Write { path: PathBuf, message: String },
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `<sha256>.<extension of the original, lower case>`; no extension when the original has none.
fn file_name(sha256: &str, original: &Path) -> String {
    let sha256 = sha256.to_ascii_lowercase();
    match original.extension().and_then(|e| e.to_str()) {
        Some(extension) if extension.chars().all(|c| c.is_ascii_alphanumeric()) => {
            format!("{sha256}.{}", extension.to_ascii_lowercase())
        }
        _ => sha256,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn sha256_of(bytes: &[u8]) -> String {
        Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn the_same_drawing_is_kept_once_and_found_by_its_hash() {
        let scratch = tempfile::tempdir().unwrap();
        let drawing = scratch.path().join("線画.PNG");
        std::fs::write(&drawing, b"drawing bytes").unwrap();
        let hash = sha256_of(b"drawing bytes");
        let kept_inputs = KeptInputs::in_home(&scratch.path().join("home"));
        let kept = kept_inputs.keep(&drawing, &hash).unwrap();
        assert_eq!(kept.file_name().unwrap().to_str().unwrap(), format!("{hash}.png"));
        assert_eq!(std::fs::read(&kept).unwrap(), b"drawing bytes");
        // The user edits the original: the kept copy stays as it was used.
        std::fs::write(&drawing, b"edited later").unwrap();
        assert_eq!(kept_inputs.keep(&drawing, &hash).unwrap(), kept);
        assert_eq!(std::fs::read(&kept).unwrap(), b"drawing bytes");
        assert_eq!(kept_inputs.find(&hash), Some(kept));
        assert_eq!(kept_inputs.find(&sha256_of(b"other")), None);
    }

    #[test]
    fn bad_hashes_and_missing_files_are_errors() {
        let scratch = tempfile::tempdir().unwrap();
        let kept_inputs = KeptInputs::in_home(scratch.path());
        assert!(matches!(kept_inputs.keep(Path::new("x.png"), "../../etc/passwd"), Err(KeepError::BadHash(_))));
        let missing = kept_inputs.keep(&scratch.path().join("gone.png"), &sha256_of(b"gone"));
        assert!(matches!(missing, Err(KeepError::Io { .. })), "{missing:?}");
        assert_eq!(kept_inputs.find("not-a-hash"), None);
    }
}
