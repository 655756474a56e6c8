//! The CLIP text encoder of SD1.x (transformers `CLIPTextModel` semantics): token and position
//! embeddings, a pre-LayerNorm transformer with causal self-attention and quick-GELU MLPs, and a final
//! LayerNorm. Width, depth and MLP size are read from the tensor shapes; heads = width / 64, the rule
//! every CLIP text encoder follows (the head count is not stored in checkpoints).

use burn::tensor::activation::sigmoid;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{DType, Device, Tensor, TensorData};

use super::layers::{LayerNorm, Linear, attention};
use super::merge::{MergeTarget, MergeTargets};
use super::weights::WeightLoader;
use crate::checkpoint::layout::TextEncoderLayout;
use crate::checkpoint::{Checkpoint, Result};

const HEAD_SIZE: usize = 64;
const LAYER_NORM_EPS: f64 = 1e-5;

/// Sizes of a CLIP text encoder, inferred from a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClipConfig {
    pub vocab_size: usize,
    pub max_positions: usize,
    pub width: usize,
    pub layers: usize,
    pub heads: usize,
    pub mlp_width: usize,
}

impl ClipConfig {
    pub fn infer(weights: &WeightLoader) -> Result<Self> {
        let [vocab_size, width] = matrix_shape(weights, "embeddings.token_embedding.weight")?;
        let [max_positions, _] = matrix_shape(weights, "embeddings.position_embedding.weight")?;
        if width % HEAD_SIZE != 0 {
            let key = weights.key("embeddings.token_embedding.weight");
            return Err(weights.wrong_shape(&key, "a width that is a multiple of 64".into(), vec![vocab_size, width]));
        }
        let layers = (0..).take_while(|i| weights.contains(&format!("encoder.layers.{i}.layer_norm1.weight"))).count();
        if layers == 0 {
            return Err(weights.missing("encoder.layers.0.layer_norm1.weight"));
        }
        let [mlp_width, _] = matrix_shape(weights, "encoder.layers.0.mlp.fc1.weight")?;
        Ok(Self { vocab_size, max_positions, width, layers, heads: width / HEAD_SIZE, mlp_width })
    }
}

/// The shape of a weight matrix with no zero-sized side, or a `WrongShape` error naming the key.
fn matrix_shape(weights: &WeightLoader, name: &str) -> Result<[usize; 2]> {
    match weights.shape(name)?[..] {
        [rows, columns] if rows > 0 && columns > 0 => Ok([rows, columns]),
        ref other => Err(weights.wrong_shape(&weights.key(name), "a non-empty matrix".into(), other.to_vec())),
    }
}

/// Token ids that cannot be encoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EncodeError {
    #[error("token id {id} is outside the text encoder's vocabulary of {vocab} tokens")]
    OutOfVocabulary { id: u32, vocab: usize },
    #[error("a row of {found} tokens does not fit the text encoder's {max} positions")]
    TooLong { found: usize, max: usize },
    #[error("the token rows have different lengths")]
    Ragged,
    #[error("no tokens to encode")]
    Empty,
    #[error("{fixes} rows of embedding fixes were given for {rows} token rows")]
    FixRows { fixes: usize, rows: usize },
    #[error("embedding vectors of {values} values are not whole vectors of the text encoder's width {width}")]
    FixWidth { values: usize, width: usize },
    #[error("embedding vectors placed at position {position}, past the row's {tokens} tokens")]
    FixPosition { position: usize, tokens: usize },
}

/// Textual-inversion vectors that replace a row's token embeddings from `position` on, before the
/// position embeddings are added (A1111's `EmbeddingsWithFixes`). `vectors` is `[n, width]` row-major
/// in f32; as in A1111, only the vectors that fit before the row's end are used
/// (`emb_len = min(tokens - position, n)`), and they take the encoder's dtype.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenFix<'a> {
    pub position: usize,
    pub vectors: &'a [f32],
}

/// The loaded text encoder.
#[derive(Debug, Clone)]
pub struct ClipTextEncoder {
    config: ClipConfig,
    layout: TextEncoderLayout,
    token_embedding: TokenEmbedding,
    position_embedding: Tensor<2>,
    layers: Vec<EncoderLayer>,
    final_layer_norm: LayerNorm,
}

impl ClipTextEncoder {
    /// Loads the text encoder from an SD1.x checkpoint in any supported key layout.
    pub fn load(checkpoint: &Checkpoint, device: &Device, dtype: DType) -> Result<Self> {
        let layout = TextEncoderLayout::detect(checkpoint)?;
        let weights = WeightLoader::new(checkpoint, layout.prefix(), device, dtype);
        let config = ClipConfig::infer(&weights)?;
        let embeddings = weights.sub("embeddings");
        let layers = (0..config.layers)
            .map(|i| EncoderLayer::load(&weights.sub(format!("encoder.layers.{i}")), &config))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            config,
            layout,
            token_embedding: TokenEmbedding::load(&embeddings, &config)?,
            position_embedding: embeddings.tensor_shaped("position_embedding.weight", [config.max_positions, config.width])?,
            layers,
            final_layer_norm: LayerNorm::load(&weights.sub("final_layer_norm"), config.width, LAYER_NORM_EPS)?,
        })
    }

    pub fn config(&self) -> ClipConfig {
        self.config
    }

    pub fn layout(&self) -> TextEncoderLayout {
        self.layout
    }

    /// The residual stream after each of the first `depth` layers: element 0 is the embeddings,
    /// element i the output of layer i (no final LayerNorm). `rows` are equal-length token-id rows.
    pub fn hidden_states(&self, rows: &[&[u32]], depth: usize) -> Result<Vec<Tensor<3>>, EncodeError> {
        self.hidden_states_with_fixes(rows, &[], depth)
    }

    /// [`Self::hidden_states`] with embedding vectors put into the token embeddings: `fixes` is empty
    /// (none) or holds one list per row.
    pub fn hidden_states_with_fixes(
        &self,
        rows: &[&[u32]],
        fixes: &[Vec<TokenFix>],
        depth: usize,
    ) -> Result<Vec<Tensor<3>>, EncodeError> {
        let tokens = self.check_rows(rows)?;
        self.check_fixes(rows.len(), tokens, fixes)?;
        let device = self.position_embedding.device();
        let positions = self.position_embedding.clone().narrow(0, 0, tokens).unsqueeze::<3>();
        let dtype = self.position_embedding.dtype();
        let mut x = self.token_embedding.lookup(rows, fixes, &device, dtype) + positions;
        let mut states = Vec::with_capacity(depth + 1);
        for layer in &self.layers[..depth.min(self.layers.len())] {
            states.push(x.clone());
            x = layer.forward(x, self.config.heads);
        }
        states.push(x);
        Ok(states)
    }

    fn check_fixes(&self, rows: usize, tokens: usize, fixes: &[Vec<TokenFix>]) -> Result<(), EncodeError> {
        if !fixes.is_empty() && fixes.len() != rows {
            return Err(EncodeError::FixRows { fixes: fixes.len(), rows });
        }
        let width = self.config.width;
        for fix in fixes.iter().flatten() {
            if fix.vectors.len() % width != 0 {
                return Err(EncodeError::FixWidth { values: fix.vectors.len(), width });
            }
            if fix.position > tokens {
                return Err(EncodeError::FixPosition { position: fix.position, tokens });
            }
        }
        Ok(())
    }

    fn check_rows(&self, rows: &[&[u32]]) -> Result<usize, EncodeError> {
        let tokens = rows.first().map_or(0, |row| row.len());
        if tokens == 0 {
            return Err(EncodeError::Empty);
        }
        if rows.iter().any(|row| row.len() != tokens) {
            return Err(EncodeError::Ragged);
        }
        if tokens > self.config.max_positions {
            return Err(EncodeError::TooLong { found: tokens, max: self.config.max_positions });
        }
        let vocab = self.config.vocab_size;
        match rows.iter().flat_map(|row| row.iter()).find(|&&id| id as usize >= vocab) {
            Some(&id) => Err(EncodeError::OutOfVocabulary { id, vocab }),
            None => Ok(tokens),
        }
    }

    /// The conditioning A1111 calls "CLIP skip n": the output of layer N−n+1 of N, then the final
    /// LayerNorm. Skip 1 is the usual last hidden state; skip 2 the penultimate layer's output.
    pub fn encode(&self, rows: &[&[u32]], clip_skip: ClipSkip) -> Result<Tensor<3>, EncodeError> {
        self.encode_with_fixes(rows, &[], clip_skip)
    }

    /// [`Self::encode`] with textual-inversion vectors: `fixes` is empty (none) or one list per row.
    pub fn encode_with_fixes(
        &self,
        rows: &[&[u32]],
        fixes: &[Vec<TokenFix>],
        clip_skip: ClipSkip,
    ) -> Result<Tensor<3>, EncodeError> {
        let depth = self.config.layers + 1 - clip_skip.resolve(self.config.layers);
        let mut states = self.hidden_states_with_fixes(rows, fixes, depth)?;
        // hidden_states returns depth + 1 states, at least the embeddings.
        let last = states.pop().ok_or(EncodeError::Empty)?;
        Ok(self.final_layer_norm.forward(last))
    }

    /// Applies the final LayerNorm to a raw hidden state.
    pub fn final_norm(&self, hidden: Tensor<3>) -> Tensor<3> {
        self.final_layer_norm.forward(hidden)
    }
}

/// How many layers to stop before the end, as A1111's "Clip skip" setting (1 = none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClipSkip(pub usize);

impl Default for ClipSkip {
    fn default() -> Self {
        Self(1)
    }
}

impl ClipSkip {
    /// Clamps to the encoder's depth: skip 0 means 1, and at most every layer but the first is skipped.
    pub fn resolve(self, layers: usize) -> usize {
        self.0.clamp(1, layers.max(1))
    }
}

/// The token-embedding table, kept in host memory: a prompt needs only 77·k of its rows. On the GPU
/// the full table (49408×768 f32 = 152 MB) would exceed the 128 MiB storage-buffer limit of many
/// Vulkan drivers (lavapipe among them) and spend device memory on a lookup.
#[derive(Debug, Clone)]
struct TokenEmbedding {
    table: std::sync::Arc<Vec<f32>>,
    width: usize,
}

impl TokenEmbedding {
    fn load(embeddings: &WeightLoader, config: &ClipConfig) -> Result<Self> {
        let table = embeddings.host_tensor("token_embedding.weight", &[config.vocab_size, config.width])?;
        Ok(Self { table: std::sync::Arc::new(table), width: config.width })
    }

    /// Gathers the rows of `ids` (checked to be in the vocabulary) into a [batch, tokens, width] tensor,
    /// with each row's fixes (checked) written over their positions, on the host and in f32, before
    /// the one upload and cast.
    fn lookup(&self, rows: &[&[u32]], fixes: &[Vec<TokenFix>], device: &Device, dtype: DType) -> Tensor<3> {
        let tokens = rows.first().map_or(0, |row| row.len());
        let mut values = Vec::with_capacity(rows.len() * tokens * self.width);
        for &id in rows.iter().flat_map(|row| row.iter()) {
            let start = id as usize * self.width;
            values.extend_from_slice(&self.table[start..start + self.width]);
        }
        for (row, row_fixes) in fixes.iter().enumerate() {
            let row_values = &mut values[row * tokens * self.width..(row + 1) * tokens * self.width];
            row_fixes.iter().for_each(|fix| self.apply_fix(row_values, tokens, fix));
        }
        Tensor::from_data(TensorData::new(values, [rows.len(), tokens, self.width]), (device, dtype))
    }

    /// A1111's `EmbeddingsWithFixes`: `emb_len = min(tokens - position, n)` vectors from `position`.
    fn apply_fix(&self, row_values: &mut [f32], tokens: usize, fix: &TokenFix) {
        let count = (fix.vectors.len() / self.width).min(tokens.saturating_sub(fix.position));
        let start = fix.position * self.width;
        let length = count * self.width;
        row_values[start..start + length].copy_from_slice(&fix.vectors[..length]);
    }
}

#[derive(Debug, Clone)]
struct EncoderLayer {
    layer_norm1: LayerNorm,
    attention: SelfAttention,
    layer_norm2: LayerNorm,
    fc1: Linear,
    fc2: Linear,
}

impl EncoderLayer {
    fn load(weights: &WeightLoader, config: &ClipConfig) -> Result<Self> {
        let width = config.width;
        Ok(Self {
            layer_norm1: LayerNorm::load(&weights.sub("layer_norm1"), width, LAYER_NORM_EPS)?,
            attention: SelfAttention::load(&weights.sub("self_attn"), width)?,
            layer_norm2: LayerNorm::load(&weights.sub("layer_norm2"), width, LAYER_NORM_EPS)?,
            fc1: Linear::load_for_few_rows(&weights.sub("mlp.fc1"), width, config.mlp_width)?,
            fc2: Linear::load_for_few_rows(&weights.sub("mlp.fc2"), config.mlp_width, width)?,
        })
    }

    fn forward(&self, x: Tensor<3>, heads: usize) -> Tensor<3> {
        let x = x.clone() + self.attention.forward(self.layer_norm1.forward(x), heads);
        let h = self.fc1.forward(self.layer_norm2.forward(x.clone()));
        x + self.fc2.forward(quick_gelu(h))
    }
}

/// CLIP's activation: x·σ(1.702x).
fn quick_gelu(x: Tensor<3>) -> Tensor<3> {
    x.clone() * sigmoid(x * 1.702)
}

#[derive(Debug, Clone)]
struct SelfAttention {
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
}

impl SelfAttention {
    fn load(weights: &WeightLoader, width: usize) -> Result<Self> {
        Ok(Self {
            q: Linear::load_for_few_rows(&weights.sub("q_proj"), width, width)?,
            k: Linear::load_for_few_rows(&weights.sub("k_proj"), width, width)?,
            v: Linear::load_for_few_rows(&weights.sub("v_proj"), width, width)?,
            out: Linear::load_for_few_rows(&weights.sub("out_proj"), width, width)?,
        })
    }

    /// Causal multi-head self-attention through burn's fused attention op.
    fn forward(&self, x: Tensor<3>, heads: usize) -> Tensor<3> {
        let [batch, tokens, width] = x.dims();
        let split = |t: Tensor<3>| t.reshape([batch, tokens, heads, width / heads]).swap_dims(1, 2);
        let q = split(self.q.forward(x.clone()));
        let k = split(self.k.forward(x.clone()));
        let v = split(self.v.forward(x));
        let options = AttentionModuleOptions { is_causal: true, ..Default::default() };
        let attended = attention(q, k, v, options);
        self.out.forward(attended.swap_dims(1, 2).reshape([batch, tokens, width]))
    }
}

impl MergeTargets for ClipTextEncoder {
    fn for_each_target(&mut self, visit: &mut dyn FnMut(&mut dyn MergeTarget)) {
        for layer in &mut self.layers {
            let SelfAttention { q, k, v, out } = &mut layer.attention;
            [q, k, v, out, &mut layer.fc1, &mut layer.fc2].into_iter().for_each(|linear| visit(linear));
        }
    }
}
