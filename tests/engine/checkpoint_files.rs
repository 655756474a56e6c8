//! Reading users' model files: the real layout, every failure mode, and the key layouts in the wild.

use std::path::{Path, PathBuf};

use burn::tensor::DType;
use nurie::checkpoint::layout::TextEncoderLayout;
use nurie::checkpoint::{Checkpoint, CheckpointError, ElementType};
use nurie::model::{ClipSkip, ClipTextEncoder};
use safetensors::{Dtype, tensor::TensorView};

use super::support::{cpu, sd15_dev, temp_dir, write_f32_safetensors};

const LDM_TE: &str = "cond_stage_model.transformer.text_model.";

/// Reading a tensor releases its pages of the mapped file; reading it again must give the same values
/// (the pages come back from the file), for every tensor, neighbours sharing a page included.
#[test]
fn tensors_read_the_same_after_their_pages_are_released() {
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    let keys: Vec<String> = checkpoint.keys().map(str::to_string).collect();
    let first: Vec<_> = keys.iter().map(|k| checkpoint.read_f32(k).unwrap()).collect();
    for (key, before) in keys.iter().zip(&first).rev() {
        assert_eq!(&checkpoint.read_f32(key).unwrap(), before, "{key}");
    }
}

#[test]
fn the_fixture_reads_with_its_extra_buffers() {
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    assert!(checkpoint.len() > 500);
    let ids = checkpoint.entry(&format!("{LDM_TE}embeddings.position_ids")).unwrap();
    assert_eq!((ids.element, ids.shape.as_slice()), (ElementType::I64, &[1, 77][..]));
    let values = checkpoint.read_f32(&format!("{LDM_TE}embeddings.position_ids")).unwrap().values;
    assert_eq!(values, (0..77).map(|i| i as f32).collect::<Vec<_>>());
    let updates = checkpoint.entry("model_ema.num_updates").unwrap();
    assert_eq!((updates.element, updates.shape.len()), (ElementType::I32, 0));
    assert_eq!(checkpoint.read_f32("model_ema.num_updates").unwrap().values.len(), 1);
    let alphas = checkpoint.read_f32("alphas_cumprod").unwrap();
    assert_eq!(alphas.shape, vec![1000]);
    assert!((alphas.values[0] - 0.99915).abs() < 1e-3, "alphas_cumprod[0] = {}", alphas.values[0]);
}

#[test]
fn a_missing_file_is_named() {
    let error = Checkpoint::open("/nonexistent/model.safetensors").err().unwrap();
    assert!(matches!(error, CheckpointError::NotFound { .. }), "{error}");
    assert!(error.to_string().contains("/nonexistent/model.safetensors"));
}

#[test]
fn truncated_files_fail_cleanly_and_name_the_file() {
    let bytes = std::fs::read(sd15_dev()).unwrap();
    let dir = temp_dir("truncated");
    let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    for cut in [0, 3, 8, 9, 100, header_end - 5, header_end, header_end + 1000, bytes.len() / 2, bytes.len() - 1] {
        let path = dir.join(format!("cut-{cut}.safetensors"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let error = Checkpoint::open(&path).err().unwrap_or_else(|| panic!("cut at {cut} must fail"));
        let message = error.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        if cut > header_end {
            // The header is whole: the error names the first tensor that does not fit.
            assert!(matches!(error, CheckpointError::OutOfBounds { .. }), "cut {cut}: {message}");
        }
    }
}

#[test]
fn a_corrupt_header_is_reported() {
    let mut bytes = std::fs::read(sd15_dev()).unwrap();
    bytes[20..40].copy_from_slice(b"\xff\xfe garbage{{{{{{{{{{");
    let path = temp_dir("corrupt").join("model.safetensors");
    std::fs::write(&path, &bytes).unwrap();
    let error = Checkpoint::open(&path).err().unwrap();
    assert!(matches!(error, CheckpointError::CorruptHeader { .. }), "{error}");
}

#[test]
fn offsets_outside_the_file_name_the_tensor() {
    let header = br#"{"first":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"second":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(&[0u8; 12]);
    let path = temp_dir("offsets").join("model.safetensors");
    std::fs::write(&path, &bytes).unwrap();
    let error = Checkpoint::open(&path).err().unwrap();
    match &error {
        CheckpointError::OutOfBounds { key, .. } => assert_eq!(key, "second"),
        other => panic!("expected OutOfBounds, got {other}"),
    }
}

#[test]
fn other_files_are_refused_with_a_reason() {
    let dir = temp_dir("other");
    let cases: [(&str, &[u8]); 4] = [
        ("empty.safetensors", b""),
        ("picture.ckpt", b"\x89PNG\r\n\x1a\n0000000000000000"),
        ("legacy.pt", b"\x80\x02\x8a\x0alz\xfc\x9cF\xf9 j\xa8P\x19."),
        ("notes.safetensors", b"hello, this is text and not a model at all"),
    ];
    for (name, bytes) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let error = Checkpoint::open(&path).err().unwrap_or_else(|| panic!("{name} must fail"));
        assert!(error.to_string().contains(name), "{error}");
    }
    let legacy = Checkpoint::open(dir.join("legacy.pt")).err().unwrap();
    assert!(legacy.to_string().contains("legacy"), "{legacy}");
}

#[test]
fn every_float_and_int_type_decodes() {
    let values = [1.5f64, -2.25, 0.0, 1024.0];
    let f32s: Vec<u8> = values.iter().flat_map(|&v| (v as f32).to_le_bytes()).collect();
    let f16s: Vec<u8> = values.iter().flat_map(|&v| half::f16::from_f64(v).to_le_bytes()).collect();
    let bf16s: Vec<u8> = values.iter().flat_map(|&v| half::bf16::from_f64(v).to_le_bytes()).collect();
    let f64s: Vec<u8> = values.iter().flat_map(|&v| v.to_le_bytes()).collect();
    let i64s: Vec<u8> = [7i64, -3, 0, 49407].iter().flat_map(|v| v.to_le_bytes()).collect();
    let tensors = [
        ("f32", Dtype::F32, &f32s),
        ("f16", Dtype::F16, &f16s),
        ("bf16", Dtype::BF16, &bf16s),
        ("f64", Dtype::F64, &f64s),
        ("i64", Dtype::I64, &i64s),
    ];
    let views: Vec<_> = tensors.iter().map(|(n, d, b)| (*n, TensorView::new(*d, vec![2, 2], b).unwrap())).collect();
    let path = temp_dir("dtypes").join("types.safetensors");
    safetensors::serialize_to_file(views, None, &path).unwrap();
    let checkpoint = Checkpoint::open(&path).unwrap();
    for name in ["f32", "f16", "bf16", "f64"] {
        assert_eq!(checkpoint.read_f32(name).unwrap().values, vec![1.5, -2.25, 0.0, 1024.0], "{name}");
    }
    assert_eq!(checkpoint.read_f32("i64").unwrap().values, vec![7.0, -3.0, 0.0, 49407.0]);
    assert_eq!(checkpoint.entry("bf16").unwrap().element, ElementType::BF16);
}

/// Writes the fixture's text encoder as f32 under other key names (exact: fp16 → f32 is lossless).
pub fn write_text_encoder(path: &Path, rename: impl Fn(&str) -> Option<String>) -> PathBuf {
    let source = Checkpoint::open(sd15_dev()).unwrap();
    let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = source
        .keys()
        .filter_map(|key| Some((rename(key.strip_prefix(LDM_TE)?)?, key)))
        .map(|(name, key)| {
            let tensor = source.read_f32(key).unwrap();
            (name, tensor.shape, bytemuck::cast_slice(&tensor.values).to_vec())
        })
        .collect();
    write_f32_safetensors(path, &tensors);
    path.to_path_buf()
}

fn encode_reference_prompt(checkpoint: &Checkpoint) -> Vec<f32> {
    let encoder = ClipTextEncoder::load(checkpoint, &cpu().device, DType::F32).unwrap();
    let ids = nurie::prompt::ClipTokenizer::shared().unwrap().pipeline_ids("a cat, in a hat");
    encoder.encode(&[&ids], ClipSkip(2)).unwrap().try_into_vec_as::<f32>().unwrap()
}

#[test]
fn the_nai_style_layout_loads_and_gives_the_same_conditioning() {
    let dir = temp_dir("nai");
    let nai = write_text_encoder(&dir.join("nai.safetensors"), |k| Some(format!("cond_stage_model.transformer.{k}")));
    let nai = Checkpoint::open(nai).unwrap();
    assert_eq!(TextEncoderLayout::detect(&nai).unwrap(), TextEncoderLayout::NaiStyle);
    let original = Checkpoint::open(sd15_dev()).unwrap();
    assert_eq!(TextEncoderLayout::detect(&original).unwrap(), TextEncoderLayout::Ldm);
    assert_eq!(encode_reference_prompt(&nai), encode_reference_prompt(&original));
}

#[test]
fn a_standalone_transformers_text_encoder_loads() {
    let path = write_text_encoder(&temp_dir("transformers").join("model.safetensors"), |k| Some(format!("text_model.{k}")));
    let standalone = Checkpoint::open(path).unwrap();
    assert_eq!(TextEncoderLayout::detect(&standalone).unwrap(), TextEncoderLayout::Transformers);
    let original = Checkpoint::open(sd15_dev()).unwrap();
    assert_eq!(encode_reference_prompt(&standalone), encode_reference_prompt(&original));
}

#[test]
fn a_missing_layer_norm_is_named() {
    let path = write_text_encoder(&temp_dir("missing").join("te.safetensors"), |k| {
        (k != "final_layer_norm.bias").then(|| format!("{LDM_TE}{k}"))
    });
    let error = ClipTextEncoder::load(&Checkpoint::open(&path).unwrap(), &cpu().device, DType::F32).err().unwrap();
    assert!(matches!(&error, CheckpointError::MissingKey { key, .. } if key.ends_with("final_layer_norm.bias")), "{error}");
    assert!(error.to_string().contains("te.safetensors"), "{error}");
}

#[test]
fn a_wrong_shape_is_named() {
    let path = temp_dir("shape").join("te.safetensors");
    write_text_encoder(&path, |k| Some(format!("{LDM_TE}{k}")));
    // Re-write one projection with a transposed shape.
    let source = Checkpoint::open(&path).unwrap();
    let bad_key = format!("{LDM_TE}encoder.layers.1.mlp.fc2.weight");
    let owned: Vec<(String, Vec<usize>, Vec<u8>)> = source
        .keys()
        .map(|k| {
            let t = source.read_f32(k).unwrap();
            let shape = if k == bad_key { vec![t.shape[1], t.shape[0]] } else { t.shape };
            (k.to_string(), shape, bytemuck::cast_slice(&t.values).to_vec())
        })
        .collect();
    drop(source);
    write_f32_safetensors(&path, &owned);
    let error = ClipTextEncoder::load(&Checkpoint::open(&path).unwrap(), &cpu().device, DType::F32).err().unwrap();
    assert!(matches!(&error, CheckpointError::WrongShape { key, .. } if *key == bad_key), "{error}");
}

#[test]
fn an_sdxl_file_is_recognised() {
    let path = write_text_encoder(&temp_dir("sdxl").join("sdxl.safetensors"), |k| {
        Some(format!("conditioner.embedders.0.transformer.text_model.{k}"))
    });
    let error = ClipTextEncoder::load(&Checkpoint::open(&path).unwrap(), &cpu().device, DType::F32).err().unwrap();
    assert!(error.to_string().contains("SDXL"), "{error}");
}

#[test]
fn a_controlnet_given_as_checkpoint_is_recognised() {
    let controlnet = Checkpoint::open(super::support::fixture("parity/controlnet-lineart-dev-fp16.safetensors")).unwrap();
    let error = ClipTextEncoder::load(&controlnet, &cpu().device, DType::F32).err().unwrap();
    assert!(matches!(error, CheckpointError::MissingComponent { .. }), "{error}");
    assert!(error.to_string().contains("ControlNet"), "{error}");
}

/// Degenerate encoder shapes (a scalar position table, a zero width) are shape errors, not crashes.
#[test]
fn degenerate_encoder_shapes_are_named() {
    let dir = temp_dir("degenerate");
    let cases: [(&str, Vec<usize>, &str); 2] = [
        ("position_embedding", vec![], "embeddings.position_embedding.weight"),
        ("token_embedding", vec![49408, 0], "embeddings.token_embedding.weight"),
    ];
    for (name, shape, key) in cases {
        let path = dir.join(format!("{name}.safetensors"));
        let source = Checkpoint::open(sd15_dev()).unwrap();
        let bad_key = format!("{LDM_TE}embeddings.{name}.weight");
        let owned: Vec<(String, Vec<usize>, Vec<u8>)> = source
            .keys()
            .filter(|k| k.starts_with(LDM_TE))
            .map(|k| {
                if k == bad_key {
                    (k.to_string(), shape.clone(), vec![0u8; shape.iter().product::<usize>() * 4])
                } else {
                    let t = source.read_f32(k).unwrap();
                    (k.to_string(), t.shape, bytemuck::cast_slice(&t.values).to_vec())
                }
            })
            .collect();
        write_f32_safetensors(&path, &owned);
        let error = ClipTextEncoder::load(&Checkpoint::open(&path).unwrap(), &cpu().device, DType::F32).err().unwrap();
        assert!(matches!(&error, CheckpointError::WrongShape { key: k, .. } if k.ends_with(key)), "{error}");
    }
}

#[test]
fn integer_tensors_read_exactly() {
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    let (shape, ids) = checkpoint.read_i64(&format!("{LDM_TE}embeddings.position_ids")).unwrap();
    assert_eq!((shape, ids), (vec![1, 77], (0..77).collect::<Vec<i64>>()));
    let error = checkpoint.read_i64("alphas_cumprod").err().unwrap();
    assert!(matches!(error, CheckpointError::UnsupportedDtype { .. }), "{error}");
}

/// Writes a small file holding just `tensors` (name, shape), zero-filled f32.
fn write_keys(path: &Path, tensors: &[(&str, Vec<usize>)]) {
    let zeros: Vec<_> =
        tensors.iter().map(|(n, s)| (n.to_string(), s.clone(), vec![0u8; s.iter().product::<usize>() * 4])).collect();
    write_f32_safetensors(path, &zeros);
}

#[test]
fn other_model_families_are_named_when_loaded_as_a_checkpoint() {
    use nurie::model::Unet;
    let dir = temp_dir("families");
    let conv_in = ("model.diffusion_model.input_blocks.0.0.weight", vec![32, 4, 3, 3]);
    // (file name, tensors (key, shape), the family the error must name)
    type Case<'a> = (&'a str, Vec<(&'a str, Vec<usize>)>, &'a str);
    let cases: [Case; 4] = [
        ("sdxl", vec![conv_in.clone(), ("model.diffusion_model.label_emb.0.0.weight", vec![32, 16])], "SDXL"),
        (
            "sd2",
            vec![
                conv_in.clone(),
                ("model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", vec![32, 1024]),
            ],
            "SD2",
        ),
        ("lora", vec![("lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight", vec![4, 32])], "LoRA"),
        ("flux", vec![("double_blocks.0.img_attn.qkv.weight", vec![8, 8])], "Flux"),
    ];
    for (name, keys, expected) in cases {
        let path = dir.join(format!("{name}.safetensors"));
        write_keys(&path, &keys);
        let error = Unet::load(&Checkpoint::open(&path).unwrap(), &cpu().device, DType::F32).err().unwrap();
        assert!(matches!(error, CheckpointError::WrongFamily { .. }), "{name}: {error}");
        assert!(error.to_string().contains(expected) && error.to_string().contains("SD1.x"), "{error}");
    }
    let controlnet = Checkpoint::open(super::support::fixture("parity/controlnet-lineart-dev-fp16.safetensors")).unwrap();
    let error = Unet::load(&controlnet, &cpu().device, DType::F32).err().unwrap();
    assert!(error.to_string().contains("ControlNet"), "{error}");
}

/// A NaN in the weights is reported with its key instead of silently giving black images.
#[test]
fn nan_weights_are_named() {
    use nurie::model::Unet;
    let path = temp_dir("nan").join("broken-merge.safetensors");
    let source = Checkpoint::open(sd15_dev()).unwrap();
    let bad_key = "model.diffusion_model.middle_block.0.in_layers.2.weight";
    let owned: Vec<(String, Vec<usize>, Vec<u8>)> = source
        .keys()
        .filter(|k| k.starts_with("model.diffusion_model."))
        .map(|k| {
            let mut t = source.read_f32(k).unwrap();
            if k == bad_key {
                t.values[7] = f32::NAN;
            }
            (k.to_string(), t.shape, bytemuck::cast_slice(&t.values).to_vec())
        })
        .collect();
    write_f32_safetensors(&path, &owned);
    let error = Unet::load(&Checkpoint::open(&path).unwrap(), &cpu().device, DType::F32).err().unwrap();
    assert!(matches!(&error, CheckpointError::NonFinite { key, count: 1, .. } if key == bad_key), "{error}");
}

/// fp32 weights reach the device unrounded: values fp16 cannot represent come back bit for bit.
#[test]
fn f32_weights_are_not_rounded_to_f16() {
    use nurie::model::weights::WeightLoader;
    let values: Vec<f32> = (0..64).map(|i| 1.0 + (i as f32) * 2f32.powi(-20) + 1e-7 * i as f32).collect();
    assert!(values.iter().any(|&v| half::f16::from_f32(v).to_f32() != v));
    let path = temp_dir("f32-exact").join("weights.safetensors");
    let view = TensorView::new(Dtype::F32, vec![8, 8], bytemuck::cast_slice(&values)).unwrap();
    safetensors::serialize_to_file([("layer.weight", view)], None, &path).unwrap();
    let checkpoint = Checkpoint::open(&path).unwrap();
    for compute in [cpu(), super::support::gpu()] {
        let loader = WeightLoader::new(&checkpoint, "layer.", &compute.device, DType::F32);
        let loaded = loader.tensor_shaped::<2>("weight", [8, 8]).unwrap().try_into_vec_as::<f32>().unwrap();
        assert_eq!(loaded, values, "on {}", compute.description);
    }
}
