//! The UNet against diffusers, on the CPU backend and on wgpu, in f32 and f16: three timesteps on a
//! 12×8 latent (odd sizes on the way down: 12→6→3→2) and a non-square 12×16 batch of one.

use burn::tensor::{DType, Tensor};
use nurie::checkpoint::Checkpoint;
use nurie::model::Unet;
use nurie::runtime::ComputeDevice;

use super::support::{Weights, assert_close, cpu, gpu, sd15_dev, tolerance};

fn check_unet(compute: ComputeDevice, dtype: DType, row: &str, weights: Weights) {
    let refs = weights.references();
    let unet = Unet::load(&Checkpoint::open(weights.checkpoint()).unwrap(), &compute.device, dtype).unwrap();
    let tol = tolerance("unet", row);
    let sample = weights.tensor::<4>("unet.sample", &compute, dtype);
    let context = weights.tensor::<3>("unet.context", &compute, dtype);
    for t in [999, 500, 1] {
        let eps = unet.forward(sample.clone(), &[t as f32], &context, None).unwrap();
        let name = format!("unet.t{t}.eps");
        assert_close(&name, &eps.try_into_vec_as::<f32>().unwrap(), &refs.read_f32(&name).unwrap(), tol);
    }
    let sample = weights.tensor::<4>("unet.ns.sample", &compute, dtype);
    let context = context.narrow(0, 0, 1);
    let eps = unet.forward(sample, &[250.0], &context, None).unwrap();
    assert_close("unet.ns.t250.eps", &eps.try_into_vec_as::<f32>().unwrap(), &refs.read_f32("unet.ns.t250.eps").unwrap(), tol);
}

#[test]
fn cpu_f32_matches_reference() {
    check_unet(cpu(), DType::F32, "fp32", Weights::Fp16File);
}

#[test]
fn cpu_f16_matches_reference() {
    check_unet(cpu(), DType::F16, "fp16", Weights::Fp16File);
}

#[test]
fn wgpu_f32_matches_reference() {
    check_unet(gpu(), DType::F32, "fp32", Weights::Fp16File);
}

#[test]
fn wgpu_f16_matches_reference() {
    check_unet(gpu(), DType::F16, "fp16", Weights::Fp16File);
}

/// The fp32 file against references computed from it: fails if any weight is rounded to fp16 on the way.
#[test]
fn cpu_f32_from_fp32_file_matches_reference() {
    check_unet(cpu(), DType::F32, "fp32", Weights::Fp32File);
}

#[test]
fn wgpu_f32_from_fp32_file_matches_reference() {
    check_unet(gpu(), DType::F32, "fp32", Weights::Fp32File);
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

/// Residuals of the wrong width (a ControlNet made for another UNet) are an error naming the residual.
#[test]
fn residuals_of_a_mismatched_controlnet_are_refused() {
    let compute = cpu();
    let unet = Unet::load(&Checkpoint::open(sd15_dev()).unwrap(), &compute.device, DType::F32).unwrap();
    let sample = Tensor::<4>::zeros([1, 4, 8, 8], &compute.device);
    let context = Tensor::<3>::zeros([1, 77, 128], &compute.device);
    let sizes = [8, 8, 8, 4, 4, 4, 2, 2, 2, 1, 1, 1];
    let down: Vec<Tensor<4>> = sizes.iter().map(|&s| Tensor::zeros([1, 48, s, s], &compute.device)).collect();
    let residuals = nurie::model::ControlResiduals { down, mid: Tensor::zeros([1, 64, 1, 1], &compute.device) };
    let error = unet.forward(sample.clone(), &[1.0], &context, Some(&residuals)).err().unwrap();
    assert!(matches!(error, nurie::model::UnetInputError::ResidualShape { index: 0, .. }), "{error}");
    let too_few = nurie::model::ControlResiduals { down: residuals.down[..11].to_vec(), mid: residuals.mid };
    let error = unet.forward(sample, &[1.0], &context, Some(&too_few)).err().unwrap();
    assert_eq!(error, nurie::model::UnetInputError::ResidualCount { found: 11, expected: 12 });
}

/// An inpainting UNet (9 input channels: latent, mask, masked-image latent) loads from its shapes.
#[test]
fn a_nine_channel_inpainting_unet_loads_and_runs() {
    let source = Checkpoint::open(sd15_dev()).unwrap();
    let conv_in = "model.diffusion_model.input_blocks.0.0.weight";
    let owned: Vec<(String, Vec<usize>, Vec<u8>)> = source
        .keys()
        .filter(|k| k.starts_with("model.diffusion_model."))
        .map(|k| {
            let t = source.read_f32(k).unwrap();
            if k != conv_in {
                return (k.to_string(), t.shape, bytemuck::cast_slice(&t.values).to_vec());
            }
            // Extra input channels start at zero, as when an inpainting model is made from a base model.
            let [out, inp, kh, kw] = t.shape[..] else { panic!("conv_in rank") };
            let mut values = Vec::with_capacity(out * 9 * kh * kw);
            for o in 0..out {
                values.extend_from_slice(&t.values[o * inp * kh * kw..(o + 1) * inp * kh * kw]);
                values.extend(std::iter::repeat_n(0.0f32, (9 - inp) * kh * kw));
            }
            (k.to_string(), vec![out, 9, kh, kw], bytemuck::cast_slice(&values).to_vec())
        })
        .collect();
    let path = super::support::temp_dir("inpaint").join("inpainting.safetensors");
    super::support::write_f32_safetensors(&path, &owned);

    let compute = cpu();
    let dtype = DType::F32;
    let unet = Unet::load(&Checkpoint::open(&path).unwrap(), &compute.device, dtype).unwrap();
    assert_eq!(unet.in_channels(), 9);
    // With zero weights on the extra channels, the prediction equals the 4-channel model's.
    let weights = Weights::Fp16File;
    let refs = weights.references();
    let sample = weights.tensor::<4>("unet.sample", &compute, dtype);
    let extra = Tensor::<4>::ones([2, 5, 12, 8], &compute.device);
    let context = weights.tensor::<3>("unet.context", &compute, dtype);
    let eps = unet.forward(Tensor::cat(vec![sample, extra], 1), &[500.0], &context, None).unwrap();
    assert_close(
        "inpainting eps",
        &eps.try_into_vec_as::<f32>().unwrap(),
        &refs.read_f32("unet.t500.eps").unwrap(),
        tolerance("unet", "fp32"),
    );
}
