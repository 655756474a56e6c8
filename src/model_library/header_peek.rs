//! What a `.safetensors` file holds, from its tensor names alone.
//!
//! A safetensors file starts with an 8-byte little-endian length and that many bytes of JSON mapping each
//! tensor name to its dtype, shape and offsets. Reading only that header tells a checkpoint from a VAE or
//! a ControlNet without touching the gigabytes of weights after it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use serde::de::IgnoredAny;

use super::kind::ModelKind;

/// The largest header read. Real SD headers are a few hundred kilobytes; this only guards against a
/// corrupt length making us allocate gigabytes.
const MAX_HEADER_BYTES: u64 = 100 * 1024 * 1024;

/// The entry safetensors reserves for free-form metadata; not a tensor.
const METADATA_KEY: &str = "__metadata__";

#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    #[error("reading the safetensors header: {0}")]
    Io(#[from] io::Error),
    #[error("the safetensors header claims {claimed} bytes, more than the {cap} allowed")]
    TooLarge { claimed: u64, cap: u64 },
    #[error("the safetensors header claims {claimed} bytes but only {available} follow the length")]
    Truncated { claimed: u64, available: u64 },
    #[error("the safetensors header is not a JSON object: {0}")]
    NotJson(#[from] serde_json::Error),
}

/// The kind the file's tensor names show, or `None` when the header cannot be read or says nothing
/// decisive; the caller then trusts the folder.
pub fn kind_from_header(path: &Path) -> Option<ModelKind> {
    read_tensor_names(path, MAX_HEADER_BYTES).ok().and_then(|names| kind_from_tensor_names(&names))
}

/// The tensor names in a safetensors header, without parsing the per-tensor entries.
pub fn read_tensor_names(path: &Path, cap: u64) -> Result<Vec<String>, HeaderError> {
    let mut file = File::open(path)?;
    let available = file.metadata()?.len().saturating_sub(8);
    let mut length = [0u8; 8];
    file.read_exact(&mut length)?;
    let claimed = u64::from_le_bytes(length);
    if claimed > cap {
        return Err(HeaderError::TooLarge { claimed, cap });
    }
    if claimed > available {
        return Err(HeaderError::Truncated { claimed, available });
    }
    let mut json = Vec::new();
    file.take(claimed).read_to_end(&mut json)?;
    let entries: BTreeMap<String, IgnoredAny> = serde_json::from_slice(&json)?;
    Ok(entries.into_keys().filter(|name| name != METADATA_KEY).collect())
}

/// Classifies by the key conventions of the files users actually have:
/// - ControlNet: lllyasviel's `control_model.*`, the same without prefix (`input_hint_block.*`), or
///   diffusers' `controlnet_cond_embedding.*`. Checked first: v1.0 ControlNets also carry a full UNet.
/// - LoRA: kohya's `lora_unet_*` / `lora_te*`, or PEFT-style `.lora_down.` / `.lora_A.`.
/// - Checkpoint: the LDM UNet, `model.diffusion_model.*`.
/// - VAE: an autoencoder decoder, bare (`decoder.*`, as A1111's VAE files) or LDM-prefixed
///   (`first_stage_model.decoder.*`), with no UNet (a full checkpoint has both and matched above).
pub fn kind_from_tensor_names(names: &[String]) -> Option<ModelKind> {
    let any = |test: &dyn Fn(&str) -> bool| names.iter().any(|name| test(name));
    if any(&|n| n.starts_with("control_model.") || n.contains("input_hint_block") || n.contains("controlnet_cond_embedding")) {
        Some(ModelKind::ControlNet)
    } else if any(&|n| {
        n.starts_with("lora_unet_") || n.starts_with("lora_te") || n.contains(".lora_down.") || n.contains(".lora_A.")
    }) {
        Some(ModelKind::Lora)
    } else if any(&|n| n.starts_with("model.diffusion_model.")) {
        Some(ModelKind::Checkpoint)
    } else if any(&|n| n.starts_with("decoder.") || n.starts_with("first_stage_model.decoder.")) {
        Some(ModelKind::Vae)
    } else {
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// Writes a small but well-formed safetensors file: a real JSON header with one 2-byte f16 tensor per
    /// name, all sharing the same data bytes.
    pub(crate) fn write_safetensors(path: &Path, names: &[&str]) {
        let mut header = serde_json::Map::new();
        header.insert(METADATA_KEY.into(), serde_json::json!({ "format": "pt" }));
        for name in names {
            header.insert((*name).into(), serde_json::json!({ "dtype": "F16", "shape": [1], "data_offsets": [0, 2] }));
        }
        let json = serde_json::to_vec(&header).unwrap();
        let mut file = File::create(path).unwrap();
        file.write_all(&(json.len() as u64).to_le_bytes()).unwrap();
        file.write_all(&json).unwrap();
        file.write_all(&[0, 0]).unwrap();
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_tensor_names_and_drops_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        write_safetensors(&path, &["b.weight", "a.weight"]);
        assert_eq!(read_tensor_names(&path, MAX_HEADER_BYTES).unwrap(), names(&["a.weight", "b.weight"]));
    }

    #[test]
    fn a_length_past_the_cap_is_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        write_safetensors(&path, &["a.weight"]);
        let error = read_tensor_names(&path, 16).unwrap_err();
        assert!(matches!(error, HeaderError::TooLarge { cap: 16, .. }), "{error}");
    }

    #[test]
    fn corrupt_headers_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        let short = dir.path().join("short.safetensors");
        std::fs::write(&short, [1, 2, 3]).unwrap();
        assert!(matches!(read_tensor_names(&short, MAX_HEADER_BYTES), Err(HeaderError::Io(_))));

        let truncated = dir.path().join("truncated.safetensors");
        let mut bytes = 1000u64.to_le_bytes().to_vec();
        bytes.extend_from_slice(b"{}");
        std::fs::write(&truncated, &bytes).unwrap();
        let error = read_tensor_names(&truncated, MAX_HEADER_BYTES).unwrap_err();
        assert!(matches!(error, HeaderError::Truncated { claimed: 1000, available: 2 }), "{error}");

        let garbage = dir.path().join("garbage.safetensors");
        let mut bytes = 5u64.to_le_bytes().to_vec();
        bytes.extend_from_slice(b"[1,2]");
        std::fs::write(&garbage, &bytes).unwrap();
        assert!(matches!(read_tensor_names(&garbage, MAX_HEADER_BYTES), Err(HeaderError::NotJson(_))));
        assert_eq!(kind_from_header(&garbage), None);
    }

    #[test]
    fn classifies_the_common_key_layouts() {
        let kind = |list: &[&str]| kind_from_tensor_names(&names(list));
        let sd15 = [
            "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight",
            "first_stage_model.decoder.conv_in.weight",
            "model.diffusion_model.input_blocks.0.0.weight",
        ];
        assert_eq!(kind(&sd15), Some(ModelKind::Checkpoint));
        assert_eq!(
            kind(&["control_model.input_hint_block.0.weight", "control_model.zero_convs.0.0.weight"]),
            Some(ModelKind::ControlNet)
        );
        assert_eq!(kind(&["input_hint_block.0.weight", "input_blocks.0.0.weight"]), Some(ModelKind::ControlNet));
        assert_eq!(
            kind(&["controlnet_cond_embedding.conv_in.weight", "down_blocks.0.resnets.0.conv1.weight"]),
            Some(ModelKind::ControlNet)
        );
        // lllyasviel's v1.0 ControlNets bundle the whole SD model next to the control branch.
        assert_eq!(
            kind(&["control_model.input_hint_block.0.weight", "model.diffusion_model.out.2.weight"]),
            Some(ModelKind::ControlNet)
        );
        assert_eq!(kind(&["decoder.conv_in.weight", "encoder.conv_in.weight", "quant_conv.weight"]), Some(ModelKind::Vae));
        assert_eq!(
            kind(&["first_stage_model.decoder.conv_in.weight", "first_stage_model.encoder.conv_in.weight"]),
            Some(ModelKind::Vae)
        );
        assert_eq!(kind(&["lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight"]), Some(ModelKind::Lora));
        assert_eq!(kind(&["text_model.embeddings.token_embedding.weight"]), None);
        assert_eq!(kind(&[]), None);
    }
}
