//! A queued job → the engine's request: line art read and turned into hints, the init image resized,
//! every file hashed for the metadata (each model file once ever, see [`HashCache`]).

use std::path::{Path, PathBuf};

use crate::control::{load_rgb8, prepare_line_art};
use crate::generate::{ControlUnit, InitImage, ModelFiles, NoiseOverride, Provenance, Request};
use crate::metadata::ModelRef;
use crate::model::ClipSkip;
use crate::provenance::hash::file_name;
use crate::provenance::{HashCache as ModelHashes, Registry, license_of};

use super::messages::{ErrorKind, JobSpec, WorkerError};

/// Hashes of files already read, each again only when it changes: drawings once per session, model
/// files once ever (kept in Nurie's home); and the known-models registry, for the license each picture
/// records.
#[derive(Debug)]
pub struct HashCache {
    drawings: ModelHashes,
    models: ModelHashes,
    registry: Registry,
}

impl HashCache {
    pub fn new(home: &Path) -> Self {
        Self { drawings: ModelHashes::in_memory(), models: ModelHashes::in_home(home), registry: Registry::load(home).0 }
    }

    /// The SHA-256 of a line art or img2img picture; `None` when it cannot be read.
    fn drawing_sha256(&mut self, path: &Path) -> Option<String> {
        self.drawings.identity_now(path).ok().map(|identity| identity.sha256)
    }

    fn model_ref(&mut self, path: &Path) -> Result<ModelRef, WorkerError> {
        let identity = self.models.identity_now(path).map_err(|e| model_error(e.to_string()))?;
        Ok(identity.model_ref(file_name(path)))
    }

    /// The license of a model file already hashed by [`Self::model_ref`].
    fn license(&self, path: &Path) -> Option<String> {
        let identity = self.models.cached(path)?;
        license_of(path, &identity, &self.registry).map(|license| license.name)
    }
}

fn model_error(message: String) -> WorkerError {
    WorkerError { kind: ErrorKind::Model, message }
}

fn image_error(message: String) -> WorkerError {
    WorkerError { kind: ErrorKind::Image, message }
}

/// The model files a job needs: its checkpoint and VAE, and each distinct ControlNet once.
pub fn model_files(spec: &JobSpec) -> ModelFiles {
    let mut controlnets: Vec<PathBuf> = Vec::new();
    for unit in &spec.units {
        if !controlnets.contains(&unit.controlnet) {
            controlnets.push(unit.controlnet.clone());
        }
    }
    ModelFiles { checkpoint: spec.models.checkpoint.clone(), vae: spec.models.vae.clone(), controlnets }
}

/// Builds the request for `spec` with `files` (from [`model_files`]) and what the metadata records.
pub fn prepare(spec: &JobSpec, files: &ModelFiles, hashes: &mut HashCache) -> Result<(Request, Provenance), WorkerError> {
    let mut provenance = Provenance { model: hashes.model_ref(&spec.models.checkpoint)?, ..Provenance::default() };
    provenance.model_license = hashes.license(&spec.models.checkpoint);
    if let Some(vae) = &spec.models.vae {
        provenance.vae = Some(hashes.model_ref(vae)?);
    }
    let mut control = Vec::new();
    for unit in &spec.units {
        let art = load_rgb8(&unit.line_art).map_err(|e| image_error(format!("the line art: {e}")))?;
        let prepared = prepare_line_art(&art, unit.settings, spec.width as u32, spec.height as u32)
            .map_err(|e| image_error(format!("the line art {}: {e}", unit.line_art.display())))?;
        let line_art_hash = hashes.drawing_sha256(&unit.line_art);
        provenance.units.push((hashes.model_ref(&unit.controlnet)?, line_art_hash, unit.settings, prepared.black_on_white));
        control.push(ControlUnit {
            controlnet: files.controlnets.iter().position(|p| p == &unit.controlnet).unwrap_or(0),
            hint: prepared.hint,
            weight: unit.weight,
            start: unit.start,
            end: unit.end,
            mode: unit.mode,
        });
    }
    let init_image = match &spec.init_image {
        Some(init) => {
            let picture = load_rgb8(&init.image).map_err(|e| image_error(format!("the img2img picture: {e}")))?;
            let (w, h) = (spec.width as u32, spec.height as u32);
            let rgb = image::imageops::resize(&picture, w, h, image::imageops::FilterType::Lanczos3);
            provenance.init_image_sha256 = hashes.drawing_sha256(&init.image);
            Some(InitImage { rgb, strength: init.strength })
        }
        None => None,
    };
    let request = Request {
        prompt: spec.prompt.clone(),
        negative_prompt: spec.negative_prompt.clone(),
        sampler: spec.sampler,
        steps: spec.steps,
        cfg_scale: spec.cfg_scale,
        seed: spec.seed,
        rng: spec.rng,
        eta_noise_seed_delta: spec.eta_noise_seed_delta,
        clip_skip: ClipSkip(spec.clip_skip.max(1)),
        width: spec.width,
        height: spec.height,
        batch_count: spec.batch_count,
        control,
        init_image,
        noise: NoiseOverride::default(),
    };
    request.validate(files.controlnets.len()).map_err(|e| WorkerError { kind: ErrorKind::Settings, message: e.to_string() })?;
    Ok((request, provenance))
}
