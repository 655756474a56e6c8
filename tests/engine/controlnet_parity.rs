//! The ControlNet against diffusers on both backends: hint embedding, the 12 + 1 residuals, and the
//! UNet's noise prediction with the residuals added at scale 1.0 and 0.5.

use burn::tensor::{DType, Tensor};
use nurie::checkpoint::Checkpoint;
use nurie::model::{ControlNet, Unet};
use nurie::runtime::ComputeDevice;

use super::support::{Weights, assert_close, cpu, gpu, tolerance};

fn check_controlnet(compute: ComputeDevice, dtype: DType, row: &str, weights: Weights) {
    let refs = weights.references();
    let tol = tolerance("controlnet", row);
    let controlnet = ControlNet::load(&Checkpoint::open(weights.controlnet()).unwrap(), &compute.device, dtype).unwrap();
    let unet = Unet::load(&Checkpoint::open(weights.checkpoint()).unwrap(), &compute.device, dtype).unwrap();
    let sample = weights.tensor::<4>("unet.sample", &compute, dtype);
    let context = weights.tensor::<3>("unet.context", &compute, dtype);
    let hint = weights.tensor::<4>("controlnet.hint", &compute, dtype).repeat_dim(0, 2);
    let read = |t: Tensor<4>| t.try_into_vec_as::<f32>().unwrap();

    let embedded = controlnet.embed_hint(hint.clone());
    assert_close("cond_embedding", &read(embedded), &refs.read_f32("controlnet.t500.debug.cond_embedding").unwrap(), tol);
    let residuals = controlnet.forward(sample.clone(), &[500.0], &context, hint).unwrap();
    for (i, down) in residuals.down.iter().enumerate() {
        let name = format!("controlnet.t500.down.{i}");
        assert_close(&name, &read(down.clone()), &refs.read_f32(&name).unwrap(), tol);
    }
    assert_close("controlnet.t500.mid", &read(residuals.mid.clone()), &refs.read_f32("controlnet.t500.mid").unwrap(), tol);
    for scale in [1.0f32, 0.5] {
        let scaled = residuals.clone().scaled(|_| scale);
        let eps = unet.forward(sample.clone(), &[500.0], &context, Some(&scaled)).unwrap();
        let name = format!("controlnet.t500.eps_scale{scale:.1}");
        assert_close(&name, &read(eps), &refs.read_f32(&name).unwrap(), tol);
    }
}

#[test]
fn cpu_f32_matches_reference() {
    check_controlnet(cpu(), DType::F32, "fp32", Weights::Fp16File);
}

#[test]
fn cpu_f16_matches_reference() {
    check_controlnet(cpu(), DType::F16, "fp16", Weights::Fp16File);
}

#[test]
fn wgpu_f32_matches_reference() {
    check_controlnet(gpu(), DType::F32, "fp32", Weights::Fp16File);
}

#[test]
fn wgpu_f16_matches_reference() {
    check_controlnet(gpu(), DType::F16, "fp16", Weights::Fp16File);
}

#[test]
fn a_hint_of_the_wrong_size_is_refused() {
    let compute = cpu();
    let controlnet =
        ControlNet::load(&Checkpoint::open(Weights::Fp16File.controlnet()).unwrap(), &compute.device, DType::F32).unwrap();
    let sample = Tensor::<4>::zeros([1, 4, 12, 8], &compute.device);
    let context = Tensor::<3>::zeros([1, 77, 128], &compute.device);
    let hint = Tensor::<4>::zeros([1, 3, 64, 64], &compute.device);
    let error = controlnet.forward(sample, &[1.0], &context, hint).err().unwrap();
    assert!(error.to_string().contains("[96, 64]"), "{error}");
}

#[test]
fn cpu_f32_from_fp32_file_matches_reference() {
    check_controlnet(cpu(), DType::F32, "fp32", Weights::Fp32File);
}

#[test]
fn wgpu_f32_from_fp32_file_matches_reference() {
    check_controlnet(gpu(), DType::F32, "fp32", Weights::Fp32File);
}
