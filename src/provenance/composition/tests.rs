//! Synthetic merges of the tiny fixture checkpoint with known ratios (global, and per block as
//! block-weighted merges make them, with noise on top), recovered within ±0.02; and the bad inputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use safetensors::Dtype;

use super::blocks::{Block, block_of, canonical_key};
use super::*;
use crate::checkpoint::Checkpoint;
use crate::checkpoint::layout::TextEncoderLayout;

const TOLERANCE: f64 = 0.02;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Every tensor of a checkpoint: float ones as f32, others (ids, counters) as i64.
struct Weights {
    floats: BTreeMap<String, (Vec<usize>, Vec<f32>)>,
    integers: BTreeMap<String, (Vec<usize>, Vec<i64>)>,
}

impl Weights {
    fn read(path: &Path) -> Weights {
        let checkpoint = Checkpoint::open(path).unwrap();
        let (mut floats, mut integers) = (BTreeMap::new(), BTreeMap::new());
        for key in checkpoint.keys() {
            if let Ok((shape, values)) = checkpoint.read_i64(key) {
                integers.insert(key.to_string(), (shape, values));
            } else {
                let tensor = checkpoint.read_f32(key).unwrap();
                floats.insert(key.to_string(), (tensor.shape, tensor.values));
            }
        }
        Weights { floats, integers }
    }

    /// A copy with each float tensor changed by `change(key, values)`.
    fn map(&self, mut change: impl FnMut(&str, &[f32]) -> Vec<f32>) -> Weights {
        let floats =
            self.floats.iter().map(|(key, (shape, values))| (key.clone(), (shape.clone(), change(key, values)))).collect();
        Weights { floats, integers: self.integers.clone() }
    }

    /// Writes a safetensors file, floats as `dtype` (F32 or F16), keys renamed by `rename`.
    fn write(&self, path: &Path, dtype: Dtype, rename: impl Fn(&str) -> String) {
        let mut buffers: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
        for (key, (shape, values)) in &self.floats {
            let bytes = match dtype {
                Dtype::F16 => values.iter().flat_map(|v| half::f16::from_f32(*v).to_le_bytes()).collect(),
                _ => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            };
            buffers.push((rename(key), dtype, shape.clone(), bytes));
        }
        for (key, (shape, values)) in &self.integers {
            buffers.push((rename(key), Dtype::I64, shape.clone(), values.iter().flat_map(|v| v.to_le_bytes()).collect()));
        }
        let views: Vec<(String, safetensors::tensor::TensorView)> = buffers
            .iter()
            .map(|(key, dtype, shape, bytes)| {
                (key.clone(), safetensors::tensor::TensorView::new(*dtype, shape.clone(), bytes).unwrap())
            })
            .collect();
        safetensors::serialize_to_file(views, None, path).unwrap();
    }
}

/// Deterministic noise, roughly normal with unit variance (a sum of four uniforms, xorshift).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> f32 {
        let mut sum = 0.0;
        for _ in 0..4 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            sum += (self.0 >> 40) as f32 / (1u64 << 24) as f32;
        }
        (sum - 2.0) * 3f32.sqrt()
    }
}

/// A model fine-tuned away from `base`: each tensor moved by noise of 5 % of its spread (at least 1e-3).
fn fine_tune(base: &Weights, seed: u64) -> Weights {
    let mut noise = Noise(seed);
    base.map(|_, values| {
        let spread = spread(values).max(0.02);
        values.iter().map(|v| v + 0.05 * spread * noise.next()).collect()
    })
}

fn spread(values: &[f32]) -> f32 {
    let mean = values.iter().sum::<f32>() / values.len() as f32;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len() as f32).sqrt()
}

/// `base + Σ ratio(block)_i (reference_i − base)`, plus noise of `extra` times each reference's step.
fn merge(base: &Weights, references: &[&Weights], ratios: impl Fn(Block) -> Vec<f32>, extra: f32, seed: u64) -> Weights {
    let mut noise = Noise(seed);
    base.map(|key, values| {
        let block = canonical_key(key, Some(TextEncoderLayout::Ldm)).and_then(|c| block_of(&c));
        let Some(block) = block else { return values.to_vec() };
        let ratio = ratios(block);
        let step = 0.05 * spread(values).max(0.02);
        (0..values.len())
            .map(|j| {
                let merged: f32 = references.iter().zip(&ratio).map(|(r, a)| a * (r.floats[key].1[j] - values[j])).sum();
                values[j] + merged + extra * step * noise.next()
            })
            .collect()
    })
}

struct Scene {
    dir: tempfile::TempDir,
    base: Weights,
}

impl Scene {
    fn new() -> Scene {
        let dir = tempfile::tempdir().unwrap();
        let base = Weights::read(&fixture("parity/sd15-dev-fp16.safetensors"));
        base.write(&dir.path().join("base.safetensors"), Dtype::F32, str::to_string);
        Scene { dir, base }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn analyze(&self, target: &str, references: &[&str]) -> Result<Composition, CompositionError> {
        let references: Vec<PathBuf> = references.iter().map(|name| self.path(name)).collect();
        analyze(&self.path(target), &self.path("base.safetensors"), &references, &mut |_| {}, &AtomicBool::new(false))
    }
}

fn assert_close(composition: &Composition, group: &str, expected: &[f64]) {
    let result = composition.group(group).unwrap_or_else(|| panic!("no group {group}"));
    for (found, want) in result.fit.coefficients.iter().zip(expected) {
        let found = found.unwrap_or(f64::NAN);
        assert!((found - want).abs() <= TOLERANCE, "{group}: {found:.4} vs {want} ({})", composition.describe(result));
    }
}

#[test]
fn a_global_merge_of_two_models_is_recovered_in_every_block() {
    let scene = Scene::new();
    let (a, b) = (fine_tune(&scene.base, 11), fine_tune(&scene.base, 22));
    a.write(&scene.path("a.safetensors"), Dtype::F32, str::to_string);
    b.write(&scene.path("b.safetensors"), Dtype::F32, str::to_string);
    merge(&scene.base, &[&a, &b], |_| vec![0.35, 0.25], 0.0, 1).write(
        &scene.path("merge.safetensors"),
        Dtype::F32,
        str::to_string,
    );

    let composition = scene.analyze("merge.safetensors", &["a.safetensors", "b.safetensors"]).unwrap();
    assert_eq!(composition.references, ["a.safetensors", "b.safetensors"]);
    for group in &composition.groups {
        assert_close(&composition, &group.name, &[0.35, 0.25]);
        assert!(group.fit.residual.unwrap() < 0.01, "{}", composition.describe(group));
    }
    assert_eq!(
        composition.groups.iter().filter(|g| g.level == Level::Block).count(),
        26,
        "IN00–IN11, M00, OUT00–OUT11, unet_other"
    );
    assert!(
        composition
            .describe(composition.group("output_blocks").unwrap())
            .starts_with("output_blocks ≈ 0.35 a.safetensors + 0.25 b.safetensors, residual 0 %")
    );
}

/// Block-weighted ratios as merge tools use them (a different weight for IN00…OUT11), saved in fp16
/// with extra noise (further training) on top, and the target's text encoder in NovelAI's key layout.
#[test]
fn a_block_weighted_merge_with_training_on_top_is_recovered_per_block() {
    let scene = Scene::new();
    let nai = fine_tune(&scene.base, 33);
    nai.write(&scene.path("nai.safetensors"), Dtype::F16, str::to_string);
    let ratio = |block: Block| -> f32 {
        match block {
            Block::Input(n) => 0.1 + 0.05 * n as f32,
            Block::Middle => 0.5,
            Block::Output(n) => 0.9 - 0.06 * n as f32,
            Block::UnetOther => 0.3,
            Block::TextEncoder => 1.0,
            Block::Vae => 0.0,
        }
    };
    let target = merge(&scene.base, &[&nai], |block| vec![ratio(block)], 0.3, 2);
    let nai_layout = |key: &str| key.replace("cond_stage_model.transformer.text_model.", "cond_stage_model.transformer.");
    target.write(&scene.path("mbw.safetensors"), Dtype::F16, nai_layout);

    let written = Checkpoint::open(scene.path("mbw.safetensors")).unwrap();
    assert!(crate::provenance::ArchitectureSummary::of(&written).nai_style_text_encoder(), "the NovelAI key layout is seen");
    let composition = scene.analyze("mbw.safetensors", &["nai.safetensors"]).unwrap();
    for block in Block::all() {
        assert_close(&composition, &block.name(), &[ratio(block) as f64]);
    }
    let output = composition.group("OUT00").unwrap();
    let residual = output.fit.residual.unwrap();
    assert!(residual > 0.1 && residual < 0.9, "the training on top shows: {}", composition.describe(output));
    assert!(composition.group("vae").unwrap().fit.coefficients[0].unwrap().abs() <= TOLERANCE);
}

#[test]
fn bad_references_are_explained() {
    let scene = Scene::new();
    let a = fine_tune(&scene.base, 44);
    a.write(&scene.path("a.safetensors"), Dtype::F32, str::to_string);
    scene.base.write(&scene.path("base-copy.safetensors"), Dtype::F16, str::to_string);
    std::fs::copy(fixture("parity/controlnet-lineart-dev-fp16.safetensors"), scene.path("controlnet.safetensors")).unwrap();
    let mut cut = a.map(|_, v| v.to_vec());
    cut.floats.retain(|key, _| !key.contains("output_blocks.3."));
    cut.write(&scene.path("cut.safetensors"), Dtype::F32, str::to_string);
    let mut reshaped = a.map(|_, v| v.to_vec());
    let (_, (shape, values)) =
        reshaped.floats.iter_mut().find(|(k, _)| k.ends_with("middle_block.0.in_layers.0.weight")).unwrap();
    *shape = vec![shape.iter().product::<usize>() / 2, 2];
    values.truncate(shape.iter().product());
    reshaped.write(&scene.path("reshaped.safetensors"), Dtype::F32, str::to_string);
    std::fs::write(scene.path("garbage.safetensors"), b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":").unwrap();

    let error = |references: &[&str]| scene.analyze("a.safetensors", references).unwrap_err();
    assert!(matches!(error(&["controlnet.safetensors"]), CompositionError::NotSd1 { .. }));
    assert!(matches!(error(&["base-copy.safetensors"]), CompositionError::ReferenceEqualsBase { .. }));
    assert!(matches!(error(&["cut.safetensors"]), CompositionError::MissingTensor { .. }));
    match error(&["reshaped.safetensors"]) {
        CompositionError::ShapeMismatch { key, .. } => assert!(key.ends_with("middle_block.0.in_layers.0.weight"), "{key}"),
        other => panic!("{other}"),
    }
    assert!(matches!(error(&["garbage.safetensors"]), CompositionError::Checkpoint(_)));
    assert!(matches!(error(&["missing.safetensors"]), CompositionError::Checkpoint(_)));
    assert!(matches!(error(&[]), CompositionError::NoReferences));
    let cancelled = analyze(
        &scene.path("a.safetensors"),
        &scene.path("base.safetensors"),
        &[scene.path("a.safetensors")],
        &mut |_| {},
        &AtomicBool::new(true),
    );
    assert!(matches!(cancelled, Err(CompositionError::Cancelled)));
    let message = error(&["controlnet.safetensors"]).to_string();
    assert!(message.contains("controlnet.safetensors") && message.contains("ControlNet"), "{message}");
    let mut vanished = false;
    let mut delete_reference = |_: AnalysisProgress| {
        if !vanished {
            vanished = std::fs::remove_file(scene.path("a.safetensors")).is_ok();
        }
    };
    let target = scene.path("base-copy.safetensors");
    let gone = analyze(
        &target,
        &scene.path("base.safetensors"),
        &[scene.path("a.safetensors")],
        &mut delete_reference,
        &AtomicBool::new(false),
    );
    assert!(matches!(gone, Err(CompositionError::Changed { .. })), "a reference deleted mid-analysis: {gone:?}");
}
