//! A generation as files and settings ([`Plan`]), and the one step that turns it into what the engine
//! runs ([`Resolver::resolve`]): model files hashed (each once ever, see [`HashCache`]), the
//! checkpoint's license looked up, line art read and turned into hints, the img2img picture resized.
//! The window's worker and `nurie generate` both go through it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use crate::control::{ControlError, LineArtSettings, fit_rgba_nearest, fit_to_size, load_rgb8, load_rgba8, prepare_line_art};
use crate::flats::{FlatsSettings, line_art_from_rgb};
use crate::hints::{ColorGuide, HintsError, spread_hints};
use crate::metadata::{
    ControlGuidance, DEFAULT_DENOISING_STRENGTH, DEFAULT_HINT_STRENGTH, DEFAULT_HIRES_DENOISING_STRENGTH, GenerationSettings,
    ModelRef, NetworkKind, NetworkUse, ReferenceSettings,
};
use crate::networks::embedding::{EmbeddingError, EmbeddingLibrary};
use crate::networks::lookup::FolderLookup;
use crate::networks::lora::{LoraError, LoraLibrary, WeightedLora, loras_in_prompt};
use crate::prompt::extra_networks::parse_prompt;
use crate::prompt::{ClipTokenizer, PromptEmbeddings, prompt_pair_chunks_with, used_embeddings};
use crate::provenance::hash::file_name;
use crate::provenance::{HashCache, HashError, NetworkCheck, Registry, check_networks, license_of};
use crate::upscale::{Resample, UpscaleError, UpscalerChoice, resize, upscaler_folders};
use crate::vocabulary::{Polarity, ResizeMode};

use super::models::ModelFiles;
use super::record::{Provenance, UnitProvenance};
use crate::inpaint::{CropRegion, InpaintError, load_mask, prepare_inpaint, resize_and_fill};

use super::request::{
    ControlUnit, HiresPass, HiresUpscale, InitImage, InpaintMask, NoiseOverride, ReferenceUnit, Request, RequestError,
    validate_settings,
};

/// One generation at the level of files: the settings, and the paths of everything they apply to.
/// Serializable, so a job can be kept or handed over as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The first picture's seed is resolved already (no "random" here).
    pub settings: GenerationSettings,
    pub checkpoint: PathBuf,
    /// A separate VAE that replaces the checkpoint's.
    pub vae: Option<PathBuf>,
    pub units: Vec<UnitPlan>,
    /// Reference units: pictures whose look the generation shares.
    #[serde(default)]
    pub references: Vec<ReferencePlan>,
    /// img2img: the picture to start from (resized to the generation size); the settings' denoising
    /// strength says how much of it changes.
    pub init_image: Option<PathBuf>,
    /// Inpainting: the mask of the img2img picture, white (or opaque) where it is redrawn; the settings'
    /// `inpaint` says how.
    #[serde(default)]
    pub mask: Option<PathBuf>,
    /// Color hints: an RGBA picture, transparent where nothing is painted, placed on the generation as
    /// the first unit's line art is; the settings' hint strength says how long they hold.
    #[serde(default)]
    pub color_hints: Option<PathBuf>,
}

/// One line-art unit of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitPlan {
    pub controlnet: PathBuf,
    pub line_art: PathBuf,
    pub line_art_settings: LineArtSettings,
    pub guidance: ControlGuidance,
}

/// One reference unit of a plan: its picture (fitted to the generation size by cropping, as
/// sd-webui-controlnet's default "Crop and Resize") and how it acts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferencePlan {
    pub picture: PathBuf,
    pub settings: ReferenceSettings,
}

impl Plan {
    /// The model files the plan needs: its checkpoint and VAE, and each distinct ControlNet once, in
    /// the order the units first name them.
    pub fn model_files(&self) -> ModelFiles {
        let mut controlnets: Vec<PathBuf> = Vec::new();
        for unit in &self.units {
            if !controlnets.contains(&unit.controlnet) {
                controlnets.push(unit.controlnet.clone());
            }
        }
        ModelFiles { checkpoint: self.checkpoint.clone(), vae: self.vae.clone(), controlnets }
    }
}

/// A plan made ready to run: the request, what its pictures' metadata records, the files to load and
/// the LoRAs its prompt names, read (merge them with [`super::Models::apply_loras`]).
#[derive(Debug)]
pub struct Resolved {
    pub request: Request,
    pub provenance: Provenance,
    pub files: ModelFiles,
    pub loras: Vec<WeightedLora>,
}

/// Why a plan cannot run. Each names the file or the setting to change.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// A model file could not be read to identify it.
    #[error("{0}")]
    Model(#[from] HashError),
    #[error("the line art: {0}")]
    LineArt(#[source] ControlError),
    #[error("the line art {path}: {source}")]
    LineArtSize { path: PathBuf, source: ControlError },
    #[error("the img2img picture: {0}")]
    InitImage(#[source] ControlError),
    #[error("the reference picture {path}: {source}")]
    Reference { path: PathBuf, source: ControlError },
    #[error("the color hints: {0}")]
    HintsFile(#[source] ControlError),
    #[error("the color hints {path}: {source}")]
    Hints { path: PathBuf, source: HintsError },
    #[error("{0}")]
    Request(#[from] RequestError),
    #[error("{0}")]
    Lora(#[from] LoraError),
    #[error("a textual-inversion embedding of the prompts: {0}")]
    Embedding(#[from] EmbeddingError),
    #[error("the CLIP tokenizer: {0}")]
    Tokenizer(String),
    #[error("hires fix's upscaler: {0}")]
    HiresUpscaler(#[from] UpscaleError),
    #[error("{0}")]
    Inpaint(#[from] InpaintError),
    #[error("a mask was given without the picture it masks: give the picture with --init-image")]
    MaskWithoutPicture,
    #[error("color hints do not combine with \"only masked\" inpainting: inpaint the whole picture, or leave the hints out")]
    HintsInMaskedRegion,
}

/// Turns plans into requests, remembering what it hashed: model files once ever (in Nurie's home),
/// drawings once per run; and the known-models registry, for the license each picture records.
#[derive(Debug)]
pub struct Resolver {
    models: HashCache,
    drawings: HashCache,
    registry: Registry,
    loras: LoraLibrary,
    embeddings: Arc<EmbeddingLibrary>,
    /// The user's own upscaler folders, looked in before the installs' (hires fix).
    upscaler_folders: Vec<PathBuf>,
}

impl Resolver {
    /// A resolver on Nurie's `home` (its hash cache and the user's known-models file).
    pub fn in_home(home: &Path) -> Self {
        let (models, drawings, registry) = (HashCache::in_home(home), HashCache::in_memory(), Registry::load(home).0);
        Self { models, drawings, registry, loras: LoraLibrary::default(), embeddings: Arc::default(), upscaler_folders: vec![] }
    }

    /// Looks for hires fix's upscalers in `folders` first, then in the installs' upscaler folders.
    pub fn with_upscaler_folders(mut self, folders: &[PathBuf]) -> Self {
        self.upscaler_folders = folders.to_vec();
        self
    }

    /// Looks for the prompts' embedding names in `folders` (listed now; a name found again in a later
    /// folder replaces the earlier one, as in A1111).
    pub fn with_embedding_folders(mut self, folders: &[PathBuf]) -> Self {
        self.set_embedding_folders(folders);
        self
    }

    /// Looks for embeddings in `folders` from now on. They are listed again on every call (a walk of
    /// small folders; the files themselves are read when a prompt names them), so an embedding saved
    /// since the last generation is found, as A1111 finds it.
    pub fn set_embedding_folders(&mut self, folders: &[PathBuf]) {
        self.embeddings = Arc::new(EmbeddingLibrary::scan(folders));
    }

    /// Which of a picture's LoRAs and embeddings are in this computer's folders, by name or by hash.
    pub fn check_networks(&mut self, networks: &[NetworkUse]) -> Vec<NetworkCheck> {
        check_networks(networks, &FolderLookup::new(&self.loras, &self.embeddings, &mut self.models))
    }

    /// The embeddings both prompts use, with their files' hashes (A1111's `TI hashes`). The text
    /// encoder's width is checked when the generation encodes them.
    fn used_embeddings(&mut self, settings: &GenerationSettings) -> Result<Vec<NetworkUse>, ResolveError> {
        if self.embeddings.is_empty() {
            return Ok(Vec::new());
        }
        let tokenizer = ClipTokenizer::shared().map_err(|e| ResolveError::Tokenizer(e.to_string()))?;
        let embeddings = PromptEmbeddings::for_clip(&self.embeddings, None, tokenizer);
        let prompt = parse_prompt(&settings.prompt).text;
        let (positive, negative) = prompt_pair_chunks_with(tokenizer, &prompt, &settings.negative_prompt, Some(&embeddings))?;
        let mut uses = Vec::new();
        for embedding in used_embeddings(&[positive, negative].concat()) {
            // An embedding made in memory (tests) has no file to hash.
            let Some(path) = embedding.path() else { continue };
            let hashes = self.models.network_hashes(path, &mut |_, _| {}, &AtomicBool::new(false))?;
            uses.push(hashes.network_use(NetworkKind::Embedding, embedding.name()));
        }
        Ok(uses)
    }

    /// Looks for the prompt's LoRAs in `folders` (earlier folders first).
    pub fn with_lora_folders(mut self, folders: Vec<PathBuf>) -> Self {
        self.loras = LoraLibrary::new(folders);
        self
    }

    /// The LoRA folders and their files, for the window's browser.
    pub fn lora_library(&mut self) -> &mut LoraLibrary {
        &mut self.loras
    }

    /// The request and provenance for `plan`, checked as far as it can be without the models.
    pub fn resolve(&mut self, plan: &Plan) -> Result<Resolved, ResolveError> {
        // Before any file is read: a size from a downloaded picture's metadata must not make the line
        // art be resized to 65536² pixels, nor a bad setting wait for the models to be hashed.
        validate_settings(&plan.settings)?;
        let files = plan.model_files();
        let mut provenance = self.model_provenance(plan)?;
        let (init_image, region) = match (&plan.init_image, &plan.mask) {
            (Some(path), mask) => {
                provenance.init_image_sha256 = self.drawing_sha256(path);
                provenance.mask_sha256 = mask.as_deref().and_then(|mask| self.drawing_sha256(mask));
                let (init, region) = init_image(path, mask.as_deref(), &plan.settings)?;
                (Some(init), region)
            }
            (None, Some(_)) => return Err(ResolveError::MaskWithoutPicture),
            (None, None) => (None, None),
        };
        let mut control = Vec::with_capacity(plan.units.len());
        for unit in &plan.units {
            let (unit, from) = self.unit(unit, &plan.settings, &files, region.as_ref())?;
            control.push(unit);
            provenance.units.push(from);
        }
        let hires = self.hires_pass(plan)?;
        let reference = plan.references.iter().map(|unit| reference_unit(unit, &plan.settings)).collect::<Result<_, _>>()?;
        provenance.reference_pictures = plan.references.iter().map(|unit| self.drawing_sha256(&unit.picture)).collect();
        let color_guide = match &plan.color_hints {
            Some(_) if region.is_some() => return Err(ResolveError::HintsInMaskedRegion),
            Some(path) => {
                provenance.color_hints_sha256 = self.drawing_sha256(path);
                Some(color_guide(path, plan, &control)?)
            }
            None => None,
        };
        let mut settings = plan.settings.clone();
        settings.denoising_strength = match (&init_image, &hires) {
            (Some(_), _) => Some(settings.denoising_strength.unwrap_or(DEFAULT_DENOISING_STRENGTH)),
            (None, Some(_)) => Some(settings.denoising_strength.unwrap_or(DEFAULT_HIRES_DENOISING_STRENGTH)),
            (None, None) => None,
        };
        match (&mut settings.hires, &hires) {
            (Some(recorded), Some(HiresPass { upscale: HiresUpscale::Picture(UpscalerChoice::File(file)), .. })) => {
                // A file given by its path is recorded by its name, as A1111 names its upscalers.
                recorded.upscaler = file.name.clone();
            }
            (_, None) => settings.hires = None,
            _ => {}
        }
        settings.inpaint = plan.mask.as_ref().map(|_| settings.inpaint.unwrap_or_default());
        settings.hint_strength = color_guide.as_ref().map(|_| settings.hint_strength.unwrap_or(DEFAULT_HINT_STRENGTH));
        let uses = loras_in_prompt(&settings.prompt)?;
        let loras = self.loras.weighted(&uses)?;
        for (used, lora) in uses.iter().zip(&loras) {
            if !provenance.networks.iter().any(|known| known.kind == NetworkKind::Lora && known.name == used.name) {
                let hashes = self.models.network_hashes(&lora.network.path, &mut |_, _| {}, &AtomicBool::new(false))?;
                provenance.networks.push(hashes.network_use(NetworkKind::Lora, used.name.clone()));
            }
        }
        let embeddings = Some(self.embeddings.clone());
        provenance.networks.extend(self.used_embeddings(&settings)?);
        let noise = NoiseOverride::default();
        let request = Request { settings, control, reference, init_image, noise, embeddings, color_guide, hires };
        request.validate(files.controlnets.len())?;
        Ok(Resolved { request, provenance, files, loras })
    }

    fn model_provenance(&mut self, plan: &Plan) -> Result<Provenance, ResolveError> {
        let identity = self.models.identity_now(&plan.checkpoint)?;
        let model_license = license_of(&plan.checkpoint, &identity, &self.registry).map(|license| license.name);
        let model = identity.model_ref(file_name(&plan.checkpoint));
        let vae = plan.vae.as_deref().map(|vae| self.model_ref(vae)).transpose()?;
        Ok(Provenance { model, vae, model_license, ..Provenance::default() })
    }

    fn model_ref(&mut self, path: &Path) -> Result<ModelRef, ResolveError> {
        Ok(self.models.identity_now(path)?.model_ref(file_name(path)))
    }

    /// The SHA-256 of a line art or img2img picture; `None` when it cannot be read again.
    fn drawing_sha256(&mut self, path: &Path) -> Option<String> {
        self.drawings.identity_now(path).ok().map(|identity| identity.sha256)
    }

    /// Hires fix's second pass: its upscaler found, and each unit's line art made into a hint again at the
    /// second pass's size.
    fn hires_pass(&mut self, plan: &Plan) -> Result<Option<HiresPass>, ResolveError> {
        let Some(hires) = &plan.settings.hires else { return Ok(None) };
        let upscale = HiresUpscale::named(&hires.upscaler, &upscaler_folders(&self.upscaler_folders))?;
        let (width, height) = hires.size(plan.settings.width, plan.settings.height);
        let mut hints = Vec::with_capacity(plan.units.len());
        for unit in &plan.units {
            let art = load_rgb8(&unit.line_art).map_err(ResolveError::LineArt)?;
            let prepared = prepare_line_art(&art, unit.line_art_settings, width, height)
                .map_err(|source| ResolveError::LineArtSize { path: unit.line_art.clone(), source })?;
            hints.push(prepared.hint);
        }
        Ok(Some(HiresPass { upscale, hints }))
    }

    /// A line-art unit with its hint; with "only masked" inpainting, the line art is placed over the
    /// whole picture and cut out as the picture is (sd-webui-controlnet's "crop input image").
    fn unit(
        &mut self,
        unit: &UnitPlan,
        settings: &GenerationSettings,
        files: &ModelFiles,
        region: Option<&MaskedRegion>,
    ) -> Result<(ControlUnit, UnitProvenance), ResolveError> {
        let art = load_rgb8(&unit.line_art).map_err(ResolveError::LineArt)?;
        let art = match region {
            Some(region) => region.cut_out(&art, unit.line_art_settings.resize_mode, [settings.width, settings.height])?,
            None => art,
        };
        let prepared = prepare_line_art(&art, unit.line_art_settings, settings.width, settings.height)
            .map_err(|source| ResolveError::LineArtSize { path: unit.line_art.clone(), source })?;
        let from = UnitProvenance {
            controlnet: self.model_ref(&unit.controlnet)?,
            line_art_sha256: self.drawing_sha256(&unit.line_art),
            line_art_settings: unit.line_art_settings,
            line_art_inverted: prepared.black_on_white,
        };
        let controlnet = files.controlnets.iter().position(|path| path == &unit.controlnet).unwrap_or_default();
        Ok((ControlUnit { controlnet, hint: prepared.hint, guidance: unit.guidance }, from))
    }
}

/// The color hints spread into the areas of the first unit's line art (as the ControlNet sees it), at
/// the generation size; placed as that unit's line art is (stretched without a unit).
fn color_guide(path: &Path, plan: &Plan, control: &[ControlUnit]) -> Result<ColorGuide, ResolveError> {
    let hints = load_rgba8(path).map_err(ResolveError::HintsFile)?;
    let (width, height) = (plan.settings.width, plan.settings.height);
    let mode = plan.units.first().map_or(ResizeMode::JustResize, |unit| unit.line_art_settings.resize_mode);
    let placed = fit_rgba_nearest(&hints, mode, width, height);
    let line_art = control.first().map(|unit| line_art_from_rgb(&unit.hint.to_rgb8(), Polarity::WhiteOnBlack));
    spread_hints(&placed, line_art.as_ref(), &FlatsSettings::default())
        .map_err(|source| ResolveError::Hints { path: path.to_path_buf(), source })
}

/// The img2img picture at the generation size (Pillow's Lanczos, as A1111 resizes it; as it is when it has
/// that size already); with a mask, prepared for inpainting, and with "only masked" the region redrawn.
fn init_image(
    path: &Path,
    mask_path: Option<&Path>,
    settings: &GenerationSettings,
) -> Result<(InitImage, Option<MaskedRegion>), ResolveError> {
    let picture = load_rgb8(path).map_err(ResolveError::InitImage)?;
    let size = [settings.width, settings.height];
    let Some(mask_path) = mask_path else {
        return Ok((InitImage::whole(resize(&picture, size[0], size[1], Resample::Lanczos)?), None));
    };
    let mask = load_mask(mask_path)?;
    let prepared = prepare_inpaint(&picture, &mask, &settings.inpaint.unwrap_or_default(), size, mask_path)?;
    let region = prepared.region.map(|region| MaskedRegion { region, picture_size: [picture.width(), picture.height()] });
    let mask = InpaintMask { mask: prepared.mask, overlay: prepared.overlay };
    Ok((InitImage { rgb: prepared.init, mask: Some(mask) }, region))
}

/// "Only masked": where in the picture the generation is, to cut line art out the same way.
struct MaskedRegion {
    region: CropRegion,
    picture_size: [u32; 2],
}

impl MaskedRegion {
    /// `art` placed over the picture as its unit places it over a generation, then cut out and fitted
    /// to the generation size as the picture was.
    fn cut_out(
        &self,
        art: &image::RgbImage,
        mode: ResizeMode,
        [width, height]: [u32; 2],
    ) -> Result<image::RgbImage, ResolveError> {
        let placed = fit_to_size(art, mode, self.picture_size[0], self.picture_size[1]);
        Ok(resize_and_fill(&self.region.crop(&placed), width, height)?)
    }
}

/// A reference unit's picture, cropped and resized to the generation size.
fn reference_unit(unit: &ReferencePlan, settings: &GenerationSettings) -> Result<ReferenceUnit, ResolveError> {
    let picture = load_rgb8(&unit.picture).map_err(|source| ResolveError::Reference { path: unit.picture.clone(), source })?;
    let image = fit_to_size(&picture, ResizeMode::CropAndResize, settings.width, settings.height);
    Ok(ReferenceUnit { image, settings: unit.settings })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(controlnet: &str) -> UnitPlan {
        UnitPlan {
            controlnet: controlnet.into(),
            line_art: "art.png".into(),
            line_art_settings: LineArtSettings::default(),
            guidance: ControlGuidance::default(),
        }
    }

    #[test]
    fn each_controlnet_is_loaded_once_in_the_order_named() {
        let plan = Plan {
            settings: GenerationSettings::default(),
            checkpoint: "m.safetensors".into(),
            vae: None,
            units: vec![unit("b.pth"), unit("a.pth"), unit("b.pth")],
            references: vec![],
            init_image: None,
            mask: None,
            color_hints: None,
        };
        let files = plan.model_files();
        assert_eq!(files.controlnets, [PathBuf::from("b.pth"), PathBuf::from("a.pth")]);
    }

    #[test]
    fn a_plan_survives_json() {
        let plan = Plan {
            settings: GenerationSettings { prompt: "線画, 1girl".into(), seed: 42, ..GenerationSettings::default() },
            checkpoint: "m.safetensors".into(),
            vae: Some("v.pt".into()),
            units: vec![unit("cn.pth")],
            references: vec![],
            init_image: Some("start.png".into()),
            mask: Some("mask.png".into()),
            color_hints: Some("hints.png".into()),
        };
        let json = serde_json::to_string(&plan).unwrap();
        assert_eq!(serde_json::from_str::<Plan>(&json).unwrap(), plan);
    }

    #[test]
    fn a_missing_model_file_is_named() {
        let home = tempfile::tempdir().unwrap();
        let missing = home.path().join("gone.safetensors");
        let plan = Plan {
            settings: GenerationSettings::default(),
            checkpoint: missing.clone(),
            vae: None,
            units: vec![],
            references: vec![],
            init_image: None,
            mask: None,
            color_hints: None,
        };
        let error = Resolver::in_home(home.path()).resolve(&plan).unwrap_err();
        assert!(matches!(error, ResolveError::Model(_)), "{error}");
        assert!(error.to_string().contains("gone.safetensors"), "{error}");
    }
}
