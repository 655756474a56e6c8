//! The few layer types the networks are built from, loaded by structure from checkpoint keys.

use burn::module::Param;
use burn::tensor::ops::{AttentionModuleOptions, ConvOptions};
use burn::tensor::{DType, Tensor, activation, module};

use super::attention_heads;
use super::merge::{MergeTarget, Pristine, add_in_f32};
use super::profile::{self, image_shape};
use super::weights::WeightLoader;
use crate::checkpoint::Result;
use crate::runtime::cpu::{self, Conv2dGeometry};

/// A fully connected layer. PyTorch stores the weight as [out, in]; it is kept transposed as
/// [in, out], the layout burn's `linear` multiplies with.
#[derive(Debug, Clone)]
pub struct Linear {
    weight: Tensor<2>,
    bias: Option<Tensor<1>>,
    /// The module's name from the network's root, for merging LoRAs.
    path: std::sync::Arc<str>,
    /// Whether the weight is copied into an [in, out] layout on the CPU ([`Linear::load_for_few_rows`]).
    few_rows: bool,
    /// The weight as loaded, while a network is merged into it.
    pristine: Option<Pristine<2>>,
}

impl Linear {
    /// Loads `weight` (and `bias` when present) and checks them against `[outputs, inputs]`.
    pub fn load(weights: &WeightLoader, inputs: usize, outputs: usize) -> Result<Self> {
        let weight = weights.tensor_shaped::<2>("weight", [outputs, inputs])?.transpose();
        Self::with_weight(weights, weight, outputs, false)
    }

    /// [`Linear::load`] for layers that multiply a few rows at a time (the text encoder's 77 tokens a
    /// prompt): on the CPU the weight is copied once into an [in, out] layout, because `gemm` multiplies
    /// few rows by a weight read through the stored [out, in] one at well under half its speed.
    pub fn load_for_few_rows(weights: &WeightLoader, inputs: usize, outputs: usize) -> Result<Self> {
        let weight = weights.tensor_shaped::<2>("weight", [outputs, inputs])?.transpose();
        Self::with_weight(weights, cpu::laid_out_contiguously(weight), outputs, true)
    }

    /// Loads a linear layer stored either as [out, in] or as a 1×1 convolution [out, in, 1, 1] (the
    /// LDM VAE's attention projections).
    pub fn load_pointwise(weights: &WeightLoader, inputs: usize, outputs: usize) -> Result<Self> {
        let stored: [&[usize]; 2] = [&[outputs, inputs], &[outputs, inputs, 1, 1]];
        let weight = weights.tensor_as::<2>("weight", &stored, [outputs, inputs])?.transpose();
        Self::with_weight(weights, weight, outputs, false)
    }

    fn with_weight(weights: &WeightLoader, weight: Tensor<2>, outputs: usize, few_rows: bool) -> Result<Self> {
        let bias = weights.contains("bias").then(|| weights.tensor_shaped::<1>("bias", [outputs])).transpose()?;
        Ok(Self { weight, bias, path: weights.module_path(), few_rows, pristine: None })
    }

    pub fn outputs(&self) -> usize {
        self.weight.dims()[1]
    }

    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let [inputs, outputs] = self.weight.dims();
        let rows = x.shape().num_elements() / inputs.max(1);
        let probe = profile::start(&x);
        let y = if cpu::applies(&x) && self.weight.dtype() == DType::F32 {
            cpu::linear(x, &self.weight, self.bias.as_ref())
        } else {
            module::linear(x, self.weight.clone(), self.bias.clone())
        };
        profile::record(probe, "linear", y, |_| {
            (format!("{inputs}→{outputs}, {rows} rows"), 2.0 * (inputs * outputs * rows) as f64)
        })
    }
}

impl MergeTarget for Linear {
    fn module_path(&self) -> &str {
        &self.path
    }

    fn torch_shape(&self) -> Vec<usize> {
        let [inputs, outputs] = self.weight.dims();
        vec![outputs, inputs]
    }

    fn device(&self) -> burn::tensor::Device {
        self.weight.device()
    }

    /// Merges in PyTorch's [out, in] layout and keeps the layout the layer was loaded with.
    fn merge(&mut self, delta: Tensor<2>) {
        let pristine = self.pristine.get_or_insert_with(|| Pristine::keep(&self.weight));
        let original = pristine.tensor(&self.weight.device()).transpose();
        let merged = cpu::laid_out_contiguously(add_in_f32(original, delta)).transpose();
        self.weight = if self.few_rows { cpu::laid_out_contiguously(merged) } else { merged };
    }

    fn restore(&mut self) {
        if let Some(pristine) = self.pristine.take() {
            self.weight = pristine.tensor(&self.weight.device());
        }
    }
}

/// Layer normalization over the last dimension.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    gamma: Tensor<1>,
    beta: Tensor<1>,
    epsilon: f64,
}

impl LayerNorm {
    pub fn load(weights: &WeightLoader, width: usize, epsilon: f64) -> Result<Self> {
        Ok(Self { gamma: weights.tensor_shaped("weight", [width])?, beta: weights.tensor_shaped("bias", [width])?, epsilon })
    }

    /// On a GPU in f32 through [`row_moments`] whatever the input's dtype, as PyTorch's f16 LayerNorm
    /// accumulates in f32: burn's own layer norm on wgpu takes the f16 mean and variance of f16 values,
    /// which moved a reference unit's AdaIN statistics far off (relative L2 0.33 against the pipeline's
    /// latents on lavapipe; 0.022 in f32). Burn's CPU backend already computes f16 layer norms in f32.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let probe = profile::start(&x);
        let y = if !cpu::is_cpu(&x) {
            let dtype = x.dtype();
            layer_norm_by_products(x.cast(DType::F32), &self.gamma, &self.beta, self.epsilon).cast(dtype)
        } else {
            module::layer_norm(x, self.gamma.clone(), Some(self.beta.clone()), self.epsilon)
        };
        profile::record(probe, "layer norm", y, |y| (format!("{:?}", y.dims()), 0.0))
    }
}

/// A 2-D convolution with square kernels, loaded from `weight` [out, in, k, k] and optional `bias`.
#[derive(Debug, Clone)]
pub struct Conv2d {
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    geometry: Conv2dGeometry,
    /// The module's name from the network's root, for merging LoRAs.
    path: std::sync::Arc<str>,
    /// The weight as loaded, while a network is merged into it.
    pristine: Option<Pristine<4>>,
}

impl Conv2d {
    /// Loads a convolution whose shape is read from the checkpoint; `padding` keeps "same" size for
    /// stride 1 (k / 2).
    pub fn load(weights: &WeightLoader, stride: usize) -> Result<Self> {
        let shape = weights.shape("weight")?;
        let [outputs, inputs, kh, kw] = shape[..] else {
            return Err(weights.wrong_shape(&weights.key("weight"), "[out, in, k, k]".into(), shape));
        };
        if kh != kw || kh % 2 == 0 || outputs == 0 || inputs == 0 {
            return Err(weights.wrong_shape(&weights.key("weight"), "an odd square kernel".into(), shape));
        }
        Self::load_shaped(weights, [outputs, inputs, kh, kw], stride)
    }

    /// Loads a convolution whose shape must be `expected`, padded to keep "same" size at stride 1.
    pub fn load_shaped(weights: &WeightLoader, expected: [usize; 4], stride: usize) -> Result<Self> {
        let padding = expected[2] / 2;
        Self::load_padded(weights, expected, stride, [(padding, padding); 2])
    }

    /// Loads a convolution with explicit (before, after) padding per spatial axis.
    pub fn load_padded(
        weights: &WeightLoader,
        expected: [usize; 4],
        stride: usize,
        padding: [(usize, usize); 2],
    ) -> Result<Self> {
        let weight = weights.tensor_shaped("weight", expected)?;
        let bias = weights.contains("bias").then(|| weights.tensor_shaped("bias", [expected[0]])).transpose()?;
        let geometry = Conv2dGeometry { stride, padding };
        Ok(Self { weight, bias, geometry, path: weights.module_path(), pristine: None })
    }

    /// The 1×1 shortcut of a residual block taking `channels` to `out` channels, stored as `name`:
    /// present only when the widths differ (identity otherwise), so its absence is an error only then.
    pub fn load_shortcut(weights: &WeightLoader, name: &str, channels: usize, out: usize) -> Result<Option<Self>> {
        match weights.contains(&format!("{name}.weight")) {
            true => Ok(Some(Self::load_shaped(&weights.sub(name), [out, channels, 1, 1], 1)?)),
            false if channels == out => Ok(None),
            false => Err(weights.missing(&format!("{name}.weight"))),
        }
    }

    pub fn out_channels(&self) -> usize {
        self.weight.dims()[0]
    }

    pub fn in_channels(&self) -> usize {
        self.weight.dims()[1]
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let input = x.dims();
        let probe = profile::start(&x);
        let y = if cpu::applies(&x) && self.weight.dtype() == DType::F32 {
            cpu::conv2d(x, &self.weight, self.bias.as_ref(), self.geometry)
        } else {
            let options = ConvOptions::new_with_padding([self.geometry.stride; 2], self.geometry.padding, [1, 1], 1);
            if accumulates_f16_convolutions_in_f16(&x) {
                let f32 = |t: Tensor<4>| t.cast(DType::F32);
                let bias = self.bias.clone().map(|b| b.cast(DType::F32));
                module::conv2d(f32(x), f32(self.weight.clone()), bias, options).cast(DType::F16)
            } else {
                module::conv2d(x, self.weight.clone(), self.bias.clone(), options)
            }
        };
        profile::record(probe, "convolution", y, |y| self.describe(input, y.dims()))
    }

    /// The profile's label and floating-point operations of one call.
    fn describe(&self, input: [usize; 4], output: [usize; 4]) -> (String, f64) {
        let [outputs, inputs, k, _] = self.weight.dims();
        let stride = self.geometry.stride;
        let label = format!("{k}×{k}/{stride} {inputs}→{outputs} {}", image_shape(input));
        (label, 2.0 * (output.iter().product::<usize>() * inputs * k * k) as f64)
    }
}

impl MergeTarget for Conv2d {
    fn module_path(&self) -> &str {
        &self.path
    }

    fn torch_shape(&self) -> Vec<usize> {
        self.weight.dims().to_vec()
    }

    fn device(&self) -> burn::tensor::Device {
        self.weight.device()
    }

    fn merge(&mut self, delta: Tensor<2>) {
        let pristine = self.pristine.get_or_insert_with(|| Pristine::keep(&self.weight));
        let original = pristine.tensor(&self.weight.device());
        let delta = delta.reshape(original.dims());
        self.weight = cpu::laid_out_contiguously(add_in_f32(original, delta));
    }

    fn restore(&mut self) {
        if let Some(pristine) = self.pristine.take() {
            self.weight = pristine.tensor(&self.weight.device());
        }
    }
}

/// Group normalization over 32 groups, computed in f32 with f32 parameters for every model dtype.
#[derive(Debug, Clone)]
pub struct GroupNorm32 {
    inner: burn::nn::GroupNorm,
}

impl GroupNorm32 {
    pub const GROUPS: usize = 32;

    pub fn load(weights: &WeightLoader, channels: usize, epsilon: f64) -> Result<Self> {
        if !channels.is_multiple_of(Self::GROUPS) {
            let key = weights.key("weight");
            return Err(weights.wrong_shape(&key, "a channel count divisible by 32".into(), vec![channels]));
        }
        let weights = weights.with_dtype(DType::F32);
        let inner = burn::nn::GroupNorm {
            gamma: Some(Param::from_tensor(weights.tensor_shaped("weight", [channels])?)),
            beta: Some(Param::from_tensor(weights.tensor_shaped("bias", [channels])?)),
            num_groups: Self::GROUPS,
            num_channels: channels,
            epsilon,
            affine: true,
        };
        Ok(Self { inner })
    }

    /// Normalizes in f32 whatever the input's dtype: group statistics summed in f16 lose digits
    /// (and the whole pipeline drifts), as PyTorch's f16 GroupNorm also accumulates in f32.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        self.normalize(x, false)
    }

    /// GroupNorm then SiLU, the pair every ResNet block opens with: one pass on the CPU.
    pub fn forward_silu<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        self.normalize(x, true)
    }

    fn normalize<const D: usize>(&self, x: Tensor<D>, then_silu: bool) -> Tensor<D> {
        let probe = profile::start(&x);
        let affine = self.inner.gamma.as_ref().zip(self.inner.beta.as_ref()).map(|(gamma, beta)| (gamma.val(), beta.val()));
        let y = match (cpu::applies(&x), affine) {
            (true, Some((gamma, beta))) => cpu::group_norm(x, &gamma, &beta, Self::GROUPS, self.inner.epsilon, then_silu),
            (false, Some((gamma, beta))) => {
                let dtype = x.dtype();
                let y = group_norm_by_products(x.cast(DType::F32), &gamma, &beta, Self::GROUPS, self.inner.epsilon).cast(dtype);
                if then_silu { activation::silu(y) } else { y }
            }
            (true, None) | (false, None) => {
                let dtype = x.dtype();
                let y = self.inner.forward(x.cast(DType::F32)).cast(dtype);
                if then_silu { activation::silu(y) } else { y }
            }
        };
        let label = if then_silu { " + SiLU" } else { "" };
        profile::record(probe, "group norm", y, |y| (format!("{:?}{label}", y.dims()), 0.0))
    }
}

/// The rows of a [b, r, n] f32 tensor summarized over their n values: each row's mean and biased
/// variance ([b, r, 1]), and the rows less their means.
pub(crate) struct RowMoments {
    pub mean: Tensor<3>,
    pub centered: Tensor<3>,
    pub variance: Tensor<3>,
}

/// [`RowMoments`] of `rows`, whose sums are matrix products with a column of ones, not reductions: on
/// wgpu, burn's fused reduction of an f16 tensor cast to f32 came out wrong when autotune picked its
/// `fused_reduce_fallback` (issue 22's note), and that is what the statistics of an f16 model are.
pub(crate) fn row_moments(rows: Tensor<3>) -> RowMoments {
    let [batch, _, values] = rows.dims();
    let average = Tensor::<3>::ones([batch, values, 1], (&rows.device(), DType::F32)) / values as f32;
    let mean = rows.clone().matmul(average.clone());
    let centered = rows - mean.clone();
    let variance = centered.clone().powi_scalar(2).matmul(average);
    RowMoments { mean, centered, variance }
}

/// Whether `x`'s convolution would sum f16 products in f16: an f16 tensor on a GPU without tensor
/// cores, where burn's autotune can only pick its direct convolution, whose accumulator is the
/// element type. Such convolutions run in f32 instead (the inputs cast per call), as PyTorch's f16
/// convolutions accumulate in f32: on lavapipe the f16 UNet was 7.6e-3 (relative L2) from diffusers'
/// output, three times CPU f16's and PyTorch f16's 2.5e-3; in f32 it is 2.5e-3. With tensor cores,
/// burn's implicit-GEMM convolutions accumulate in f32 already.
fn accumulates_f16_convolutions_in_f16(x: &Tensor<4>) -> bool {
    x.dtype() == DType::F16 && !cpu::is_cpu(x) && !crate::model::attention_heads::has_f16_tensor_cores()
}

/// Layer normalization of `x` (f32) over its last dimension through [`row_moments`].
fn layer_norm_by_products<const D: usize>(x: Tensor<D>, gamma: &Tensor<1>, beta: &Tensor<1>, epsilon: f64) -> Tensor<D> {
    let dims = x.dims();
    let width = dims[D - 1];
    let rows = dims.iter().product::<usize>() / width;
    let RowMoments { centered, variance, .. } = row_moments(x.reshape([1, rows, width]));
    let normed = (centered / (variance + epsilon).sqrt()).reshape(dims);
    let mut per_value = [1usize; D];
    per_value[D - 1] = width;
    normed * gamma.clone().cast(DType::F32).reshape(per_value) + beta.clone().cast(DType::F32).reshape(per_value)
}

/// Group normalization of `x` (f32) through [`row_moments`].
fn group_norm_by_products<const D: usize>(
    x: Tensor<D>,
    gamma: &Tensor<1>,
    beta: &Tensor<1>,
    groups: usize,
    epsilon: f64,
) -> Tensor<D> {
    let dims = x.dims();
    let (batch, channels) = (dims[0], dims[1]);
    let per_group = dims.iter().product::<usize>() / (batch * groups);
    let RowMoments { centered, variance, .. } = row_moments(x.reshape([batch, groups, per_group]));
    let normed = (centered / (variance + epsilon).sqrt()).reshape(dims);
    let mut per_channel = [1usize; D];
    per_channel[1] = channels;
    normed * gamma.clone().reshape(per_channel) + beta.clone().reshape(per_channel)
}

/// Scaled dot-product attention of `q` [b, heads, n, d] over `k`, `v` [b, heads, m, d] through burn's
/// fused op (the n×m scores are never stored whole), timed by the profile.
pub fn attention(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>, options: AttentionModuleOptions) -> Tensor<4> {
    let ([batch, heads, n, d], m) = (q.dims(), k.dims()[2]);
    let probe = profile::start(&q);
    let all_f32 = [k.dtype(), v.dtype()].iter().all(|&dtype| dtype == DType::F32);
    let y = if cpu::applies(&q) && all_f32 && !options.is_causal && options.scale.is_none() && options.softcap.is_none() {
        cpu::attention(q, k, v)
    } else if let Some(padded) = attention_heads::padded_width(d).filter(|_| !cpu::is_cpu(&q) && options.scale.is_none()) {
        attention_heads::padded_attention(q, k, v, padded, options)
    } else {
        module::attention(q, k, v, None, None, options)
    };
    profile::record(probe, "attention", y, |_| {
        (format!("{heads}×{d} heads, {n}→{m} tokens, batch {batch}"), 4.0 * (batch * heads * n * m * d) as f64)
    })
}
