//! Canonical key naming of SD1.x single-file checkpoints.
//!
//! Nurie names every module by the original LDM single-file keys. The only part of an SD1.x file whose
//! keys vary in the wild is the CLIP text encoder: the original layout nests it under
//! `cond_stage_model.transformer.text_model.`, while NovelAI-derived files (and the merges made from
//! them) drop the `text_model.` level. A standalone text-encoder file in the transformers layout uses
//! `text_model.`. Each layout is found by the presence of its token-embedding key, never by file name.

use super::family::ModelFamily;
use super::{Checkpoint, CheckpointError, Result};

/// Where the CLIP text encoder's tensors live in a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextEncoderLayout {
    /// `cond_stage_model.transformer.text_model.*` — the original SD1.x single-file layout.
    Ldm,
    /// `cond_stage_model.transformer.*` — the NovelAI-style layout without `text_model`.
    NaiStyle,
    /// `text_model.*` — a standalone transformers `CLIPTextModel` file.
    Transformers,
}

impl TextEncoderLayout {
    pub const ALL: [TextEncoderLayout; 3] = [Self::Ldm, Self::NaiStyle, Self::Transformers];

    /// Key prefix of the text encoder's modules (`embeddings.`, `encoder.`, `final_layer_norm.`).
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Ldm => "cond_stage_model.transformer.text_model.",
            Self::NaiStyle => "cond_stage_model.transformer.",
            Self::Transformers => "text_model.",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Ldm => "original LDM layout",
            Self::NaiStyle => "NovelAI-style layout (no `text_model`)",
            Self::Transformers => "transformers CLIPTextModel layout",
        }
    }

    /// Finds which layout a checkpoint uses, or says clearly that it has no SD1.x text encoder.
    pub fn detect(checkpoint: &Checkpoint) -> Result<Self> {
        let found = Self::ALL.into_iter().find(|layout| checkpoint.contains(&format!("{}{TOKEN_EMBEDDING}", layout.prefix())));
        found.ok_or_else(|| CheckpointError::MissingComponent {
            path: checkpoint.path().to_path_buf(),
            component: "CLIP text encoder",
            key: format!("{}{TOKEN_EMBEDDING}", Self::Ldm.prefix()),
            hint: ModelFamily::detect(checkpoint).hint(),
        })
    }
}

const TOKEN_EMBEDDING: &str = "embeddings.token_embedding.weight";
