//! The generation settings as the user edits them, how they become a plan, and how a picture's record
//! fills them in again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::control::LineArtSettings;
use crate::generate::{Plan, ReferencePlan, UnitPlan, nearest_multiple_of_8};
use crate::metadata::{ControlGuidance, DEFAULT_DENOISING_STRENGTH, GenerationRecord, GenerationSettings, ReferenceSettings};
use crate::sampling::noise::random_seed;
use crate::vocabulary::{Choice, Preprocessor, RngSource};

/// One line-art unit in the panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnitForm {
    pub enabled: bool,
    pub line_art: Option<PathBuf>,
    pub controlnet: Option<PathBuf>,
    pub line_art_settings: LineArtSettings,
    #[serde(flatten)]
    pub guidance: ControlGuidance,
}

impl Default for UnitForm {
    fn default() -> Self {
        Self {
            enabled: true,
            line_art: None,
            controlnet: None,
            line_art_settings: LineArtSettings::default(),
            guidance: ControlGuidance::default(),
        }
    }
}

/// One reference unit in the panel: a picture whose look the pictures share.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferenceForm {
    pub enabled: bool,
    pub picture: Option<PathBuf>,
    #[serde(flatten)]
    pub settings: ReferenceSettings,
}

/// Every setting of the next generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerationForm {
    /// The settings (`settings.seed` is the seed used when `random_seed` is off).
    #[serde(flatten)]
    pub settings: GenerationSettings,
    /// Each job draws a fresh seed (A1111's seed −1).
    pub random_seed: bool,
    pub units: Vec<UnitForm>,
    /// Reference units (none by default).
    pub references: Vec<ReferenceForm>,
    /// The characters of the library chosen for the next pictures (by name): each adds its reference
    /// unit.
    pub characters: Vec<String>,
    /// img2img: the picture to start from (the settings' denoising strength says how much changes).
    pub init_image: Option<PathBuf>,
}

impl Default for GenerationForm {
    fn default() -> Self {
        let settings = GenerationSettings {
            negative_prompt: "lowres, bad anatomy, worst quality".into(),
            rng: RngSource::Nv,
            denoising_strength: Some(DEFAULT_DENOISING_STRENGTH),
            ..GenerationSettings::default()
        };
        Self {
            settings,
            random_seed: true,
            units: vec![UnitForm::default()],
            references: vec![],
            characters: vec![],
            init_image: None,
        }
    }
}

/// What keeps the form from becoming a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    NoCheckpoint,
    /// Unit `n` (0-based) is enabled but lacks its ControlNet.
    UnitIncomplete(usize),
}

/// Size presets for SD1.5 (width, height).
pub const SIZE_PRESETS: [(u32, u32); 6] = [(512, 512), (512, 768), (768, 512), (640, 896), (896, 640), (768, 768)];

impl GenerationForm {
    /// The plan for these settings on `checkpoint` (and `vae`), with `seed` as the first picture's seed
    /// (see [`GenerationForm::resolve_seed`]). Sizes are snapped to multiples of 8.
    pub fn to_plan(&self, checkpoint: Option<&Path>, vae: Option<&Path>, seed: u64) -> Result<Plan, FormProblem> {
        let checkpoint = checkpoint.filter(|path| !path.as_os_str().is_empty()).ok_or(FormProblem::NoCheckpoint)?;
        let mut units = Vec::new();
        for (index, unit) in self.units.iter().enumerate().filter(|(_, unit)| unit.enabled) {
            // An empty unit (nothing dropped yet) is simply not used.
            let Some(line_art) = &unit.line_art else { continue };
            let controlnet = unit.controlnet.clone().ok_or(FormProblem::UnitIncomplete(index))?;
            units.push(UnitPlan {
                controlnet,
                line_art: line_art.clone(),
                line_art_settings: unit.line_art_settings,
                guidance: unit.guidance,
            });
        }
        let settings = GenerationSettings {
            seed,
            steps: self.settings.steps.max(1),
            width: nearest_multiple_of_8(self.settings.width),
            height: nearest_multiple_of_8(self.settings.height),
            batch_size: self.settings.batch_size.max(1),
            clip_skip: self.settings.clip_skip.max(1),
            ..self.settings.clone()
        };
        Ok(Plan {
            settings,
            checkpoint: checkpoint.to_path_buf(),
            vae: vae.map(Path::to_path_buf),
            units,
            // An enabled unit without a picture (nothing dropped yet) is simply not used. The chosen
            // characters' units are added by the window, which holds the library.
            references: self
                .references
                .iter()
                .filter(|unit| unit.enabled)
                .filter_map(|unit| Some(ReferencePlan { picture: unit.picture.clone()?, settings: unit.settings }))
                .collect(),
            init_image: self.init_image.clone(),
            mask: None,
            // The window's hints are painted, not a file: the worker keeps them and fills this in.
            color_hints: None,
        })
    }

    /// The seed a job uses: the form's, or a fresh random one in A1111's range.
    pub fn resolve_seed(&self) -> u64 {
        if self.random_seed { random_seed() } else { self.settings.seed }
    }

    /// This form with the settings of `record` (a gallery or history picture, or a pasted infotext):
    /// every setting the record has, its own seed, and each unit's guidance, preprocessor and resize
    /// mode, and each reference unit's settings. The line art, the reference pictures, the models, the
    /// batch count and the img2img picture stay as they are.
    pub fn from_record(record: &GenerationRecord, current: &GenerationForm) -> GenerationForm {
        let mut form = current.clone();
        form.settings = GenerationSettings {
            batch_size: current.settings.batch_size,
            denoising_strength: record.settings.denoising_strength.or(current.settings.denoising_strength),
            ..record.settings.clone()
        };
        form.random_seed = false;
        for (unit, saved) in form.units.iter_mut().zip(&record.controlnets) {
            unit.guidance = saved.guidance;
            unit.line_art_settings.resize_mode = saved.resize_mode;
            if let Some(preprocessor) = Preprocessor::find(&saved.module) {
                unit.line_art_settings.preprocessor = preprocessor;
            }
        }
        for (unit, saved) in form.references.iter_mut().zip(&record.references) {
            unit.settings = saved.settings;
        }
        form
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::ControlNetUnit;
    use crate::vocabulary::{ControlMode, RecordedSampler, ResizeMode, SamplerKind};

    fn checkpoint() -> Option<&'static Path> {
        Some(Path::new("m.safetensors"))
    }

    #[test]
    fn a_form_becomes_a_plan_with_only_the_units_that_have_line_art() {
        let mut form = GenerationForm::default();
        (form.settings.width, form.settings.height) = (510, 770);
        form.units[0].line_art = Some("art.png".into());
        form.units[0].controlnet = Some("cn.safetensors".into());
        form.units.push(UnitForm::default());
        let plan = form.to_plan(checkpoint(), None, 42).unwrap();
        assert_eq!((plan.settings.width, plan.settings.height, plan.settings.seed), (512, 768, 42));
        assert_eq!(plan.units.len(), 1);
        assert_eq!(plan.units[0].line_art, PathBuf::from("art.png"));
    }

    #[test]
    fn missing_pieces_are_named() {
        let form = GenerationForm::default();
        assert_eq!(form.to_plan(None, None, 1), Err(FormProblem::NoCheckpoint));
        assert_eq!(form.to_plan(Some(Path::new("")), None, 1), Err(FormProblem::NoCheckpoint));
        let mut form = GenerationForm::default();
        form.units[0].line_art = Some("art.png".into());
        assert_eq!(form.to_plan(checkpoint(), None, 1), Err(FormProblem::UnitIncomplete(0)));
    }

    #[test]
    fn seeds_resolve_to_the_given_one_or_a_random_one_in_range() {
        let mut fixed = GenerationForm { random_seed: false, ..GenerationForm::default() };
        fixed.settings.seed = 1234;
        assert_eq!(fixed.resolve_seed(), 1234);
        let random = GenerationForm::default();
        assert!((0..100).map(|_| random.resolve_seed()).all(|s| s < 4_294_967_295));
    }

    #[test]
    fn the_form_survives_json_and_old_files_missing_fields() {
        let mut form = GenerationForm::default();
        form.settings.prompt = "線画, 1girl".into();
        let json = serde_json::to_string(&form).unwrap();
        assert_eq!(serde_json::from_str::<GenerationForm>(&json).unwrap(), form);
        let partial: GenerationForm = serde_json::from_str(r#"{"steps": 30}"#).unwrap();
        assert_eq!((partial.settings.steps, partial.settings.cfg_scale), (30, 7.0));
    }

    #[test]
    fn a_record_fills_the_form_but_keeps_files_and_batch() {
        let mut current = GenerationForm::default();
        current.settings.batch_size = 4;
        current.units[0].line_art = Some("mine.png".into());
        let settings = GenerationSettings {
            prompt: "桜".into(),
            sampler: SamplerKind::EulerA.into(),
            seed: 77,
            ensd: 31337,
            batch_size: 2,
            ..GenerationSettings::default()
        };
        let unit = ControlNetUnit {
            module: "threshold".into(),
            guidance: ControlGuidance { weight: 0.6, control_mode: ControlMode::PromptMoreImportant, ..Default::default() },
            resize_mode: ResizeMode::JustResize,
            ..Default::default()
        };
        let record = GenerationRecord { settings, controlnets: vec![unit], ..GenerationRecord::default() };
        let form = GenerationForm::from_record(&record, &current);
        assert_eq!((form.settings.prompt.as_str(), form.settings.seed, form.settings.ensd), ("桜", 77, 31337));
        assert_eq!(form.settings.sampler, RecordedSampler::Known(SamplerKind::EulerA));
        assert!(!form.random_seed);
        assert_eq!(form.settings.batch_size, 4, "the batch count is the user's");
        assert_eq!(form.settings.denoising_strength, current.settings.denoising_strength);
        let unit = &form.units[0];
        assert_eq!(unit.line_art.as_deref(), Some(Path::new("mine.png")));
        assert_eq!((unit.guidance.weight, unit.guidance.control_mode), (0.6, ControlMode::PromptMoreImportant));
        assert_eq!(unit.line_art_settings.preprocessor, Preprocessor::Binarize);
        assert_eq!(unit.line_art_settings.resize_mode, ResizeMode::JustResize);
    }
}
