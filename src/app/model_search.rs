//! The models the model bar offers besides recent files: those found in the user's A1111, Forge,
//! ComfyUI and InvokeAI installs and in the folders they added. The scan stats folders and reads
//! safetensors headers, so it runs on its own thread and its answer arrives in a later frame.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};

use crate::app::service::{Waker, spawn_task};
use crate::model_library::{FoundModel, LineArtFlavour, ModelKind, SearchBases, folders_to_scan, scan};

/// Where installs are looked for: this user's folders, or (tests) given ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchPlaces {
    /// Home, Documents, Desktop, Downloads and drive roots, worked out on the scan thread (on Windows it
    /// probes drive letters, which may be slow).
    ThisSystem,
    Given(SearchBases),
}

/// The latest scan's result and the scan under way, if any.
pub struct ModelSearch {
    places: SearchPlaces,
    found: Vec<FoundModel>,
    unreadable: Vec<PathBuf>,
    running: Option<Receiver<crate::model_library::ScanOutcome>>,
}

impl ModelSearch {
    pub fn new(places: SearchPlaces) -> Self {
        Self { places, found: Vec::new(), unreadable: Vec::new(), running: None }
    }

    /// Starts a fresh scan of the known installs and `added` folders on the thread
    /// `nurie-model-search`; a scan still running is superseded (its answer is dropped). `waker` is
    /// called when the answer is ready.
    pub fn start(&mut self, added: &[PathBuf], waker: Waker) -> std::io::Result<()> {
        let places = self.places.clone();
        let added = added.to_vec();
        let receiver = spawn_task("model-search", waker, move || {
            let bases = match places {
                SearchPlaces::ThisSystem => SearchBases::of_this_system(),
                SearchPlaces::Given(bases) => bases,
            };
            scan(&folders_to_scan(&bases, &added))
        })?;
        self.running = Some(receiver);
        Ok(())
    }

    /// Takes the scan's answer when it has arrived; true when the list changed.
    pub fn poll(&mut self) -> bool {
        let Some(receiver) = &self.running else { return false };
        match receiver.try_recv() {
            Ok(outcome) => {
                self.running = None;
                self.found = outcome.models;
                self.unreadable = outcome.unreadable;
                true
            }
            Err(TryRecvError::Empty) => false,
            Err(TryRecvError::Disconnected) => {
                self.running = None;
                false
            }
        }
    }

    pub fn is_scanning(&self) -> bool {
        self.running.is_some()
    }

    /// Every model found, sorted by kind then file name.
    pub fn found(&self) -> &[FoundModel] {
        &self.found
    }

    /// Found models of `kind`, sorted by file name.
    pub fn of_kind(&self, kind: ModelKind) -> Vec<&FoundModel> {
        self.found.iter().filter(|m| m.kind == kind).collect()
    }

    /// Folders that exist but could not be read in the last scan.
    pub fn unreadable(&self) -> &[PathBuf] {
        &self.unreadable
    }

    /// The line-art ControlNet to preselect for new line art: the standard line-art model first (it
    /// suits most drawings), else the anime one.
    pub fn line_art_controlnet(&self) -> Option<&Path> {
        let line_art = |flavour| self.found.iter().find(|m| m.kind == ModelKind::ControlNet && m.line_art == Some(flavour));
        line_art(LineArtFlavour::Standard).or_else(|| line_art(LineArtFlavour::Anime)).map(|m| m.path.as_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait(search: &mut ModelSearch) {
        let start = Instant::now();
        while !search.poll() {
            assert!(start.elapsed() < Duration::from_secs(10), "scan did not finish");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn finds_models_in_an_a1111_install_and_an_added_folder() {
        let parent = tempfile::tempdir().expect("temp");
        let webui = parent.path().join("stable-diffusion-webui/models");
        std::fs::create_dir_all(webui.join("Stable-diffusion")).expect("dirs");
        std::fs::create_dir_all(webui.join("ControlNet")).expect("dirs");
        std::fs::write(webui.join("Stable-diffusion/anything.ckpt"), b"not read").expect("file");
        std::fs::write(webui.join("ControlNet/control_v11p_sd15s2_lineart_anime.pth"), b"x").expect("file");
        std::fs::write(webui.join("ControlNet/control_v11p_sd15_lineart.pth"), b"x").expect("file");
        let added = tempfile::tempdir().expect("temp");
        let added_vae = added.path().join("vae");
        std::fs::create_dir_all(&added_vae).expect("dirs");
        std::fs::write(added_vae.join("kl-f8.ckpt"), b"x").expect("file");

        let bases = SearchBases { parents: vec![parent.path().to_path_buf()], invokeai_root: None, downloads: vec![] };
        let mut search = ModelSearch::new(SearchPlaces::Given(bases));
        search.start(&[added.path().to_path_buf()], Waker::none()).expect("thread");
        assert!(search.is_scanning());
        wait(&mut search);

        let names = |kind| search.of_kind(kind).iter().map(|m| m.file_name.clone()).collect::<Vec<_>>();
        assert_eq!(names(ModelKind::Checkpoint), ["anything.ckpt"]);
        assert_eq!(names(ModelKind::Vae), ["kl-f8.ckpt"]);
        assert_eq!(names(ModelKind::ControlNet).len(), 2);
        let preselected = search.line_art_controlnet().expect("a line-art ControlNet");
        assert!(preselected.ends_with("control_v11p_sd15_lineart.pth"), "{preselected:?}");
        assert!(!search.is_scanning());
    }

    #[test]
    fn nothing_found_means_no_preselection() {
        let empty = tempfile::tempdir().expect("temp");
        let bases = SearchBases { parents: vec![empty.path().to_path_buf()], invokeai_root: None, downloads: vec![] };
        let mut search = ModelSearch::new(SearchPlaces::Given(bases));
        search.start(&[], Waker::none()).expect("thread");
        wait(&mut search);
        assert!(search.of_kind(ModelKind::Checkpoint).is_empty());
        assert_eq!(search.line_art_controlnet(), None);
    }
}
