//! The networks one generation uses, loaded once and kept for many generations.

use std::path::{Path, PathBuf};

use burn::tensor::{DType, Device};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::model::{ClipTextEncoder, ControlNet, Unet, Vae};
use crate::networks::lora::{LoraError, MergeReport, WeightedLora, merge_loras};

/// Which files to load: a checkpoint, optionally a separate VAE, and any ControlNets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelFiles {
    pub checkpoint: PathBuf,
    pub vae: Option<PathBuf>,
    pub controlnets: Vec<PathBuf>,
}

/// Loaded networks on one device.
pub struct Models {
    pub text_encoder: ClipTextEncoder,
    pub unet: Unet,
    pub vae: Vae,
    pub controlnets: Vec<ControlNet>,
    pub dtype: DType,
    /// The LoRAs merged into the text encoder and the UNet now.
    merged_loras: Vec<WeightedLora>,
}

/// A model that failed to load, and which part of the request it was.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("loading the {part} from {path}: {source}")]
    Model { part: &'static str, path: PathBuf, source: Box<CheckpointError> },
}

/// Wraps a checkpoint error with the part being loaded and its file.
fn at<'p>(part: &'static str, path: &'p Path) -> impl FnOnce(CheckpointError) -> LoadError + 'p {
    move |source| LoadError::Model { part, path: path.to_path_buf(), source: Box::new(source) }
}

impl Models {
    /// Loads every network of `files` on `device`, computing in `dtype` (the VAE always runs in f32).
    /// `progress` hears the name of each part before it loads.
    pub fn load(files: &ModelFiles, device: &Device, dtype: DType, mut progress: impl FnMut(&str)) -> Result<Self, LoadError> {
        let checkpoint = Checkpoint::open(&files.checkpoint).map_err(at("checkpoint", &files.checkpoint))?;
        progress("UNet");
        let unet = Unet::load(&checkpoint, device, dtype).map_err(at("UNet", &files.checkpoint))?;
        progress("text encoder");
        let text_encoder = ClipTextEncoder::load(&checkpoint, device, dtype).map_err(at("text encoder", &files.checkpoint))?;
        progress("VAE");
        let vae = match &files.vae {
            Some(path) => Vae::load(&Checkpoint::open(path).map_err(at("VAE", path))?, device, dtype).map_err(at("VAE", path))?,
            None => Vae::load(&checkpoint, device, dtype).map_err(at("VAE", &files.checkpoint))?,
        };
        let mut controlnets = Vec::with_capacity(files.controlnets.len());
        for path in &files.controlnets {
            progress("ControlNet");
            let file = Checkpoint::open(path).map_err(at("ControlNet", path))?;
            controlnets.push(ControlNet::load(&file, device, dtype).map_err(at("ControlNet", path))?);
        }
        Ok(Self { text_encoder, unet, vae, controlnets, dtype, merged_loras: Vec::new() })
    }

    /// Merges exactly `loras` into the text encoder and the UNet (none: the weights as loaded), in
    /// place of what was merged before; nothing to do when they are what is merged now. On an error
    /// the weights are left as they were.
    pub fn apply_loras(&mut self, loras: &[WeightedLora]) -> Result<MergeReport, LoraError> {
        let same = |a: &WeightedLora, b: &WeightedLora| {
            std::sync::Arc::ptr_eq(&a.network, &b.network) && (a.text_encoder, a.unet) == (b.text_encoder, b.unet)
        };
        if loras.len() == self.merged_loras.len() && loras.iter().zip(&self.merged_loras).all(|(a, b)| same(a, b)) {
            return Ok(MergeReport::default());
        }
        let report = merge_loras(&mut self.text_encoder, &mut self.unet, loras)?;
        self.merged_loras = loras.to_vec();
        Ok(report)
    }

    /// The LoRAs merged now.
    pub fn merged_loras(&self) -> &[WeightedLora] {
        &self.merged_loras
    }
}
