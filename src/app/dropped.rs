//! What a file dropped on the window is, found out off the UI thread (`nurie-dropped-file`): a picture
//! (line art, unless it carries generation settings the user may want instead, as A1111's PNG Info), a
//! model file of a kind the model bar offers, or something Nurie does not open.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

use crate::app::service::{Waker, spawn_task};
use crate::checkpoint::Checkpoint;
use crate::metadata::{MetadataError, ParsedSettings, read_settings_from_png};
use crate::model_library::{ModelKind, kind_from_folder_name, kind_from_header, kind_from_tensor_names};

const PICTURE_EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "webp", "bmp"];
const MODEL_EXTENSIONS: [&str; 6] = ["safetensors", "ckpt", "pt", "pth", "bin", "sft"];

/// A dropped file, looked at.
#[derive(Debug)]
pub enum DroppedFile {
    /// A picture; `settings` when it carries the settings that made it (Nurie, A1111, ComfyUI, InvokeAI).
    Picture { path: PathBuf, settings: Option<Box<ParsedSettings>> },
    /// A model file, with the kind its tensor names (or its folder's name) show.
    Model { path: PathBuf, kind: ModelKind },
    /// Neither a picture nor a model file Nurie opens.
    Other { path: PathBuf },
}

/// Looks at `path` (reads a PNG's text chunks, a model's tensor names).
pub fn classify(path: &Path) -> DroppedFile {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    if PICTURE_EXTENSIONS.contains(&extension.as_str()) {
        let settings = match read_settings_from_png(path) {
            Ok(parsed) => Some(Box::new(parsed)),
            // A picture without settings (a drawing), or not a PNG: line art, as before.
            Err(MetadataError::NoGenerationMetadata { .. }) | Err(_) => None,
        };
        return DroppedFile::Picture { path: path.to_path_buf(), settings };
    }
    if MODEL_EXTENSIONS.contains(&extension.as_str()) {
        return DroppedFile::Model { path: path.to_path_buf(), kind: model_kind(path, &extension) };
    }
    DroppedFile::Other { path: path.to_path_buf() }
}

/// The tensor names decide; a name they leave undecided falls back to the folder's name (A1111's
/// `ControlNet`, ComfyUI's `vae`, …).
fn model_kind(path: &Path, extension: &str) -> ModelKind {
    let from_keys = if extension == "safetensors" || extension == "sft" {
        kind_from_header(path)
    } else {
        Checkpoint::open(path).ok().and_then(|file| kind_from_tensor_names(&file.keys().map(str::to_string).collect::<Vec<_>>()))
    };
    let folder = path.parent().and_then(Path::file_name).and_then(|name| name.to_str());
    from_keys.or_else(|| folder.and_then(kind_from_folder_name)).unwrap_or(ModelKind::Unknown)
}

/// Files being looked at; their answers arrive in later frames.
#[derive(Default)]
pub struct DropInspector {
    pending: Vec<(Option<usize>, Receiver<DroppedFile>)>,
    /// Files looked at on the UI thread, when no thread could be started.
    ready: Vec<(Option<usize>, DroppedFile)>,
}

impl DropInspector {
    /// Starts looking at `path`, dropped over line-art unit `unit` (if over one).
    pub fn inspect(&mut self, path: PathBuf, unit: Option<usize>, waker: Waker) {
        let looked_at = path.clone();
        match spawn_task("dropped-file", waker, move || classify(&looked_at)) {
            Ok(answer) => self.pending.push((unit, answer)),
            Err(_) => self.ready.push((unit, classify(&path))),
        }
    }

    /// The files looked at since the last call, with the unit each was dropped on.
    pub fn finished(&mut self) -> Vec<(Option<usize>, DroppedFile)> {
        let mut done = std::mem::take(&mut self.ready);
        self.pending.retain(|(unit, answer)| match answer.try_recv() {
            Ok(file) => {
                done.push((*unit, file));
                false
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => true,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => false,
        });
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(relative: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(relative)
    }

    #[test]
    fn drawings_pictures_with_settings_and_models_are_told_apart() {
        let drawing = classify(&fixture("control/lineart_input.png"));
        assert!(matches!(drawing, DroppedFile::Picture { settings: None, .. }), "{drawing:?}");
        let checkpoint = classify(&fixture("parity/sd15-dev-fp16.safetensors"));
        assert!(matches!(checkpoint, DroppedFile::Model { kind: ModelKind::Checkpoint, .. }), "{checkpoint:?}");
        let controlnet = classify(&fixture("parity/controlnet-lineart-dev-fp16.safetensors"));
        assert!(matches!(controlnet, DroppedFile::Model { kind: ModelKind::ControlNet, .. }), "{controlnet:?}");
        assert!(matches!(classify(Path::new("notes.txt")), DroppedFile::Other { .. }));
    }

    #[test]
    fn a_picture_made_with_settings_offers_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("made.png");
        let mut record = crate::metadata::GenerationRecord::default();
        record.settings.prompt = "桜".into();
        let pixels = vec![0u8; 8 * 8 * 3];
        let image = crate::metadata::RgbImage { width: 8, height: 8, pixels: &pixels };
        crate::metadata::write_png_with_record(&path, image, &record).unwrap();
        match classify(&path) {
            DroppedFile::Picture { settings: Some(parsed), .. } => assert_eq!(parsed.record.settings.prompt, "桜"),
            other => panic!("{other:?}"),
        }
    }
}
