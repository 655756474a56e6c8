//! LoRA, LoCon, LoHa and LoKr merged into the dev model against references from diffusers
//! (`load_lora_weights` + `set_adapters(…, 0.7)`) and from A1111's formulas computed in Python
//! (tests/fixtures/networks/make_network_refs.py), plus the merge's bookkeeping: undone exactly,
//! re-weighted without drift, files of other families refused by name.

use std::path::PathBuf;

use burn::tensor::{DType, Tensor};
use nurie::checkpoint::Checkpoint;
use nurie::model::merge::{MergeTargets, NoLayers};
use nurie::model::{ClipSkip, ClipTextEncoder, Unet};
use nurie::networks::lora::{LoraError, WeightedLora, merge_loras, weighted_file};
use nurie::runtime::ComputeDevice;

use super::support::{
    Weights, assert_close, cpu, fixture, gpu, reference_ids, sd15_dev, temp_dir, tolerance, write_f32_safetensors,
};
use super::torch_ckpt::{CkptTensor, write_ckpt};

fn network(name: &str) -> PathBuf {
    fixture(&format!("networks/{name}"))
}

fn refs() -> Checkpoint {
    Checkpoint::open(network("refs-networks.safetensors")).unwrap()
}

fn at_07(file: &str) -> Vec<WeightedLora> {
    vec![weighted_file(&network(file), 0.7).unwrap()]
}

fn read<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.try_into_vec_as::<f32>().expect("device readback")
}

fn load(compute: &ComputeDevice, dtype: DType) -> (ClipTextEncoder, Unet) {
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    (
        ClipTextEncoder::load(&checkpoint, &compute.device, dtype).unwrap(),
        Unet::load(&checkpoint, &compute.device, dtype).unwrap(),
    )
}

/// The text encoder's two conditioning outputs on the parity kit's ids.
fn text_outputs(encoder: &ClipTextEncoder) -> [Vec<f32>; 2] {
    let ids = reference_ids();
    let rows: Vec<&[u32]> = ids.chunks(77).collect();
    [read(encoder.encode(&rows, ClipSkip(1)).unwrap()), read(encoder.encode(&rows, ClipSkip(2)).unwrap())]
}

/// The UNet's noise predictions at the three reference timesteps.
fn unet_outputs(unet: &Unet, compute: &ComputeDevice, dtype: DType) -> Vec<Vec<f32>> {
    let sample = Weights::Fp16File.tensor::<4>("unet.sample", compute, dtype);
    let context = Weights::Fp16File.tensor::<3>("unet.context", compute, dtype);
    [999.0, 500.0, 1.0].iter().map(|&t| read(unet.forward(sample.clone(), &[t], &context, None).unwrap())).collect()
}

/// Merges `file` at 0.7 and compares both networks with the references named `prefix.*`.
fn check(file: &str, prefix: &str, compute: ComputeDevice, dtype: DType, row: &str) {
    let (mut encoder, mut unet) = load(&compute, dtype);
    let report = merge_loras(&mut encoder, &mut unet, &at_07(file)).unwrap();
    assert!(report.layers_changed > 0 && report.unmatched.is_empty(), "{report:?}");
    let refs = refs();
    let [last, penultimate] = text_outputs(&encoder);
    let tol = tolerance("text_encoder", row);
    assert_close(
        &format!("{prefix}.te.last_hidden_state"),
        &last,
        &refs.read_f32(&format!("{prefix}.te.last_hidden_state")).unwrap(),
        tol,
    );
    assert_close(
        &format!("{prefix}.te.penultimate"),
        &penultimate,
        &refs.read_f32(&format!("{prefix}.te.penultimate")).unwrap(),
        tol,
    );
    let tol = tolerance("unet", row);
    for (eps, t) in unet_outputs(&unet, &compute, dtype).iter().zip([999, 500, 1]) {
        let name = format!("{prefix}.unet.t{t}.eps");
        assert_close(&name, eps, &refs.read_f32(&name).unwrap(), tol);
    }
}

#[test]
fn kohya_lora_with_locon_matches_diffusers_on_cpu_f32() {
    check("lora-kohya-dev.safetensors", "lora", cpu(), DType::F32, "fp32");
}

#[test]
fn peft_lora_matches_diffusers_on_cpu_f32() {
    check("lora-peft-dev.safetensors", "lora", cpu(), DType::F32, "fp32");
}

#[test]
fn kohya_lora_matches_diffusers_on_cpu_f16() {
    check("lora-kohya-dev.safetensors", "lora", cpu(), DType::F16, "fp16");
}

#[test]
fn loha_matches_a1111_formula() {
    check("loha-dev.safetensors", "loha", cpu(), DType::F32, "fp32");
}

#[test]
fn lokr_matches_a1111_formula() {
    check("lokr-dev.safetensors", "lokr", cpu(), DType::F32, "fp32");
}

/// On a GPU the loaded weights wait in host memory while merged (see `Pristine`): the same results.
#[test]
fn wgpu_f32_kohya_lora_and_lokr_match() {
    check("lora-kohya-dev.safetensors", "lora", gpu(), DType::F32, "fp32");
    check("lokr-dev.safetensors", "lokr", gpu(), DType::F32, "fp32");
}

/// Merging, re-weighting and taking LoRAs out work from the loaded weights: the same set gives the
/// same bits whatever came before, and no set gives back the loaded model bit for bit.
#[test]
fn merges_are_undone_exactly_and_do_not_drift() {
    let compute = cpu();
    let (mut encoder, mut unet) = load(&compute, DType::F16);
    let base = (text_outputs(&encoder), unet_outputs(&unet, &compute, DType::F16));
    let lora = |weight: f32| vec![weighted_file(&network("lora-kohya-dev.safetensors"), weight).unwrap()];
    merge_loras(&mut encoder, &mut unet, &lora(0.7)).unwrap();
    let first = (text_outputs(&encoder), unet_outputs(&unet, &compute, DType::F16));
    assert_ne!(first, base);
    let mut both = lora(0.3);
    both.extend(at_07("loha-dev.safetensors"));
    merge_loras(&mut encoder, &mut unet, &both).unwrap();
    merge_loras(&mut encoder, &mut unet, &lora(0.7)).unwrap();
    assert_eq!((text_outputs(&encoder), unet_outputs(&unet, &compute, DType::F16)), first);
    merge_loras(&mut encoder, &mut unet, &[]).unwrap();
    assert_eq!((text_outputs(&encoder), unet_outputs(&unet, &compute, DType::F16)), base);
}

/// A `.pt` LoRA goes through the safe reader like a checkpoint and merges to the same weights.
#[test]
fn a_pickled_lora_merges_like_its_safetensors_twin() {
    let source = Checkpoint::open(network("lora-kohya-dev.safetensors")).unwrap();
    let tensors: Vec<CkptTensor> = source
        .keys()
        .map(|key| {
            let tensor = source.read_f32(key).unwrap();
            let bytes = tensor.values.iter().flat_map(|v| v.to_le_bytes()).collect();
            CkptTensor::new(key, &tensor.shape, "FloatStorage", bytes)
        })
        .collect();
    let path = temp_dir("lora-pt").join("lora-kohya-dev.pt");
    write_ckpt(&path, &tensors, None);
    let compute = cpu();
    let (mut encoder, mut unet) = load(&compute, DType::F32);
    merge_loras(&mut encoder, &mut unet, &[weighted_file(&path, 0.7).unwrap()]).unwrap();
    let [last, _] = text_outputs(&encoder);
    let tol = tolerance("text_encoder", "fp32");
    assert_close("pt lora.te.last_hidden_state", &last, &refs().read_f32("lora.te.last_hidden_state").unwrap(), tol);
}

fn write_lora(name: &str, tensors: &[(&str, Vec<usize>)]) -> PathBuf {
    let path = temp_dir(&format!("lora-{name}")).join(name);
    let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(key, shape)| (key.to_string(), shape.clone(), vec![0u8; 4 * shape.iter().product::<usize>()]))
        .collect();
    write_f32_safetensors(&path, &tensors);
    path
}

#[test]
fn loras_of_other_families_and_strangers_are_refused_by_name() {
    let sdxl = write_lora("xl.safetensors", &[("lora_te1_text_model_encoder_layers_0_mlp_fc1.alpha", vec![])]);
    let error = weighted_file(&sdxl, 1.0).unwrap_err();
    assert!(matches!(error, LoraError::OtherFamily { family: "SDXL", .. }), "{error}");
    assert!(error.to_string().contains("xl.safetensors"), "{error}");

    let odd = write_lora(
        "odd.safetensors",
        &[
            ("lora_unet_conv_in.lora_down.weight", vec![2, 4, 3, 3]),
            ("lora_unet_conv_in.lora_up.weight", vec![32, 2, 1, 1]),
            ("lora_unet_conv_in.weird", vec![1]),
        ],
    );
    assert!(weighted_file(&odd, 1.0).is_ok(), "unused tensors of a known module are ignored, as A1111 does");
    let half = write_lora("half.safetensors", &[("lora_unet_conv_in.lora_down.weight", vec![2, 4, 3, 3])]);
    let error = weighted_file(&half, 1.0).unwrap_err();
    assert!(error.to_string().contains("incomplete") && error.to_string().contains("lora_unet_conv_in"), "{error}");

    let dora = write_lora(
        "dora.safetensors",
        &[
            ("lora_unet_conv_in.lora_down.weight", vec![2, 4, 3, 3]),
            ("lora_unet_conv_in.lora_up.weight", vec![32, 2, 1, 1]),
            ("lora_unet_conv_in.dora_scale", vec![1, 32]),
        ],
    );
    let error = weighted_file(&dora, 1.0).unwrap_err();
    assert!(error.to_string().contains("DoRA") && error.to_string().contains("lora_unet_conv_in"), "{error}");

    let checkpoint = weighted_file(&sd15_dev(), 1.0).unwrap_err();
    assert!(matches!(checkpoint, LoraError::NotALora { .. }), "{checkpoint}");
}

#[test]
fn a_lora_for_wider_layers_names_the_module_and_changes_nothing() {
    let wide = write_lora(
        "sd2ish.safetensors",
        &[
            ("lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", vec![4, 1024]),
            ("lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight", vec![1024, 4]),
        ],
    );
    let compute = cpu();
    let (mut encoder, mut unet) = load(&compute, DType::F32);
    let before = text_outputs(&encoder);
    let error = merge_loras(&mut encoder, &mut unet, &[weighted_file(&wide, 1.0).unwrap()]).unwrap_err();
    assert!(matches!(error, LoraError::WrongShape { .. }), "{error}");
    assert!(error.to_string().contains("lora_te_text_model_encoder_layers_0_self_attn_q_proj"), "{error}");
    assert_eq!(text_outputs(&encoder), before);

    let elsewhere = write_lora(
        "elsewhere.safetensors",
        &[
            ("lora_unet_down_blocks_0_attentions_0_transformer_blocks_7_attn1_to_q.lora_down.weight", vec![4, 32]),
            ("lora_unet_down_blocks_0_attentions_0_transformer_blocks_7_attn1_to_q.lora_up.weight", vec![32, 4]),
        ],
    );
    let (mut no_encoder, mut no_unet) = (NoLayers, NoLayers);
    let nothing: (&mut dyn MergeTargets, &mut dyn MergeTargets) = (&mut no_encoder, &mut no_unet);
    let error = merge_loras(nothing.0, nothing.1, &[weighted_file(&elsewhere, 1.0).unwrap()]).unwrap_err();
    assert!(matches!(error, LoraError::NothingMatched { count: 1, .. }), "{error}");
}
