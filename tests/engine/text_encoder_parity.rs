//! The CLIP text encoder against diffusers/transformers, on the CPU backend and on wgpu, in f32 and f16.

use burn::tensor::{DType, Int, Tensor, TensorData};
use nurie::checkpoint::Checkpoint;
use nurie::model::{ClipSkip, ClipTextEncoder};
use nurie::runtime::ComputeDevice;

use super::support::{assert_close, cpu, gpu, references, sd15_dev, tolerance};

/// Runs the encoder on the reference ids and checks every hidden state and both conditioning outputs.
fn check_text_encoder(compute: ComputeDevice, dtype: DType, row: &str) {
    let device = &compute.device;
    let refs = references();
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    let encoder = ClipTextEncoder::load(&checkpoint, device, dtype).unwrap();
    let ids = refs.read_f32("te.input_ids").unwrap();
    let ids = Tensor::<2, Int>::from_data(
        TensorData::new(ids.values.iter().map(|&v| v as i64).collect(), ids.shape.clone()),
        device,
    );
    let tol = tolerance("text_encoder", row);
    let layers = encoder.config().layers;
    let hidden = encoder.hidden_states(ids.clone(), layers);
    for (i, state) in hidden.iter().enumerate() {
        let name = format!("te.hidden_states.{i}");
        assert_close(&name, &read(state.clone()), &refs.read_f32(&name).unwrap(), tol);
    }
    let last = encoder.encode(ids.clone(), ClipSkip(1));
    assert_close("te.last_hidden_state", &read(last), &refs.read_f32("te.last_hidden_state").unwrap(), tol);
    let penultimate = encoder.encode(ids, ClipSkip(2));
    assert_close("te.penultimate", &read(penultimate), &refs.read_f32("te.penultimate").unwrap(), tol);
}

fn read(tensor: Tensor<3>) -> Vec<f32> {
    tensor.try_into_vec_as::<f32>().expect("device readback")
}

#[test]
fn cpu_f32_matches_reference() {
    check_text_encoder(cpu(), DType::F32, "fp32");
}

#[test]
fn cpu_f16_matches_reference() {
    check_text_encoder(cpu(), DType::F16, "fp16");
}

#[test]
fn wgpu_f32_matches_reference() {
    check_text_encoder(gpu(), DType::F32, "fp32");
}

#[test]
fn wgpu_f16_matches_reference() {
    check_text_encoder(gpu(), DType::F16, "fp16");
}

#[test]
fn architecture_is_inferred_from_shapes() {
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    let encoder = ClipTextEncoder::load(&checkpoint, &cpu().device, DType::F32).unwrap();
    let config = encoder.config();
    assert_eq!((config.vocab_size, config.width, config.layers, config.heads), (49408, 128, 2, 2));
    assert_eq!((config.max_positions, config.mlp_width), (77, 512));
}
