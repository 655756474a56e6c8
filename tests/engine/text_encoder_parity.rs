//! The CLIP text encoder against diffusers/transformers, on the CPU backend and on wgpu, in f32 and f16.

use burn::tensor::{DType, Tensor};
use nurie::checkpoint::Checkpoint;
use nurie::model::{ClipSkip, ClipTextEncoder};
use nurie::runtime::ComputeDevice;

use super::support::{assert_close, cpu, gpu, reference_ids, references, sd15_dev, tolerance};

/// Runs the encoder on the reference ids and checks every hidden state and both conditioning outputs.
fn check_text_encoder(compute: ComputeDevice, dtype: DType, row: &str) {
    let device = &compute.device;
    let refs = references();
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    let encoder = ClipTextEncoder::load(&checkpoint, device, dtype).unwrap();
    let ids = reference_ids();
    let rows: Vec<&[u32]> = ids.chunks(77).collect();
    let tol = tolerance("text_encoder", row);
    let layers = encoder.config().layers;
    let hidden = encoder.hidden_states(&rows, layers).unwrap();
    for (i, state) in hidden.iter().enumerate() {
        let name = format!("te.hidden_states.{i}");
        assert_close(&name, &read(state.clone()), &refs.read_f32(&name).unwrap(), tol);
    }
    let last = encoder.encode(&rows, ClipSkip(1)).unwrap();
    assert_close("te.last_hidden_state", &read(last), &refs.read_f32("te.last_hidden_state").unwrap(), tol);
    let penultimate = encoder.encode(&rows, ClipSkip(2)).unwrap();
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

#[test]
fn ids_outside_the_vocabulary_are_an_error_not_a_crash() {
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    let encoder = ClipTextEncoder::load(&checkpoint, &cpu().device, DType::F32).unwrap();
    let mut ids = reference_ids()[..77].to_vec();
    ids[5] = 49408;
    let error = encoder.encode(&[&ids], ClipSkip(1)).err().unwrap();
    assert_eq!(error, nurie::model::EncodeError::OutOfVocabulary { id: 49408, vocab: 49408 });
    let long = vec![320u32; 78];
    assert!(encoder.encode(&[&long], ClipSkip(1)).is_err());
    assert!(encoder.encode(&[&ids[..10], &ids[..11]], ClipSkip(1)).is_err());
}
