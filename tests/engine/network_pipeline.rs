//! A whole generation with a LoRA tag in the prompt and embeddings in both prompts, the way a user
//! gives them (names resolved from folders by the resolver), against diffusers' pipeline with the
//! same LoRA at 0.7 and the same embeddings (tests/fixtures/networks, `pipe_net.euler`), and the
//! picture's metadata naming them with A1111's hashes.

use burn::tensor::DType;
use nurie::checkpoint::Checkpoint;
use nurie::generate::{Models, Plan, Resolver, generate, record_for};
use nurie::metadata::{GenerationSettings, NetworkKind, infotext};
use nurie::runtime::ComputeDevice;
use nurie::vocabulary::{RngSource, SamplerKind};

use super::support::{Images, assert_close, cpu, fixture, sd15_dev, temp_dir, tolerance};

const RUN: &str = "pipe_net.euler";

/// The LoRA and the two embeddings in folders of their own, as a user keeps them.
fn folders(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let root = temp_dir(name);
    let (loras, embeddings) = (root.join("Lora"), root.join("embeddings"));
    std::fs::create_dir_all(&loras).unwrap();
    std::fs::create_dir_all(&embeddings).unwrap();
    let networks = fixture("networks");
    std::fs::copy(networks.join("lora-kohya-dev.safetensors"), loras.join("lora-kohya-dev.safetensors")).unwrap();
    for file in ["emb-multi-dev.pt", "emb-dev.safetensors"] {
        std::fs::copy(networks.join(file), embeddings.join(file)).unwrap();
    }
    (loras, embeddings)
}

fn check(compute: ComputeDevice, dtype: DType, row: &str, name: &str) {
    let refs = Checkpoint::open(fixture("networks/refs-networks.safetensors")).unwrap();
    let (loras, embeddings) = folders(name);
    let settings = GenerationSettings {
        prompt: "lineart, 1girl, emb-multi-dev, smile, flat color <lora:lora-kohya-dev:0.7>".into(),
        negative_prompt: "lowres, emb-dev, worst quality".into(),
        steps: 4,
        sampler: SamplerKind::Euler.into(),
        cfg_scale: 7.0,
        width: 64,
        height: 96,
        seed: 1,
        rng: RngSource::Cpu,
        batch_size: 1,
        ..GenerationSettings::default()
    };
    let plan = Plan {
        settings,
        checkpoint: sd15_dev(),
        vae: None,
        units: vec![],
        references: vec![],
        init_image: None,
        mask: None,
        color_hints: None,
    };
    let home = temp_dir(&format!("{name}-home"));
    let mut resolver = Resolver::in_home(&home).with_lora_folders(vec![loras]).with_embedding_folders(&[embeddings]);
    let mut resolved = resolver.resolve(&plan).unwrap();
    resolved.request.noise.initial = Some(refs.read_f32(&format!("{RUN}.init_noise")).unwrap().values);
    let mut models = Models::load(&resolved.files, &compute.device, dtype, |_| {}).unwrap();
    let report = models.apply_loras(&resolved.loras).unwrap();
    assert!(report.layers_changed > 0 && report.unmatched.is_empty(), "{report:?}");
    let mut images = Images::default();
    generate(&models, &resolved.request, &compute.device, &mut images).unwrap();
    let image = &images.0[0];
    let latents = refs.read_f32(&format!("{RUN}.final_latents")).unwrap();
    assert_close(&format!("{RUN}.final_latents"), &image.latents, &latents, tolerance("pipeline_latents", row));

    let record = record_for(&resolved.request, 0, &resolved.provenance);
    let named: Vec<(NetworkKind, &str)> = record.networks.iter().map(|n| (n.kind, n.name.as_str())).collect();
    assert_eq!(
        named,
        [(NetworkKind::Lora, "lora-kohya-dev"), (NetworkKind::Embedding, "emb-multi-dev"), (NetworkKind::Embedding, "emb-dev")]
    );
    let text = infotext(&record);
    assert!(text.contains("Lora hashes: \"lora-kohya-dev: "), "{text}");
    assert!(text.contains("TI hashes: \"emb-multi-dev: "), "{text}");
}

#[test]
fn cpu_f32_lora_and_embeddings_match_diffusers() {
    check(cpu(), DType::F32, "fp32", "net-pipe-f32");
}

#[test]
fn cpu_f16_lora_and_embeddings_match_diffusers() {
    check(cpu(), DType::F16, "fp16", "net-pipe-f16");
}
