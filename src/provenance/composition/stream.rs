//! Reading the files for a composition estimate: every file is opened and checked first (family, keys,
//! shapes: headers only), then the tensors are read one key at a time from all files together.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::checkpoint::family::ModelFamily;
use crate::checkpoint::layout::TextEncoderLayout;
use crate::checkpoint::{Checkpoint, ElementType};
use crate::provenance::hash::file_name;

use super::blocks::{Block, Group, block_of, canonical_key, key_in_file};
use super::least_squares::Accumulator;
use super::{Composition, CompositionError, GroupResult, Level};

/// Parameters compared so far, of all there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalysisProgress {
    pub done: u64,
    pub total: u64,
}

/// Estimates the composition of `target` from `references`, relative to `base` (see the module docs
/// of [`super`]).
pub fn analyze(
    target: &Path,
    base: &Path,
    references: &[PathBuf],
    progress: &mut dyn FnMut(AnalysisProgress),
    cancel: &AtomicBool,
) -> Result<Composition, CompositionError> {
    if references.is_empty() {
        return Err(CompositionError::NoReferences);
    }
    let target = Model::open(target)?;
    let base = Model::open(base)?;
    let references = references.iter().map(|path| Model::open(path)).collect::<Result<Vec<_>, _>>()?;
    let plan = plan(&target, &base, &references)?;
    let total = plan.iter().map(|item| item.parameters).sum();
    let mut blocks: BTreeMap<Block, Accumulator> = BTreeMap::new();
    let mut done = 0;
    for item in &plan {
        if cancel.load(Ordering::Relaxed) {
            return Err(CompositionError::Cancelled);
        }
        for model in std::iter::once(&target).chain(std::iter::once(&base)).chain(&references) {
            model.check_unchanged()?;
        }
        let target_values = target.read(&item.canonical)?;
        let base_values = base.read(&item.canonical)?;
        let reference_values = references.iter().map(|model| model.read(&item.canonical)).collect::<Result<Vec<_>, _>>()?;
        let slices: Vec<&[f32]> = reference_values.iter().map(Vec::as_slice).collect();
        blocks.entry(item.block).or_insert_with(|| Accumulator::new(references.len())).add(&target_values, &base_values, &slices);
        done += item.parameters;
        progress(AnalysisProgress { done, total });
    }
    for (index, model) in references.iter().enumerate() {
        let moved: f64 = blocks.values().map(|acc| acc.gram[index * references.len() + index]).sum();
        if moved == 0.0 {
            return Err(CompositionError::ReferenceEqualsBase { path: model.path.clone() });
        }
    }
    Ok(Composition {
        references: references.iter().map(|model| file_name(&model.path)).collect(),
        groups: results(&blocks, references.len()),
        tensors: plan.len(),
        parameters: total,
    })
}

/// An opened SD1.x checkpoint, where its text encoder's keys are, and its size when opened.
struct Model {
    path: PathBuf,
    checkpoint: Checkpoint,
    layout: Option<TextEncoderLayout>,
    size: u64,
}

impl Model {
    fn open(path: &Path) -> Result<Self, CompositionError> {
        let checkpoint = Checkpoint::open(path)?;
        match ModelFamily::detect(&checkpoint) {
            ModelFamily::Sd1 => {}
            other => return Err(CompositionError::NotSd1 { path: path.to_path_buf(), found: other.description() }),
        }
        let layout = TextEncoderLayout::detect(&checkpoint).ok();
        let size = file_size(path).unwrap_or(0);
        Ok(Self { path: path.to_path_buf(), checkpoint, layout, size })
    }

    /// The file is read through a memory map: one that shrinks under it could fault the process, and
    /// one that was replaced or deleted no longer says what the user chose. Both stop the analysis.
    fn check_unchanged(&self) -> Result<(), CompositionError> {
        match file_size(&self.path) {
            Some(size) if size == self.size => Ok(()),
            _ => Err(CompositionError::Changed { path: self.path.clone() }),
        }
    }

    fn key(&self, canonical: &str) -> Option<String> {
        key_in_file(canonical, self.layout)
    }

    fn shape(&self, canonical: &str) -> Option<Vec<usize>> {
        let key = self.key(canonical)?;
        self.checkpoint.entry(&key).map(|entry| entry.shape.clone())
    }

    fn read(&self, canonical: &str) -> Result<Vec<f32>, CompositionError> {
        let key = self.key(canonical).unwrap_or_else(|| canonical.to_string());
        Ok(self.checkpoint.read_f32_finite(&key)?.values)
    }
}

fn file_size(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|meta| meta.len())
}

/// One tensor to compare.
struct Item {
    canonical: String,
    block: Block,
    parameters: u64,
}

/// The target's float tensors of the UNet, text encoder and VAE, each checked to exist with the same
/// shape in the base and every reference.
fn plan(target: &Model, base: &Model, references: &[Model]) -> Result<Vec<Item>, CompositionError> {
    let mut items = Vec::new();
    for key in target.checkpoint.keys() {
        let Some(entry) = target.checkpoint.entry(key) else { continue };
        let is_float = matches!(entry.element, ElementType::F16 | ElementType::BF16 | ElementType::F32 | ElementType::F64);
        let Some(canonical) = canonical_key(key, target.layout).filter(|_| is_float && entry.numel() > 0) else { continue };
        let Some(block) = block_of(&canonical) else { continue };
        for other in std::iter::once(base).chain(references) {
            match other.shape(&canonical) {
                None => {
                    return Err(CompositionError::MissingTensor {
                        path: other.path.clone(),
                        key: other.key(&canonical).unwrap_or(canonical.clone()),
                        target: target.path.clone(),
                    });
                }
                Some(shape) if shape != entry.shape => {
                    return Err(CompositionError::ShapeMismatch {
                        path: other.path.clone(),
                        key: canonical,
                        expected: entry.shape.clone(),
                        found: shape,
                    });
                }
                Some(_) => {}
            }
        }
        items.push(Item { canonical, block, parameters: entry.numel() as u64 });
    }
    Ok(items)
}

/// The coarse groups present, then every UNet block present (the text encoder and the VAE are one
/// block each, already reported as groups).
fn results(blocks: &BTreeMap<Block, Accumulator>, references: usize) -> Vec<GroupResult> {
    let mut results = Vec::new();
    for group in Group::ALL {
        let mut sum = Accumulator::new(references);
        let mut any = false;
        for (_, acc) in blocks.iter().filter(|(block, _)| group.contains(**block)) {
            sum.merge(acc);
            any = true;
        }
        if any {
            results.push(GroupResult {
                name: group.name().to_string(),
                level: Level::Group,
                parameters: sum.parameters,
                fit: sum.fit(),
            });
        }
    }
    for block in Block::all().into_iter().filter(|block| !matches!(block, Block::TextEncoder | Block::Vae)) {
        if let Some(acc) = blocks.get(&block) {
            results.push(GroupResult { name: block.name(), level: Level::Block, parameters: acc.parameters, fit: acc.fit() });
        }
    }
    results
}
