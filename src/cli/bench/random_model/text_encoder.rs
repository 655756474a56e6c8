//! The CLIP text encoder's tensors as the original SD1.5 checkpoints hold them
//! (`cond_stage_model.transformer.text_model.`, Hugging Face `CLIPTextModel` names), including the
//! integer `position_ids` buffer those files carry (Nurie's loader does not read it).

use super::config::TextConfig;
use super::spec::{Element, Init, Layout, TensorSpec};

/// Every text-encoder tensor under `cond_stage_model.transformer.text_model.`.
pub fn tensors(config: &TextConfig) -> Vec<TensorSpec> {
    let mut layout = Layout::default();
    let width = config.width;
    layout.float("embeddings.token_embedding.weight".into(), vec![config.vocab, width], Init::Embedding);
    layout.float("embeddings.position_embedding.weight".into(), vec![config.positions, width], Init::Embedding);
    layout.push("embeddings.position_ids".into(), vec![1, config.positions], Element::I64, Init::Arange);
    for index in 0..config.layers {
        encoder_layer(&mut layout, &format!("encoder.layers.{index}"), config);
    }
    layout.norm("final_layer_norm", width);
    layout.prefixed("cond_stage_model.transformer.text_model.")
}

/// Pre-norm self-attention and a quick-GELU MLP.
fn encoder_layer(layout: &mut Layout, name: &str, config: &TextConfig) {
    let width = config.width;
    layout.norm(&format!("{name}.layer_norm1"), width);
    for projection in ["q_proj", "k_proj", "v_proj", "out_proj"] {
        layout.linear(&format!("{name}.self_attn.{projection}"), width, width, true);
    }
    layout.norm(&format!("{name}.layer_norm2"), width);
    layout.linear(&format!("{name}.mlp.fc1"), config.mlp_width, width, true);
    layout.linear(&format!("{name}.mlp.fc2"), width, config.mlp_width, true);
}
