//! Merging LoRAs into the text encoder and the UNet, and taking them out again.
//!
//! Each merge starts from the weights as loaded (every changed layer keeps them, see
//! [`crate::model::merge::Pristine`]): the changes of all LoRAs to a layer are summed in f32, each
//! times its user weight and its alpha / rank, and added to the loaded weight once. So a new set
//! of LoRAs, or new weights, never builds on the last one's rounding, and an empty set gives back
//! the loaded weights bit for bit. Nothing is read from the checkpoint file again.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use burn::tensor::Tensor;

use super::delta::weight_change;
use super::error::LoraError;
use super::key_names::{Component, ModuleName};
use super::network_file::LoraNetwork;
use crate::model::merge::{MergeTarget, MergeTargets};

/// A LoRA and the weights a prompt gives it (`<lora:NAME:TE:UNET>`).
#[derive(Debug, Clone)]
pub struct WeightedLora {
    pub network: Arc<LoraNetwork>,
    pub text_encoder: f32,
    pub unet: f32,
    /// `dyn=N`: only the first N ranks of each low-rank module (A1111's dynamic dimension).
    pub dyn_dim: Option<usize>,
}

impl WeightedLora {
    fn multiplier(&self, component: Component) -> f32 {
        match component {
            Component::TextEncoder => self.text_encoder,
            Component::Unet => self.unet,
        }
    }
}

/// What a merge did: layers changed, and modules of the files that named no layer of this model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeReport {
    pub layers_changed: usize,
    /// (file, module as the file names it) for modules left out.
    pub unmatched: Vec<(String, String)>,
}

/// Sets the text encoder's and the UNet's weights to the loaded ones plus `loras` (none: the loaded
/// weights). Checks every module against its layer first, so on an error nothing has changed.
pub fn merge_loras(
    text_encoder: &mut dyn MergeTargets,
    unet: &mut dyn MergeTargets,
    loras: &[WeightedLora],
) -> Result<MergeReport, LoraError> {
    let wanted = modules_by_layer(loras);
    let mut found = BTreeSet::new();
    check_layers(text_encoder, Component::TextEncoder, &wanted, loras, &mut found)?;
    check_layers(unet, Component::Unet, &wanted, loras, &mut found)?;
    let report = report_unmatched(loras, &found)?;
    let layers_changed =
        merge_into(text_encoder, Component::TextEncoder, &wanted, loras) + merge_into(unet, Component::Unet, &wanted, loras);
    Ok(MergeReport { layers_changed, ..report })
}

/// Restores every layer of `model` and merges the changes `wanted` names; the number of layers changed.
fn merge_into(model: &mut dyn MergeTargets, component: Component, wanted: &Uses, loras: &[WeightedLora]) -> usize {
    let mut layers_changed = 0;
    model.for_each_target(&mut |target| {
        target.restore();
        let name = ModuleName::from_model_path(component, target.module_path());
        if let Some(change) = wanted.get(&name).and_then(|uses| summed_change(uses, loras, component, target)) {
            target.merge(change);
            layers_changed += 1;
        }
    });
    layers_changed
}

/// (LoRA index, module index) of every module, by the layer it changes.
type Uses = BTreeMap<ModuleName, Vec<(usize, usize)>>;

fn modules_by_layer(loras: &[WeightedLora]) -> Uses {
    let mut uses = Uses::new();
    for (l, lora) in loras.iter().enumerate() {
        for (m, module) in lora.network.modules.iter().enumerate() {
            uses.entry(module.name.clone()).or_default().push((l, m));
        }
    }
    uses
}

/// Checks that every module naming a layer of `model` has that layer's shape; records the names found.
fn check_layers(
    model: &mut dyn MergeTargets,
    component: Component,
    wanted: &Uses,
    loras: &[WeightedLora],
    found: &mut BTreeSet<ModuleName>,
) -> Result<(), LoraError> {
    let mut problem = None;
    model.for_each_target(&mut |target| {
        let name = ModuleName::from_model_path(component, target.module_path());
        let Some(uses) = wanted.get(&name) else { return };
        found.insert(name);
        let shape = target.torch_shape();
        let flat = [shape[0], shape[1..].iter().product()];
        for &(l, m) in uses {
            let module = &loras[l].network.modules[m];
            match module.weights.change_shape() {
                Ok(change) if change == flat => {}
                Ok(change) => {
                    problem.get_or_insert_with(|| LoraError::WrongShape {
                        path: loras[l].network.path.clone(),
                        module: module.file_module.clone(),
                        lora: change,
                        model: shape.clone(),
                    });
                }
                Err(inconsistency) => {
                    problem.get_or_insert_with(|| LoraError::Inconsistent {
                        path: loras[l].network.path.clone(),
                        module: module.file_module.clone(),
                        problem: inconsistency,
                    });
                }
            }
        }
    });
    problem.map_or(Ok(()), Err)
}

/// The modules that named no layer; an error when one LoRA matched nothing at all.
fn report_unmatched(loras: &[WeightedLora], found: &BTreeSet<ModuleName>) -> Result<MergeReport, LoraError> {
    let mut report = MergeReport::default();
    for lora in loras {
        let missing: Vec<&str> = lora
            .network
            .modules
            .iter()
            .filter(|module| !found.contains(&module.name))
            .map(|module| module.file_module.as_str())
            .collect();
        if !lora.network.modules.is_empty() && missing.len() == lora.network.modules.len() {
            return Err(LoraError::NothingMatched { path: lora.network.path.clone(), count: missing.len() });
        }
        let file = lora.network.path.display().to_string();
        report.unmatched.extend(missing.into_iter().map(|module| (file.clone(), module.to_string())));
    }
    Ok(report)
}

/// Σ weight · alpha/rank · change over the modules changing one layer, [out, in·kh·kw] f32; `None`
/// when every weight is zero (the layer keeps its loaded weight).
fn summed_change(
    uses: &[(usize, usize)],
    loras: &[WeightedLora],
    component: Component,
    target: &dyn MergeTarget,
) -> Option<Tensor<2>> {
    let device = target.device();
    uses.iter()
        .filter_map(|&(l, m)| {
            let multiplier = loras[l].multiplier(component);
            let module = &loras[l].network.modules[m];
            (multiplier != 0.0).then(|| weight_change(&module.weights, loras[l].dyn_dim, multiplier * module.scale(), &device))
        })
        .reduce(|sum, change| sum + change)
}
