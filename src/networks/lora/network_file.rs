//! Reading a LoRA file (`.safetensors`, or `.pt`/`.ckpt` through the safe reader) into its modules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::LoraError;
use super::key_names::{KeyProblem, ModuleName, split_key};
use super::module_weights::{Factor, HostTensor, ModuleWeights};
use crate::checkpoint::Checkpoint;
use crate::checkpoint::family::ModelFamily;

/// One module of a LoRA: which layer it changes, how, and its `alpha`.
#[derive(Debug, Clone)]
pub struct LoraModule {
    pub name: ModuleName,
    /// The module as the file names it, for messages.
    pub file_module: String,
    pub weights: ModuleWeights,
    pub alpha: Option<f32>,
}

impl LoraModule {
    /// The factor the weight change is multiplied by before the user's weight: alpha / rank.
    pub fn scale(&self) -> f32 {
        self.weights.scale(self.alpha)
    }
}

/// How the file names its modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoraLayout {
    /// `lora_unet_…`/`lora_te_…` (kohya's sd-scripts, LyCORIS, A1111's own).
    Kohya,
    /// `unet.…`/`text_encoder.…` (diffusers and PEFT).
    Diffusers,
}

/// A LoRA file read whole into host memory (LoRAs are small: tens of megabytes).
#[derive(Debug, Clone)]
pub struct LoraNetwork {
    pub path: PathBuf,
    pub layout: LoraLayout,
    pub modules: Vec<LoraModule>,
    /// The safetensors header's metadata (sd-scripts writes its training settings there).
    pub metadata: BTreeMap<String, String>,
}

impl LoraNetwork {
    /// Reads and checks a LoRA file: every tensor belongs to a module of a type Nurie applies, and the
    /// sizes within each module agree. Files for other families are refused by name.
    pub fn open(path: &Path) -> Result<Self, LoraError> {
        let file = Checkpoint::open(path)?;
        refuse_other_families(&file)?;
        let groups = group_by_module(&file)?;
        let modules = groups.into_iter().map(|(name, group)| read_module(&file, name, group)).collect::<Result<Vec<_>, _>>()?;
        let kohya = file.keys().any(|key| key.starts_with("lora_"));
        let layout = if kohya { LoraLayout::Kohya } else { LoraLayout::Diffusers };
        Ok(Self { path: path.to_path_buf(), layout, modules, metadata: file.file_metadata().clone() })
    }

    /// The module types in the file, e.g. "LoRA + LoCon".
    pub fn type_names(&self) -> String {
        let mut names: Vec<&str> = self.modules.iter().map(|module| module.weights.type_name()).collect();
        names.sort_unstable();
        names.dedup();
        names.join(" + ")
    }
}

fn refuse_other_families(file: &Checkpoint) -> Result<(), LoraError> {
    let path = file.path().to_path_buf();
    let base = file.file_metadata().get("ss_base_model_version").map(|base| base.to_lowercase()).unwrap_or_default();
    if base.contains("sdxl") {
        return Err(LoraError::OtherFamily { path, family: "SDXL" });
    }
    match ModelFamily::detect(file) {
        ModelFamily::Lora => Ok(()),
        other => Err(LoraError::NotALora { path, found: other.noun() }),
    }
}

/// A module's tensors: their names within the module → their keys in the file.
struct Group {
    file_module: String,
    tensors: BTreeMap<String, String>,
}

fn group_by_module(file: &Checkpoint) -> Result<BTreeMap<ModuleName, Group>, LoraError> {
    let path = || file.path().to_path_buf();
    let mut groups: BTreeMap<ModuleName, Group> = BTreeMap::new();
    for key in file.keys() {
        let split = match split_key(key) {
            Ok(split) => split,
            Err(KeyProblem::Sdxl) => return Err(LoraError::OtherFamily { path: path(), family: "SDXL" }),
            Err(KeyProblem::Sd2) => return Err(LoraError::OtherFamily { path: path(), family: "SD2.x" }),
            Err(KeyProblem::Unknown) => return Err(LoraError::UnknownKey { path: path(), key: key.to_string() }),
        };
        let group =
            groups.entry(split.module).or_insert_with(|| Group { file_module: split.file_module, tensors: BTreeMap::new() });
        group.tensors.insert(split.tensor, key.to_string());
    }
    Ok(groups)
}

fn read_module(file: &Checkpoint, name: ModuleName, group: Group) -> Result<LoraModule, LoraError> {
    let read = |tensor: &str| -> Result<Option<HostTensor>, LoraError> {
        group.tensors.get(tensor).map(|key| file.read_f32_finite(key)).transpose().map_err(LoraError::from)
    };
    let has = |tensor: &str| group.tensors.contains_key(tensor);
    let unsupported = |kind: &'static str| LoraError::UnsupportedModule {
        path: file.path().to_path_buf(),
        module: group.file_module.clone(),
        kind,
        tensors: group.tensors.keys().cloned().collect::<Vec<_>>().join(", "),
    };
    let required = |tensor: &str| read(tensor)?.ok_or_else(|| unsupported("incomplete"));
    let weights = if has("dora_scale") {
        return Err(unsupported("DoRA"));
    } else if has("lora_up.weight") || has("lora_down.weight") {
        ModuleWeights::LowRank {
            up: required("lora_up.weight")?,
            down: required("lora_down.weight")?,
            mid: read("lora_mid.weight")?,
        }
    } else if has("hada_w1_a") {
        ModuleWeights::Hadamard {
            w1a: required("hada_w1_a")?,
            w1b: required("hada_w1_b")?,
            w2a: required("hada_w2_a")?,
            w2b: required("hada_w2_b")?,
            t1: read("hada_t1")?,
            t2: read("hada_t2")?,
        }
    } else if has("lokr_w1") || has("lokr_w1_a") {
        let w1 = match read("lokr_w1")? {
            Some(w1) => Factor::Full(w1),
            None => Factor::Product { a: required("lokr_w1_a")?, b: required("lokr_w1_b")? },
        };
        ModuleWeights::Kronecker {
            w1,
            w2a: read("lokr_w2_a")?,
            w2b: read("lokr_w2_b")?,
            w2: read("lokr_w2")?,
            t2: read("lokr_t2")?,
        }
    } else if has("diff") {
        ModuleWeights::Full { diff: required("diff")? }
    } else if has("oft_blocks") || has("oft_diag") {
        return Err(unsupported("OFT"));
    } else if has("w_norm") || has("b_norm") {
        return Err(unsupported("norm"));
    } else if has("a1.weight") {
        return Err(unsupported("GLoRA"));
    } else {
        return Err(unsupported("unknown"));
    };
    weights.change_shape().map_err(|problem| LoraError::Inconsistent {
        path: file.path().to_path_buf(),
        module: group.file_module.clone(),
        problem,
    })?;
    let alpha = read("alpha")?.and_then(|alpha| alpha.values.first().copied());
    Ok(LoraModule { name, file_module: group.file_module, weights, alpha })
}
