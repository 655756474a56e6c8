//! Fuzz target for LoRA files: mutated LyCORIS and kohya files through [`LoraNetwork::open`] and, when
//! a file is accepted, a merge into the dev model and an undo. The merge runs burn's matrix products on
//! the file's shapes, so a shape the checks let through would panic here.
//!
//! Properties: no panic; an accepted file either merges or is refused with an error, and undoing the
//! merge gives the loaded weights back (checked on one output of the text encoder).

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;

use burn::tensor::{DType, Device};

use super::checkpoint_targets::mutate_safetensors_header;
use super::harness::{Check, Mutate, Target, run};
use super::mutate::{ByteContext, mutate_bytes};
use crate::checkpoint::Checkpoint;
use crate::model::{ClipSkip, ClipTextEncoder, Unet};
use crate::networks::lora::{LoraNetwork, WeightedLora, merge_loras};

/// Longest mutated LoRA file.
const MAX_FILE_LEN: usize = 64 << 10;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)
}

/// The dev model's text encoder and UNet on the CPU, and the text encoder's output before any merge.
struct DevModel {
    encoder: ClipTextEncoder,
    unet: Unet,
    loaded_output: Vec<f32>,
}

impl DevModel {
    fn load() -> Self {
        let checkpoint = Checkpoint::open(fixture("parity/sd15-dev-fp16.safetensors")).expect("the dev checkpoint");
        let device = Device::flex();
        let encoder = ClipTextEncoder::load(&checkpoint, &device, DType::F32).expect("the dev text encoder");
        let unet = Unet::load(&checkpoint, &device, DType::F32).expect("the dev UNet");
        let loaded_output = Self::output(&encoder);
        Self { encoder, unet, loaded_output }
    }

    fn output(encoder: &ClipTextEncoder) -> Vec<f32> {
        let ids: Vec<u32> = (0..77).map(|i| if i == 0 { 49406 } else { 49407 - (i % 3) }).collect();
        encoder.encode(&[&ids], ClipSkip(1)).expect("encodes").try_into_vec_as::<f32>().expect("read back")
    }
}

#[test]
fn fuzz_lora_files() {
    let dir = tempfile::tempdir().expect("scratch folder");
    let path = dir.path().join("lora.safetensors");
    let model = RefCell::new(DevModel::load());
    let check: &Check<Vec<u8>> = &|bytes| {
        std::fs::write(&path, bytes).map_err(|e| format!("writing the scratch file: {e}"))?;
        let Ok(network) = LoraNetwork::open(&path) else { return Ok(()) };
        let lora = WeightedLora { network: Arc::new(network), text_encoder: 0.7, unet: 0.7, dyn_dim: None };
        let mut model = model.borrow_mut();
        let DevModel { encoder, unet, loaded_output } = &mut *model;
        if merge_loras(encoder, unet, &[lora]).is_ok() {
            merge_loras(encoder, unet, &[]).map_err(|e| format!("undoing a merge failed: {e}"))?;
        }
        if DevModel::output(encoder) == *loaded_output {
            Ok(())
        } else {
            Err("the text encoder differs from the loaded one after the undo".into())
        }
    };
    let mutate: &Mutate<Vec<u8>> = &|rng, parent, corpus| {
        if rng.one_in(2) {
            return mutate_safetensors_header(rng, parent);
        }
        let mut input = parent.clone();
        mutate_bytes(rng, &mut input, &ByteContext { dictionary: LORA_TOKENS, corpus, max_len: MAX_FILE_LEN });
        input
    };
    let seeds = ["networks/lokr-dev.safetensors", "networks/loha-dev.safetensors"]
        .iter()
        .map(|name| std::fs::read(fixture(name)).expect("a LoRA fixture"))
        .collect();
    let target = Target { name: "lora", seeds, default_execs: 400, mutate, check, heap_limit: &|len| 40 * len + (96 << 20) };
    let report = run(&target);
    println!("{}", report.summary());
    report.assert_clean();
}

/// Words of LoRA files, for the mutator to splice in.
const LORA_TOKENS: &[&[u8]] = &[
    b"lora_unet_",
    b"lora_te_",
    b"lora_te1_",
    b".lora_down.weight",
    b".lora_up.weight",
    b".lora_mid.weight",
    b".alpha",
    b"hada_w1_a",
    b"hada_t1",
    b"lokr_w1",
    b"lokr_w2_b",
    b"lokr_t2",
    b"dora_scale",
    b"down_blocks_0_attentions_0_",
    b"text_model_encoder_layers_0_",
    b"\"shape\":[",
    b"\"F16\"",
    b"\"F32\"",
];
