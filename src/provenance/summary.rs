//! What a model file is made of, read from its keys, shapes and header alone (no tensor is decoded):
//! family, the components present with their parameter counts, element types, inpainting, the text
//! encoder's key layout, and what the file says about itself (safetensors `__metadata__`).

use std::collections::BTreeMap;

use crate::checkpoint::Checkpoint;
use crate::checkpoint::family::ModelFamily;
use crate::checkpoint::layout::TextEncoderLayout;

/// The parts of a model file, by key prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    Unet,
    Vae,
    TextEncoder,
    /// The exponential moving average copy of the UNet (`model_ema.`), used by training only.
    Ema,
    ControlNet,
    Lora,
    Other,
}

impl Component {
    pub fn name(self) -> &'static str {
        match self {
            Self::Unet => "UNet",
            Self::Vae => "VAE",
            Self::TextEncoder => "text encoder",
            Self::Ema => "EMA weights",
            Self::ControlNet => "ControlNet",
            Self::Lora => "LoRA",
            Self::Other => "other",
        }
    }

    /// The component a key of a file of `family` belongs to.
    fn of(key: &str, family: ModelFamily) -> Component {
        match family {
            ModelFamily::Lora => return Component::Lora,
            ModelFamily::ControlNet => return Component::ControlNet,
            ModelFamily::Vae => return Component::Vae,
            _ => {}
        }
        if key.starts_with("model.diffusion_model.") {
            Component::Unet
        } else if key.starts_with("first_stage_model.") {
            Component::Vae
        } else if key.starts_with("cond_stage_model.") || key.starts_with("text_model.") || key.starts_with("conditioner.") {
            Component::TextEncoder
        } else if key.starts_with("model_ema.") {
            Component::Ema
        } else if key.starts_with("control_model.") {
            Component::ControlNet
        } else {
            Component::Other
        }
    }
}

/// Tensors and parameters of one component.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub tensors: usize,
    pub parameters: u64,
}

/// Fields a file declares about itself (the modelspec standard's, kohya's training notes, or plain
/// `license`/`author` keys). What a file says is shown as said, never as established.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Declared {
    pub title: Option<String>,
    pub author: Option<String>,
    pub license: Option<String>,
    pub description: Option<String>,
    pub architecture: Option<String>,
    pub training_notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ArchitectureSummary {
    pub family: ModelFamily,
    pub components: BTreeMap<Component, Counts>,
    /// Element type name (`f16`) → parameters stored in it.
    pub dtypes: BTreeMap<String, u64>,
    /// A 9-channel UNet input (image + mask + masked image latents).
    pub inpainting: bool,
    pub text_encoder_layout: Option<TextEncoderLayout>,
    pub declared: Declared,
    /// Every `__metadata__` field, as stored.
    pub file_metadata: BTreeMap<String, String>,
}

const UNET_INPUT: &str = "model.diffusion_model.input_blocks.0.0.weight";

impl ArchitectureSummary {
    pub fn of(checkpoint: &Checkpoint) -> Self {
        let family = ModelFamily::detect(checkpoint);
        let mut components: BTreeMap<Component, Counts> = BTreeMap::new();
        let mut dtypes: BTreeMap<String, u64> = BTreeMap::new();
        for key in checkpoint.keys() {
            let Some(entry) = checkpoint.entry(key) else { continue };
            let parameters = entry.numel() as u64;
            let counts = components.entry(Component::of(key, family)).or_default();
            counts.tensors += 1;
            counts.parameters += parameters;
            *dtypes.entry(entry.element.name().to_string()).or_default() += parameters;
        }
        let inpainting = checkpoint.shape(UNET_INPUT).is_ok_and(|shape| shape.get(1) == Some(&9));
        let text_encoder_layout = TextEncoderLayout::detect(checkpoint).ok();
        let file_metadata = checkpoint.file_metadata().clone();
        let declared = declared(&file_metadata);
        ArchitectureSummary { family, components, dtypes, inpainting, text_encoder_layout, declared, file_metadata }
    }

    pub fn parameters(&self, component: Component) -> u64 {
        self.components.get(&component).map_or(0, |counts| counts.parameters)
    }

    /// The text encoder keys are laid out as in NovelAI's model (no `text_model.` level). The leaked
    /// NovelAI v1 model has this layout, and so do merges that took their text encoder from it; other
    /// tools can produce it too, so it is a hint, never proof.
    pub fn nai_style_text_encoder(&self) -> bool {
        self.text_encoder_layout == Some(TextEncoderLayout::NaiStyle)
    }
}

fn declared(fields: &BTreeMap<String, String>) -> Declared {
    let first = |names: &[&str]| names.iter().find_map(|name| fields.get(*name)).filter(|v| !v.trim().is_empty()).cloned();
    Declared {
        title: first(&["modelspec.title", "title", "ss_output_name"]),
        author: first(&["modelspec.author", "author"]),
        license: first(&["modelspec.license", "license"]),
        description: first(&["modelspec.description", "description"]),
        architecture: first(&["modelspec.architecture", "ss_base_model_version"]),
        training_notes: first(&["ss_training_comment", "modelspec.usage_hint", "training_notes"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
    }

    #[test]
    fn the_dev_checkpoint_has_a_unet_vae_and_text_encoder_in_fp16() {
        let checkpoint = Checkpoint::open(fixture("parity/sd15-dev-fp16.safetensors")).unwrap();
        let summary = ArchitectureSummary::of(&checkpoint);
        assert_eq!(summary.family, ModelFamily::Sd1);
        for component in [Component::Unet, Component::Vae, Component::TextEncoder] {
            assert!(summary.parameters(component) > 0, "{component:?}");
        }
        assert_eq!(summary.parameters(Component::Ema), 2, "no EMA weights, only its decay and update counter");
        let total: u64 = summary.components.values().map(|c| c.parameters).sum();
        assert_eq!(summary.dtypes.values().sum::<u64>(), total);
        assert!(summary.dtypes.contains_key("f16"));
        assert!(!summary.inpainting);
        assert_eq!(summary.text_encoder_layout, Some(TextEncoderLayout::Ldm));
        assert!(!summary.nai_style_text_encoder());
    }

    #[test]
    fn a_controlnet_is_one_component() {
        let checkpoint = Checkpoint::open(fixture("parity/controlnet-lineart-dev-fp16.safetensors")).unwrap();
        let summary = ArchitectureSummary::of(&checkpoint);
        assert_eq!(summary.family, ModelFamily::ControlNet);
        assert_eq!(summary.components.keys().copied().collect::<Vec<_>>(), [Component::ControlNet]);
    }

    #[test]
    fn declared_fields_prefer_modelspec() {
        let fields: BTreeMap<String, String> = [
            ("modelspec.title", "My merge"),
            ("title", "ignored"),
            ("license", "CreativeML OpenRAIL-M"),
            ("modelspec.author", "aki"),
            ("ss_training_comment", "trained on my own drawings"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let declared = declared(&fields);
        assert_eq!(declared.title.as_deref(), Some("My merge"));
        assert_eq!(declared.license.as_deref(), Some("CreativeML OpenRAIL-M"));
        assert_eq!(declared.author.as_deref(), Some("aki"));
        assert_eq!(declared.training_notes.as_deref(), Some("trained on my own drawings"));
        assert_eq!(declared.description, None);
    }
}
