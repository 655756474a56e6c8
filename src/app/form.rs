//! The generation settings as the user edits them, and how they become a queued job.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::control::LineArtSettings;
use crate::generate::{ControlMode, nearest_multiple_of_8};
use crate::sampling::SamplerKind;
use crate::sampling::noise::{RngSource, random_seed};

use super::worker::{InitSpec, JobSpec, ModelSelection, UnitSpec};

/// The seed value that asks for a fresh random seed, as in A1111.
pub const RANDOM_SEED: i64 = -1;

/// One line-art unit in the panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnitForm {
    pub enabled: bool,
    pub line_art: Option<PathBuf>,
    pub controlnet: Option<PathBuf>,
    pub settings: LineArtSettings,
    pub weight: f32,
    pub start: f32,
    pub end: f32,
    pub mode: ControlMode,
}

impl Default for UnitForm {
    /// sd-webui-controlnet's defaults: weight 1, the whole schedule, Balanced.
    fn default() -> Self {
        Self {
            enabled: true,
            line_art: None,
            controlnet: None,
            settings: LineArtSettings::default(),
            weight: 1.0,
            start: 0.0,
            end: 1.0,
            mode: ControlMode::Balanced,
        }
    }
}

/// img2img in the panel: a picture and how much to change it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InitForm {
    pub image: Option<PathBuf>,
    pub strength: f32,
}

impl Default for InitForm {
    fn default() -> Self {
        Self { image: None, strength: 0.75 }
    }
}

/// Every setting of the next generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerationForm {
    pub prompt: String,
    pub negative_prompt: String,
    pub sampler: SamplerKind,
    pub steps: u32,
    pub cfg_scale: f32,
    /// [`RANDOM_SEED`] or a seed in [0, 2³²−1].
    pub seed: i64,
    pub rng: RngSource,
    pub ensd: u64,
    pub clip_skip: u32,
    pub width: u32,
    pub height: u32,
    pub batch_count: u32,
    pub units: Vec<UnitForm>,
    pub init: InitForm,
}

impl Default for GenerationForm {
    fn default() -> Self {
        Self {
            prompt: String::new(),
            negative_prompt: "lowres, bad anatomy, worst quality".into(),
            sampler: SamplerKind::Dpmpp2mKarras,
            steps: 20,
            cfg_scale: 7.0,
            seed: RANDOM_SEED,
            rng: RngSource::Nv,
            ensd: 0,
            clip_skip: 1,
            width: 512,
            height: 512,
            batch_count: 1,
            units: vec![UnitForm::default()],
            init: InitForm::default(),
        }
    }
}

/// What keeps the form from becoming a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    NoCheckpoint,
    /// Unit `n` (0-based) is enabled but lacks its line art or its ControlNet.
    UnitIncomplete(usize),
}

/// Size presets for SD1.5 (width, height).
pub const SIZE_PRESETS: [(u32, u32); 6] = [(512, 512), (512, 768), (768, 512), (640, 896), (896, 640), (768, 768)];

impl GenerationForm {
    /// The job for these settings; `seed` is the resolved seed (a random one for [`RANDOM_SEED`]).
    pub fn to_spec(&self, models: ModelSelection, output_folder: PathBuf, seed: u64) -> Result<JobSpec, FormProblem> {
        if models.checkpoint.as_os_str().is_empty() {
            return Err(FormProblem::NoCheckpoint);
        }
        let mut units = Vec::new();
        for (index, unit) in self.units.iter().enumerate().filter(|(_, u)| u.enabled) {
            let (Some(line_art), Some(controlnet)) = (&unit.line_art, &unit.controlnet) else {
                // An empty unit (nothing dropped yet) is simply not used.
                if unit.line_art.is_none() {
                    continue;
                }
                return Err(FormProblem::UnitIncomplete(index));
            };
            units.push(UnitSpec {
                controlnet: controlnet.clone(),
                line_art: line_art.clone(),
                settings: unit.settings,
                weight: unit.weight,
                start: unit.start,
                end: unit.end,
                mode: unit.mode,
            });
        }
        let init_image = self.init.image.clone().map(|image| InitSpec { image, strength: self.init.strength });
        Ok(JobSpec {
            models,
            prompt: self.prompt.clone(),
            negative_prompt: self.negative_prompt.clone(),
            sampler: self.sampler,
            steps: self.steps.max(1) as usize,
            cfg_scale: self.cfg_scale,
            seed,
            rng: self.rng,
            eta_noise_seed_delta: self.ensd,
            clip_skip: self.clip_skip.max(1) as usize,
            width: nearest_multiple_of_8(self.width) as usize,
            height: nearest_multiple_of_8(self.height) as usize,
            batch_count: self.batch_count.max(1) as usize,
            units,
            init_image,
            output_folder,
        })
    }

    /// The seed a job uses: the form's, or a fresh random one in A1111's range.
    pub fn resolve_seed(&self) -> u64 {
        if self.seed >= 0 { self.seed as u64 } else { random_seed() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{DeviceChoice, Precision};

    fn models(checkpoint: &str) -> ModelSelection {
        ModelSelection { checkpoint: checkpoint.into(), vae: None, device: DeviceChoice::Cpu, precision: Precision::F32 }
    }

    #[test]
    fn a_form_becomes_a_job_with_only_the_units_that_have_line_art() {
        let mut form = GenerationForm { width: 510, height: 770, ..GenerationForm::default() };
        form.units[0].line_art = Some("art.png".into());
        form.units[0].controlnet = Some("cn.safetensors".into());
        form.units.push(UnitForm::default());
        let spec = form.to_spec(models("m.safetensors"), "out".into(), 42).unwrap();
        assert_eq!((spec.width, spec.height, spec.seed), (512, 768, 42));
        assert_eq!(spec.units.len(), 1);
        assert_eq!(spec.units[0].line_art, PathBuf::from("art.png"));
    }

    #[test]
    fn missing_pieces_are_named() {
        let form = GenerationForm::default();
        assert_eq!(form.to_spec(models(""), "out".into(), 1), Err(FormProblem::NoCheckpoint));
        let mut form = GenerationForm::default();
        form.units[0].line_art = Some("art.png".into());
        assert_eq!(form.to_spec(models("m"), "out".into(), 1), Err(FormProblem::UnitIncomplete(0)));
    }

    #[test]
    fn seeds_resolve_to_the_given_one_or_a_random_one_in_range() {
        let fixed = GenerationForm { seed: 1234, ..GenerationForm::default() };
        assert_eq!(fixed.resolve_seed(), 1234);
        let random = GenerationForm::default();
        assert!((0..100).map(|_| random.resolve_seed()).all(|s| s < 4_294_967_295));
    }

    #[test]
    fn the_form_survives_json_and_old_files_missing_fields() {
        let form = GenerationForm { prompt: "線画, 1girl".into(), ..GenerationForm::default() };
        let json = serde_json::to_string(&form).unwrap();
        assert_eq!(serde_json::from_str::<GenerationForm>(&json).unwrap(), form);
        let partial: GenerationForm = serde_json::from_str(r#"{"steps": 30}"#).unwrap();
        assert_eq!((partial.steps, partial.cfg_scale), (30, 7.0));
    }
}
