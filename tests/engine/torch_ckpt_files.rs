//! PyTorch `.ckpt` files: read without executing anything, in the layouts found in the wild.

use burn::tensor::DType;
use nurie::checkpoint::layout::TextEncoderLayout;
use nurie::checkpoint::{Checkpoint, CheckpointError, FileFormat};
use nurie::model::ClipTextEncoder;

use super::support::{assert_close, cpu, reference_ids, references, sd15_dev, temp_dir, tolerance};
use super::torch_ckpt::{CkptLayout, CkptTensor, write_ckpt, write_ckpt_as};

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

fn deflated_storages() -> CkptLayout<'static> {
    CkptLayout { storages: zip::CompressionMethod::Deflated, ..CkptLayout::default() }
}

/// Archives re-zipped by other tools compress their storages: the tensors read the same.
#[test]
fn deflated_storages_read_like_stored_ones() {
    let path = temp_dir("ckpt-deflated").join("deflated.ckpt");
    let mut offset_view = CkptTensor::new("row1", &[3], "FloatStorage", (0..6).flat_map(|v| (v as f32).to_le_bytes()).collect());
    offset_view.offset = 3;
    write_ckpt_as(
        &path,
        &[CkptTensor::new("zeros", &[256, 256], "HalfStorage", vec![0; 131_072]), offset_view],
        &deflated_storages(),
    );
    let checkpoint = Checkpoint::open(&path).unwrap();
    assert_eq!(checkpoint.read_f32("row1").unwrap().values, [3.0, 4.0, 5.0]);
    assert!(checkpoint.read_f32("zeros").unwrap().values.iter().all(|&v| v == 0.0));
}

/// Compressed storages are inflated when a tensor is read, not when the file is opened: listing a
/// file's tensors (`nurie inspect`) never inflates a zip bomb, and a broken storage fails only the
/// tensor that needs it, naming its entry.
#[test]
fn a_compressed_storage_is_inflated_only_when_its_tensor_is_read() {
    let path = temp_dir("ckpt-lazy").join("lazy.ckpt");
    let tensor = CkptTensor::new("w", &[4096], "FloatStorage", vec![0; 16_384]);
    write_ckpt_as(&path, &[tensor], &deflated_storages());
    let mut bytes = std::fs::read(&path).unwrap();
    // Turn the storage's deflate stream into garbage: the local header of `archive/data/0` is
    // followed by its name and then the compressed bytes.
    let name = b"archive/data/0";
    let local = (0..bytes.len() - 30).find(|&i| bytes[i..i + 4] == *b"PK\x03\x04" && bytes[i + 30..].starts_with(name)).unwrap();
    let extra = u16::from_le_bytes([bytes[local + 28], bytes[local + 29]]) as usize;
    let stream = local + 30 + name.len() + extra;
    bytes[stream] = 0xff; // block type 3: reserved, an error for any inflater
    std::fs::write(&path, &bytes).unwrap();

    let checkpoint = Checkpoint::open(&path).expect("opening reads no storage");
    assert_eq!(checkpoint.shape("w").unwrap(), [4096]);
    let error = checkpoint.read_f32("w").unwrap_err();
    assert!(error.to_string().contains("lazy.ckpt") && error.to_string().contains("archive/data/0"), "{error}");
}

/// A tensor that claims more bytes than its compressed storage could ever inflate to is refused when
/// the file is opened (deflate expands at most 1032:1).
#[test]
fn a_tensor_larger_than_its_compressed_storage_can_hold_is_refused() {
    let path = temp_dir("ckpt-bomb").join("bomb.ckpt");
    let mut tensor = CkptTensor::new("w", &[1 << 24], "FloatStorage", vec![0; 64]);
    tensor.declared_numel = Some(1 << 24);
    write_ckpt_as(&path, &[tensor], &deflated_storages());
    // Claim 64 MiB in the zip directory too, as a bomb would.
    let mut bytes = std::fs::read(&path).unwrap();
    let name = b"archive/data/0";
    let header = (0..bytes.len() - 46).find(|&i| bytes[i..i + 4] == *b"PK\x01\x02" && bytes[i + 46..].starts_with(name)).unwrap();
    bytes[header + 24..header + 28].copy_from_slice(&(64u32 << 20).to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let error = Checkpoint::open(&path).err().expect("64 MiB cannot come out of a few compressed bytes");
    assert!(error.to_string().contains("bomb.ckpt") && error.to_string().contains("`w`"), "{error}");
}

/// A compressed pickle may inflate only to what a description of the archive's entries needs (a 4 MB
/// file once inflated a 4 GiB `data.pkl`); a stored one is read as it is.
#[test]
fn a_compressed_pickle_far_larger_than_its_archive_needs_is_refused() {
    let dir = temp_dir("ckpt-pickle-bomb");
    let tensors = [CkptTensor::new("w", &[2], "FloatStorage", vec![0; 8])];
    let padded = |pickle| CkptLayout { pickle, pickle_padding: 2 << 20, ..CkptLayout::default() };
    let stored = dir.join("stored.ckpt");
    write_ckpt_as(&stored, &tensors, &padded(zip::CompressionMethod::Stored));
    assert!(Checkpoint::open(&stored).is_ok(), "a big stored pickle costs only the file's own size");
    let bomb = dir.join("pickle-bomb.ckpt");
    write_ckpt_as(&bomb, &tensors, &padded(zip::CompressionMethod::Deflated));
    let error = Checkpoint::open(&bomb).err().expect("2 MiB of pickle for 4 entries");
    assert!(error.to_string().contains("pickle-bomb.ckpt") && error.to_string().contains("data.pkl"), "{error}");
}

/// `cp new.ckpt old.ckpt` truncates the old file while Nurie may be reading it: the read fails with a
/// message naming the file instead of killing the process (SIGBUS, with a memory-mapped file).
#[test]
fn a_model_file_truncated_while_open_gives_an_error_not_a_crash() {
    let path = temp_dir("ckpt-truncated-while-open").join("replaced.ckpt");
    write_ckpt(&path, &[CkptTensor::new("w", &[65_536], "FloatStorage", vec![1; 262_144])], None);
    let checkpoint = Checkpoint::open(&path).unwrap();
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(4096).unwrap();
    let error = checkpoint.read_f32("w").unwrap_err();
    assert!(matches!(error, CheckpointError::ChangedWhileReading { .. }), "{error}");
    assert!(error.to_string().contains("replaced.ckpt"), "{error}");
}
