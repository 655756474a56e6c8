//! Prompts with textual-inversion embeddings against diffusers (`load_textual_inversion`) on the dev
//! text encoder: the three file formats, the vectors' positions and both conditioning outputs, on the
//! CPU backend and wgpu, in f32 and f16 (references: `tests/fixtures/networks/refs-networks.safetensors`).

use burn::tensor::DType;
use nurie::checkpoint::Checkpoint;
use nurie::model::{ClipSkip, ClipTextEncoder};
use nurie::networks::embedding::EmbeddingLibrary;
use nurie::prompt::{ClipTokenizer, PromptEmbeddings, encode_chunks, prompt_chunks_with};
use nurie::runtime::ComputeDevice;

use super::support::{assert_close, cpu, fixture, gpu, sd15_dev, tolerance};

/// (reference key, prompt) as in the manifest's `textual_inversion.embeddings`.
const CASES: [(&str, &str); 3] = [
    ("multi", "a drawing of emb-multi-dev, flat color"),
    ("single", "lowres, emb-dev, worst quality"),
    ("diffusers", "1girl, emb-diffusers-dev smile"),
];

fn check_embedding_prompts(compute: ComputeDevice, dtype: DType, row: &str) {
    let refs = Checkpoint::open(fixture("networks/refs-networks.safetensors")).unwrap();
    let encoder = ClipTextEncoder::load(&Checkpoint::open(sd15_dev()).unwrap(), &compute.device, dtype).unwrap();
    let library = EmbeddingLibrary::scan(&[fixture("networks")]);
    let tokenizer = ClipTokenizer::shared().unwrap();
    let embeddings = PromptEmbeddings::for_clip(&library, Some(encoder.config().width), tokenizer);
    let tol = tolerance("text_encoder", row);
    for (key, prompt) in CASES {
        let chunks = prompt_chunks_with(tokenizer, prompt, Some(&embeddings)).unwrap();
        assert_eq!(chunks.len(), 1, "{key}");
        let (_, positions) = refs.read_i64(&format!("ti.{key}.vector_positions")).unwrap();
        let fix = &chunks[0].fixes[0];
        let found: Vec<i64> = (fix.position..fix.position + fix.embedding.count()).map(|p| p as i64).collect();
        assert_eq!(found, positions, "{key}: vector positions");
        for (clip_skip, output) in [(1, "last_hidden_state"), (2, "penultimate")] {
            let name = format!("ti.{key}.{output}");
            let encoded = encode_chunks(&encoder, &chunks, ClipSkip(clip_skip)).unwrap();
            let values = encoded.try_into_vec_as::<f32>().expect("device readback");
            assert_close(&name, &values, &refs.read_f32(&name).unwrap(), tol);
        }
    }
}

#[test]
fn cpu_f32_embedding_prompts_match_diffusers() {
    check_embedding_prompts(cpu(), DType::F32, "fp32");
}

#[test]
fn cpu_f16_embedding_prompts_match_diffusers() {
    check_embedding_prompts(cpu(), DType::F16, "fp16");
}

#[test]
fn wgpu_f32_embedding_prompts_match_diffusers() {
    check_embedding_prompts(gpu(), DType::F32, "fp32");
}

#[test]
fn wgpu_f16_embedding_prompts_match_diffusers() {
    check_embedding_prompts(gpu(), DType::F16, "fp16");
}
