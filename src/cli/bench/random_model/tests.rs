//! The layouts against the committed dev fixtures (same keys, shapes and element types as the parity
//! kit's files), the full-size parameter counts of SD1.5, and a tiny written model loading and running.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::{DType, Device, Tensor, TensorData};

use super::config::Sd15Config;
use super::spec::{Element, TensorSpec};
use super::writer::{self, Precision};
use super::{files, write_model};
use crate::checkpoint::{Checkpoint, ElementType};
use crate::generate::{ModelFiles, Models, encode_prompts};
use crate::model::ClipSkip;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parity").join(name)
}

/// Key → (shape, element type) of a model file.
fn file_layout(path: &Path) -> BTreeMap<String, (Vec<usize>, ElementType)> {
    let checkpoint = Checkpoint::open(path).unwrap();
    let keys: Vec<String> = checkpoint.keys().map(str::to_owned).collect();
    keys.into_iter()
        .map(|key| {
            let entry = checkpoint.entry(&key).unwrap();
            (key, (entry.shape.clone(), entry.element))
        })
        .collect()
}

/// Key → (shape, element type) of a description, as written in fp16.
fn described(tensors: &[TensorSpec]) -> BTreeMap<String, (Vec<usize>, ElementType)> {
    let element = |spec: &TensorSpec| match spec.element {
        Element::Float => ElementType::F16,
        Element::I64 => ElementType::I64,
        Element::I32 => ElementType::I32,
    };
    let map: BTreeMap<_, _> = tensors.iter().map(|t| (t.name.clone(), (t.shape.clone(), element(t)))).collect();
    assert_eq!(map.len(), tensors.len(), "a key is described twice");
    map
}

fn assert_same(
    what: &str,
    described: BTreeMap<String, (Vec<usize>, ElementType)>,
    file: BTreeMap<String, (Vec<usize>, ElementType)>,
) {
    let missing: Vec<_> = file.keys().filter(|k| !described.contains_key(*k)).collect();
    let extra: Vec<_> = described.keys().filter(|k| !file.contains_key(*k)).collect();
    assert!(missing.is_empty() && extra.is_empty(), "{what}: not described {missing:?}, not in the fixture {extra:?}");
    for (key, value) in &file {
        assert_eq!(&described[key], value, "{what}: {key}");
    }
}

#[test]
fn dev_config_describes_the_dev_checkpoint_fixture_exactly() {
    let config = Sd15Config::dev();
    config.validate().unwrap();
    let file = file_layout(&fixture("sd15-dev-fp16.safetensors"));
    assert_eq!(file.len(), 979);
    assert_same("checkpoint", described(&files::checkpoint(&config)), file);
}

#[test]
fn dev_config_describes_the_dev_controlnet_fixture_exactly() {
    let file = file_layout(&fixture("controlnet-lineart-dev-fp16.safetensors"));
    assert_eq!(file.len(), 338);
    assert_same("ControlNet", described(&files::controlnet(&Sd15Config::dev())), file);
}

/// Parameters (float values) of the tensors under `prefix`.
fn parameters(tensors: &[TensorSpec], prefix: &str) -> usize {
    tensors.iter().filter(|t| t.is_float() && t.name.starts_with(prefix)).map(TensorSpec::len).sum()
}

#[test]
fn full_config_has_the_parameter_counts_of_sd15() {
    let config = Sd15Config::full();
    config.validate().unwrap();
    let checkpoint = files::checkpoint(&config);
    // diffusers' UNet2DConditionModel, AutoencoderKL and transformers' CLIPTextModel of SD1.5.
    assert_eq!(parameters(&checkpoint, "model.diffusion_model."), 859_520_964);
    assert_eq!(parameters(&checkpoint, "first_stage_model."), 83_653_863);
    assert_eq!(parameters(&checkpoint, "cond_stage_model."), 123_060_480);
    // diffusers' ControlNetModel of SD1.5 (control_v11p_sd15_lineart), as papers on ControlNet cite it.
    assert_eq!(parameters(&files::controlnet(&config), "control_model."), 361_279_120);
}

#[test]
fn full_size_files_are_the_values_times_two_plus_the_header() {
    let config = Sd15Config::full();
    for tensors in [files::checkpoint(&config), files::controlnet(&config)] {
        let floats: usize = tensors.iter().filter(|t| t.is_float()).map(TensorSpec::len).sum();
        let integers: usize =
            tensors.iter().filter(|t| !t.is_float()).map(|t| t.len() * if t.element == Element::I64 { 8 } else { 4 }).sum();
        for (precision, bytes) in [(Precision::F16, 2), (Precision::F32, 4)] {
            let header = writer::header(&tensors, precision);
            assert_eq!(header.len() % 8, 0);
            assert_eq!(writer::file_size(&tensors, precision), (header.len() + bytes * floats + integers) as u64);
        }
    }
    let checkpoint = writer::file_size(&files::checkpoint(&config), Precision::F16);
    assert!((2_130_000_000..2_140_000_000).contains(&checkpoint), "{checkpoint}");
}

#[test]
fn a_written_dev_model_is_valid_safetensors_and_deterministic() {
    let folder = tempfile::tempdir().unwrap();
    let config = Sd15Config::dev();
    let written = write_model(folder.path(), &config, Precision::F16, 7, true).unwrap();
    assert_eq!(written.len(), 2);
    for (file, tensors) in written.iter().zip([files::checkpoint(&config), files::controlnet(&config)]) {
        let bytes = std::fs::read(&file.path).unwrap();
        assert_eq!(bytes.len() as u64, file.bytes);
        assert_eq!(file.bytes, writer::file_size(&tensors, Precision::F16));
        let parsed = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(parsed.len(), tensors.len());
    }
    let again = tempfile::tempdir().unwrap();
    write_model(again.path(), &config, Precision::F16, 7, false).unwrap();
    let name = "sd15-random-fp16.safetensors";
    assert!(std::fs::read(folder.path().join(name)).unwrap() == std::fs::read(again.path().join(name)).unwrap());
}

#[test]
fn the_schedule_and_integer_buffers_read_back_as_written() {
    let folder = tempfile::tempdir().unwrap();
    let written = write_model(folder.path(), &Sd15Config::dev(), Precision::F32, 1, false).unwrap();
    let checkpoint = Checkpoint::open(&written[0].path).unwrap();
    let alphas = checkpoint.read_f32("alphas_cumprod").unwrap().values;
    assert!((alphas[0] - 0.999_15).abs() < 1e-6 && (alphas[999] - 0.004_66).abs() < 1e-4, "{} {}", alphas[0], alphas[999]);
    let (shape, ids) = checkpoint.read_i64("cond_stage_model.transformer.text_model.embeddings.position_ids").unwrap();
    assert_eq!((shape, ids), (vec![1, 77], (0..77).collect::<Vec<i64>>()));
    let norm = checkpoint.read_f32("first_stage_model.encoder.norm_out.weight").unwrap().values;
    assert!(norm.iter().all(|&v| v == 1.0));
    let weight = checkpoint.read_f32("model.diffusion_model.input_blocks.1.0.in_layers.2.weight").unwrap().values;
    let std = (weight.iter().map(|v| v * v).sum::<f32>() / weight.len() as f32).sqrt();
    assert!((std - 1.0 / (32.0f32 * 9.0).sqrt()).abs() < 0.01, "{std}");
}

#[test]
fn a_written_dev_model_loads_and_runs_to_finite_outputs() {
    let folder = tempfile::tempdir().unwrap();
    let written = write_model(folder.path(), &Sd15Config::dev(), Precision::F16, 1234, true).unwrap();
    let files = ModelFiles { checkpoint: written[0].path.clone(), vae: None, controlnets: vec![written[1].path.clone()] };
    let device = Device::flex();
    for dtype in [DType::F32, DType::F16] {
        let models = Models::load(&files, &device, dtype, |_| {}).unwrap();
        let context = encode_prompts(&models, "1girl, flat color", "lowres", ClipSkip::default(), true).unwrap();
        let ramp = |n: usize, scale: f32| (0..n).map(|i| (i as f32 * 0.37).sin() * scale).collect::<Vec<f32>>();
        let sample = Tensor::<4>::from_data(TensorData::new(ramp(2 * 4 * 12 * 8, 1.0), [2, 4, 12, 8]), (&device, dtype));
        let hint_values: Vec<f32> = ramp(2 * 3 * 96 * 64, 1.0).into_iter().map(|v| f32::from(v > 0.5)).collect();
        let hint = Tensor::<4>::from_data(TensorData::new(hint_values, [2, 3, 96, 64]), (&device, dtype));
        let control = models.controlnets[0].forward(sample.clone(), &[500.0], &context, hint).unwrap();
        let eps = models.unet.forward(sample.clone(), &[500.0], &context, Some(&control)).unwrap();
        assert_finite(&format!("ε {dtype:?}"), eps);
        assert_finite(&format!("image {dtype:?}"), models.vae.decode(sample).unwrap());
    }
}

fn assert_finite(what: &str, tensor: Tensor<4>) {
    let values = tensor.try_into_vec_as::<f32>().unwrap();
    assert!(values.iter().all(|v| v.is_finite()), "{what} has non-finite values");
    let rms = (values.iter().map(|v| v * v).sum::<f32>() / values.len() as f32).sqrt();
    assert!(rms > 1e-3 && rms < 100.0, "{what}: rms {rms}");
}
