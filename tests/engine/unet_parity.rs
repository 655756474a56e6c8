//! The UNet against diffusers, on the CPU backend and on wgpu, in f32 and f16: three timesteps on a
//! 12×8 latent (odd sizes on the way down: 12→6→3→2) and a non-square 12×16 batch of one.

use burn::tensor::{DType, Tensor, TensorData};
use nurie::checkpoint::Checkpoint;
use nurie::model::Unet;
use nurie::runtime::ComputeDevice;

use super::support::{assert_close, cpu, gpu, references, sd15_dev, tolerance};

fn tensor<const D: usize>(name: &str, compute: &ComputeDevice, dtype: DType) -> Tensor<D> {
    let t = references().read_f32(name).unwrap();
    Tensor::from_data(TensorData::new(t.values, t.shape), (&compute.device, dtype))
}

fn check_unet(compute: ComputeDevice, dtype: DType, row: &str) {
    let refs = references();
    let unet = Unet::load(&Checkpoint::open(sd15_dev()).unwrap(), &compute.device, dtype).unwrap();
    let tol = tolerance("unet", row);
    let sample = tensor::<4>("unet.sample", &compute, dtype);
    let context = tensor::<3>("unet.context", &compute, dtype);
    for t in [999, 500, 1] {
        let eps = unet.forward(sample.clone(), &[t as f32], &context, None).unwrap();
        let name = format!("unet.t{t}.eps");
        assert_close(&name, &eps.try_into_vec_as::<f32>().unwrap(), &refs.read_f32(&name).unwrap(), tol);
    }
    let sample = tensor::<4>("unet.ns.sample", &compute, dtype);
    let context = context.slice([0..1]);
    let eps = unet.forward(sample, &[250.0], &context, None).unwrap();
    assert_close("unet.ns.t250.eps", &eps.try_into_vec_as::<f32>().unwrap(), &refs.read_f32("unet.ns.t250.eps").unwrap(), tol);
}

#[test]
fn cpu_f32_matches_reference() {
    check_unet(cpu(), DType::F32, "fp32");
}

#[test]
fn cpu_f16_matches_reference() {
    check_unet(cpu(), DType::F16, "fp16");
}

#[test]
fn wgpu_f32_matches_reference() {
    check_unet(gpu(), DType::F32, "fp32");
}

#[test]
fn wgpu_f16_matches_reference() {
    check_unet(gpu(), DType::F16, "fp16");
}

#[test]
fn structure_and_inputs_are_checked() {
    let compute = cpu();
    let unet = Unet::load(&Checkpoint::open(sd15_dev()).unwrap(), &compute.device, DType::F32).unwrap();
    assert_eq!((unet.in_channels(), unet.context_width(), unet.input_block_count()), (4, Some(128), 12));
    let sample = Tensor::<4>::zeros([1, 3, 8, 8], &compute.device);
    let context = Tensor::<3>::zeros([1, 77, 128], &compute.device);
    let error = unet.forward(sample, &[1.0], &context, None).err().unwrap();
    assert_eq!(error, nurie::model::UnetInputError::Channels { found: 3, expected: 4 });
    let sample = Tensor::<4>::zeros([1, 4, 8, 8], &compute.device);
    let wide = Tensor::<3>::zeros([1, 77, 768], &compute.device);
    assert!(unet.forward(sample, &[1.0], &wide, None).is_err());
}
