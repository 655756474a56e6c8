//! PyTorch `.ckpt` files: read without executing anything, in the layouts found in the wild.

use burn::tensor::DType;
use nurie::checkpoint::layout::TextEncoderLayout;
use nurie::checkpoint::{Checkpoint, CheckpointError, FileFormat};
use nurie::model::ClipTextEncoder;

use super::support::{assert_close, cpu, reference_ids, references, sd15_dev, temp_dir, tolerance};
use super::torch_ckpt::{CkptTensor, write_ckpt};

const LDM_TE: &str = "cond_stage_model.transformer.text_model.";

/// The fixture's text encoder as fp16 storages, renamed with `rename`.
fn text_encoder_tensors(rename: impl Fn(&str) -> String) -> Vec<CkptTensor> {
    let source = Checkpoint::open(sd15_dev()).unwrap();
    source
        .keys()
        .filter_map(|key| Some((key, key.strip_prefix(LDM_TE)?)))
        .filter(|(_, short)| !short.ends_with("position_ids"))
        .map(|(key, short)| {
            let tensor = source.read_f32(key).unwrap();
            let bytes = tensor.values.iter().flat_map(|&v| half::f16::from_f32(v).to_le_bytes()).collect();
            CkptTensor::new(&rename(short), &tensor.shape, "HalfStorage", bytes)
        })
        .collect()
}

#[test]
fn a_nai_style_fp16_ckpt_encodes_like_the_reference() {
    let path = temp_dir("ckpt-nai").join("animefull.ckpt");
    write_ckpt(&path, &text_encoder_tensors(|k| format!("cond_stage_model.transformer.{k}")), None);
    let checkpoint = Checkpoint::open(&path).unwrap();
    assert_eq!(checkpoint.format(), FileFormat::TorchZip);
    assert!(!checkpoint.keys().any(|k| k.starts_with("state_dict") || k == "global_step"));
    assert_eq!(TextEncoderLayout::detect(&checkpoint).unwrap(), TextEncoderLayout::NaiStyle);

    let device = cpu().device;
    let encoder = ClipTextEncoder::load(&checkpoint, &device, DType::F32).unwrap();
    let refs = references();
    let ids = reference_ids();
    let rows: Vec<&[u32]> = ids.chunks(77).collect();
    let last = encoder.encode(&rows, nurie::model::ClipSkip(1)).unwrap().try_into_vec_as::<f32>().unwrap();
    assert_close(
        "te.last_hidden_state",
        &last,
        &refs.read_f32("te.last_hidden_state").unwrap(),
        tolerance("text_encoder", "fp32"),
    );
}

#[test]
fn bf16_and_f32_storages_decode() {
    let values = [0.5f32, -3.0, 8.0, 0.0];
    let tensors = vec![
        CkptTensor::new("a", &[2, 2], "FloatStorage", values.iter().flat_map(|v| v.to_le_bytes()).collect()),
        CkptTensor::new(
            "b",
            &[4],
            "BFloat16Storage",
            values.iter().flat_map(|&v| half::bf16::from_f32(v).to_le_bytes()).collect(),
        ),
    ];
    let path = temp_dir("ckpt-types").join("types.ckpt");
    write_ckpt(&path, &tensors, None);
    let checkpoint = Checkpoint::open(&path).unwrap();
    assert_eq!(checkpoint.read_f32("a").unwrap().values, values);
    assert_eq!(checkpoint.read_f32("b").unwrap().values, values);
}

#[test]
fn a_foreign_global_is_refused_by_name() {
    let path = temp_dir("ckpt-evil").join("evil.ckpt");
    let tensors = vec![CkptTensor::new("w", &[1], "FloatStorage", 1f32.to_le_bytes().to_vec())];
    for (module, name) in
        [("os", "system"), ("builtins", "eval"), ("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint")]
    {
        write_ckpt(&path, &tensors, Some((module, name)));
        let error = Checkpoint::open(&path).err().unwrap_or_else(|| panic!("{module}.{name} must be refused"));
        assert!(matches!(error, CheckpointError::Pickle { .. }), "{error}");
        let message = error.to_string();
        assert!(message.contains(&format!("{module}.{name}")) && message.contains("evil.ckpt"), "{message}");
    }
}

#[test]
fn a_storage_smaller_than_its_tensor_names_the_tensor() {
    let path = temp_dir("ckpt-short").join("short.ckpt");
    let mut tensors = vec![CkptTensor::new("big", &[4, 4], "FloatStorage", vec![0; 64])];
    write_ckpt(&path, &tensors, None);
    assert!(Checkpoint::open(&path).is_ok());
    tensors[0].bytes.truncate(60); // the pickle now declares 15 elements; the view needs 16
    write_ckpt(&path, &tensors, None);
    let error = Checkpoint::open(&path).err().unwrap();
    assert!(matches!(&error, CheckpointError::OutOfBounds { key, .. } if key == "big"), "{error}");
}

#[test]
fn truncated_ckpt_files_fail_cleanly() {
    let dir = temp_dir("ckpt-truncated");
    let path = dir.join("whole.ckpt");
    write_ckpt(&path, &text_encoder_tensors(|k| format!("{LDM_TE}{k}"))[..6], None);
    let bytes = std::fs::read(&path).unwrap();
    for cut in (1..bytes.len()).step_by(bytes.len() / 97 + 1) {
        let cut_path = dir.join("cut.ckpt");
        std::fs::write(&cut_path, &bytes[..cut]).unwrap();
        // Any cut loses the zip's end-of-central-directory record, so every one must fail.
        let error = Checkpoint::open(&cut_path).err().unwrap_or_else(|| panic!("cut at {cut} must fail"));
        assert!(error.to_string().contains("cut.ckpt"), "{error}");
    }
}

/// A whole archive written by real `torch.save` (torch 2.15): shared storages, a transposed view and an
/// offset view, fp16/bf16/int64, under `state_dict` next to counters.
#[test]
fn a_real_torch_save_archive_reads_with_its_views() {
    let checkpoint = Checkpoint::open(super::support::fixture("pickle/tiny_torch_save.ckpt")).unwrap();
    let read = |key: &str| checkpoint.read_f32(key).unwrap();
    assert_eq!(read("model.diffusion_model.input.weight").values, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    let transposed = read("model.diffusion_model.input.weight_t");
    assert_eq!((transposed.shape, transposed.values), (vec![3, 2], vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]));
    assert_eq!(read("model.diffusion_model.input.row1").values, [3.0, 4.0, 5.0]);
    assert_eq!(read("model.diffusion_model.half").values, [0.0, 0.5, 1.0, 1.5]);
    assert_eq!(read("first_stage_model.bf16").values, [-2.0, -1.0, 0.0, 1.0]);
    assert_eq!(read("cond_stage_model.steps").values, [10.0, 11.0, 12.0]);
    assert_eq!(checkpoint.len(), 6, "only the state dict's tensors");
}

/// A view far into a storage whose size the pickle and the zip directory both overstate: the reader
/// must check the storage against the file's real length, not trust the directory.
#[test]
fn a_directory_that_lies_about_a_storage_size_is_refused() {
    let path = temp_dir("ckpt-lying").join("lying.ckpt");
    let mut tensor = CkptTensor::new("w", &[2], "FloatStorage", vec![0; 8]);
    tensor.offset = 1_000_000;
    tensor.declared_numel = Some(1_000_002);
    write_ckpt(&path, &[tensor], None);
    let honest = Checkpoint::open(&path).err().expect("the view lies outside the 8-byte storage");
    assert!(matches!(&honest, CheckpointError::OutOfBounds { key, .. } if key == "w"), "{honest}");

    let mut bytes = std::fs::read(&path).unwrap();
    // Central directory header (PK\x01\x02) of `archive/data/0`: sizes at +20 and +24, name at +46.
    let name = b"archive/data/0";
    let header = (0..bytes.len() - 46)
        .find(|&i| bytes[i..i + 4] == *b"PK\x01\x02" && bytes[i + 46..].starts_with(name))
        .expect("central directory entry");
    for field in [header + 20, header + 24] {
        bytes[field..field + 4].copy_from_slice(&(4_000_008u32).to_le_bytes());
    }
    std::fs::write(&path, &bytes).unwrap();
    let error = Checkpoint::open(&path).err().expect("a storage claimed past the end of the file");
    assert!(error.to_string().contains("lying.ckpt"), "{error}");
}
