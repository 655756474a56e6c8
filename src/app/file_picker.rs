//! Native file dialogs (rfd) that never block a frame: each dialog runs on its own thread and the
//! chosen path comes back through a channel.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

/// What a picked file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Checkpoint,
    Vae,
    ControlNet(usize),
    LineArt(usize),
    InitImage,
    OutputFolder,
    ModelFolder,
    /// A folder of pictures to index in the history.
    HistoryFolder,
    /// "Save as…" of gallery picture `n`.
    SaveAs(usize),
    /// The base model of a composition analysis.
    CompositionBase,
    /// A reference model of a composition analysis.
    CompositionReference,
}

const MODEL_EXTENSIONS: &[&str] = &["safetensors", "ckpt", "pt", "pth"];
const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp", "bmp"];

pub struct FilePicker {
    sender: Sender<(Purpose, Option<PathBuf>)>,
    receiver: Receiver<(Purpose, Option<PathBuf>)>,
    open: Option<Purpose>,
}

impl Default for FilePicker {
    fn default() -> Self {
        let (sender, receiver) = channel();
        Self { sender, receiver, open: None }
    }
}

impl FilePicker {
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Opens the dialog for `purpose` unless one is already open; `suggested_name` is for "save as".
    pub fn open(&mut self, purpose: Purpose, suggested_name: Option<String>, wake: impl Fn() + Send + 'static) {
        if self.open.is_some() {
            return;
        }
        self.open = Some(purpose);
        let sender = self.sender.clone();
        let spawned = std::thread::Builder::new().name("nurie-file-dialog".into()).spawn(move || {
            let dialog = dialog_for(purpose, suggested_name);
            let picked = pollster::block_on(async {
                match purpose {
                    Purpose::OutputFolder | Purpose::ModelFolder | Purpose::HistoryFolder => dialog.pick_folder().await,
                    Purpose::SaveAs(_) => dialog.save_file().await,
                    _ => dialog.pick_file().await,
                }
            });
            let _ = sender.send((purpose, picked.map(|handle| handle.path().to_path_buf())));
            wake();
        });
        if spawned.is_err() {
            self.open = None;
        }
    }

    /// The dialog's answer, once the user closed it.
    pub fn poll(&mut self) -> Option<(Purpose, Option<PathBuf>)> {
        let answer = self.receiver.try_recv().ok()?;
        self.open = None;
        Some(answer)
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
        Purpose::LineArt(_) | Purpose::InitImage => dialog.add_filter("Images", IMAGE_EXTENSIONS),
        Purpose::SaveAs(_) => dialog.add_filter("PNG", &["png"]),
        Purpose::OutputFolder | Purpose::ModelFolder | Purpose::HistoryFolder => dialog,
    };
    match suggested_name {
        Some(name) => dialog.set_file_name(name),
        None => dialog,
    }
}
