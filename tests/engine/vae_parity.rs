//! The VAE against diffusers on both backends: decode of diffusion-space latents, and the encoder's
//! posterior (mean and logvar), on a 96×64 image (12×8 latent).

use burn::tensor::{DType, Tensor};
use nurie::checkpoint::Checkpoint;
use nurie::model::Vae;
use nurie::runtime::ComputeDevice;

use super::support::{Weights, assert_close, cpu, gpu, sd15_dev, tolerance};

fn check_vae(compute: ComputeDevice, dtype: DType, row: &str, weights: Weights) {
    let refs = weights.references();
    let tol = tolerance("vae", row);
    let vae = Vae::load(&Checkpoint::open(weights.checkpoint()).unwrap(), &compute.device, dtype).unwrap();
    let read = |t: Tensor<4>| t.try_into_vec_as::<f32>().unwrap();
    // Inputs stay f32: the test is about the VAE's own precision, not the caller's.
    let image = vae.decode(weights.tensor("vae.decode.latents", &compute, DType::F32)).unwrap();
    assert_close("vae.decode.image", &read(image), &refs.read_f32("vae.decode.image").unwrap(), tol);
    let posterior = vae.encode(weights.tensor("vae.encode.image", &compute, DType::F32)).unwrap();
    assert_close("vae.encode.mean", &read(posterior.mean), &refs.read_f32("vae.encode.mean").unwrap(), tol);
    assert_close("vae.encode.logvar", &read(posterior.logvar), &refs.read_f32("vae.encode.logvar").unwrap(), tol);
}

#[test]
fn cpu_f32_matches_reference() {
    check_vae(cpu(), DType::F32, "fp32", Weights::Fp16File);
}

/// Asking for f16 still runs the VAE in f32 (it overflows in f16), so the strict fp32 row applies.
#[test]
fn cpu_f16_request_computes_in_f32() {
    check_vae(cpu(), DType::F16, "fp32", Weights::Fp16File);
}

#[test]
fn wgpu_f32_matches_reference() {
    check_vae(gpu(), DType::F32, "fp32", Weights::Fp16File);
}

#[test]
fn wgpu_f16_request_computes_in_f32() {
    check_vae(gpu(), DType::F16, "fp32", Weights::Fp16File);
}

#[test]
fn cpu_f32_from_fp32_file_matches_reference() {
    check_vae(cpu(), DType::F32, "fp32", Weights::Fp32File);
}

#[test]
fn wgpu_f32_from_fp32_file_matches_reference() {
    check_vae(gpu(), DType::F32, "fp32", Weights::Fp32File);
}

#[test]
fn images_must_have_sides_in_multiples_of_8() {
    let compute = cpu();
    let vae = Vae::load(&Checkpoint::open(sd15_dev()).unwrap(), &compute.device, DType::F32).unwrap();
    let error = vae.encode(Tensor::<4>::zeros([1, 3, 100, 64], &compute.device)).err().unwrap();
    assert_eq!(error, nurie::model::VaeInputError::ImageSize { height: 100, width: 64 });
}
