//! Nurie's engine tests, in one binary to keep link time down on small machines.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/model_variant.rs"]
mod model_variant;

mod engine {
    pub mod support;

    mod checkpoint_files;
    mod cli;
    mod color_hints;
    mod controlnet_parity;
    mod embedding_parity;
    mod embeddings;
    mod generation_flow;
    mod hires_fix;
    mod history_cli;
    mod inpaint_parity;
    mod inspect_cli;
    mod layered_export;
    mod lora_parity;
    mod network_pipeline;
    mod pages_cli;
    mod pipeline_parity;
    mod prompt_conditioning;
    mod reference_parity;
    mod text_encoder_parity;
    mod tokenizer_cases;
    mod torch_ckpt;
    mod torch_ckpt_files;
    mod unet_parity;
    mod upscale_parity;
    mod vae_parity;
}
