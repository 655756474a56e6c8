//! Native file dialogs (rfd) that never block a frame: each dialog runs on its own thread
//! (`nurie-file-dialog`) and the chosen path comes back through a channel.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;

use crate::app::service::{Waker, spawn_task};
use crate::layered::LayeredFormat;

/// What a picked file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Checkpoint,
    Vae,
    ControlNet(usize),
    LineArt(usize),
    /// The picture of reference unit `n`.
    ReferencePicture(usize),
    InitImage,
    /// An inpainting mask for the img2img picture.
    Mask,
    OutputFolder,
    ModelFolder,
    LoraFolder,
    EmbeddingFolder,
    /// A folder of pictures to index in the history.
    HistoryFolder,
    /// A chapter's folder of drawings, for Pages.
    ChapterFolder,
    /// "Save as…" of gallery picture `n`.
    SaveAs(usize),
    /// Where to write the layered file of the picture in the export dialog.
    ExportLayers(LayeredFormat),
    /// The base model of a composition analysis.
    CompositionBase,
    /// A reference model of a composition analysis.
    CompositionReference,
}

const MODEL_EXTENSIONS: &[&str] = &["safetensors", "ckpt", "pt", "pth"];
const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp", "bmp"];

/// The open dialog, if any: what it is for, and where its answer arrives.
#[derive(Default)]
pub struct FilePicker {
    open: Option<(Purpose, Receiver<Option<PathBuf>>)>,
}

impl FilePicker {
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Opens the dialog for `purpose` unless one is already open; `suggested_name` is for "save as".
    pub fn open(&mut self, purpose: Purpose, suggested_name: Option<String>, waker: Waker) {
        self.open_in(purpose, None, suggested_name, waker);
    }

    /// As [`FilePicker::open`], starting in `folder` (a layered file is saved beside its picture).
    pub fn open_in(&mut self, purpose: Purpose, folder: Option<PathBuf>, suggested_name: Option<String>, waker: Waker) {
        if self.open.is_some() {
            return;
        }
        let answer = spawn_task("file-dialog", waker, move || {
            let dialog = dialog_for(purpose, suggested_name);
            let dialog = match folder {
                Some(folder) => dialog.set_directory(folder),
                None => dialog,
            };
            let picked = pollster::block_on(async {
                match purpose {
                    Purpose::OutputFolder
                    | Purpose::ModelFolder
                    | Purpose::LoraFolder
                    | Purpose::EmbeddingFolder
                    | Purpose::HistoryFolder
                    | Purpose::ChapterFolder => dialog.pick_folder().await,
                    Purpose::SaveAs(_) | Purpose::ExportLayers(_) => dialog.save_file().await,
                    _ => dialog.pick_file().await,
                }
            });
            picked.map(|handle| handle.path().to_path_buf())
        });
        // Without a thread there is no dialog; the button simply does nothing.
        self.open = answer.ok().map(|answer| (purpose, answer));
    }

    /// The dialog's answer, once the user closed it.
    pub fn poll(&mut self) -> Option<(Purpose, Option<PathBuf>)> {
        let (purpose, answer) = self.open.as_ref()?;
        let picked = answer.try_recv().ok()?;
        let purpose = *purpose;
        self.open = None;
        Some((purpose, picked))
    }
}

fn dialog_for(purpose: Purpose, suggested_name: Option<String>) -> rfd::AsyncFileDialog {
    let dialog = rfd::AsyncFileDialog::new();
    let dialog = match purpose {
        Purpose::Checkpoint
        | Purpose::Vae
        | Purpose::ControlNet(_)
        | Purpose::CompositionBase
        | Purpose::CompositionReference => dialog.add_filter("Models", MODEL_EXTENSIONS),
        Purpose::LineArt(_) | Purpose::ReferencePicture(_) | Purpose::InitImage | Purpose::Mask => {
            dialog.add_filter("Images", IMAGE_EXTENSIONS)
        }
        Purpose::SaveAs(_) => dialog.add_filter("PNG", &["png"]),
        Purpose::ExportLayers(LayeredFormat::Psd) => dialog.add_filter("PSD", &["psd"]),
        Purpose::ExportLayers(LayeredFormat::Ora) => dialog.add_filter("OpenRaster", &["ora"]),
        Purpose::OutputFolder
        | Purpose::ModelFolder
        | Purpose::LoraFolder
        | Purpose::EmbeddingFolder
        | Purpose::HistoryFolder
        | Purpose::ChapterFolder => dialog,
    };
    match suggested_name {
        Some(name) => dialog.set_file_name(name),
        None => dialog,
    }
}
