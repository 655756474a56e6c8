//! Group normalization on the CPU, optionally followed by SiLU in the same pass: every ResNet block
//! of the UNet and the VAE starts with GroupNorm → SiLU, and burn's ops make that five or six passes
//! over the activations (mean, variance, normalize, scale, shift, sigmoid, product). Here it is two
//! reading passes for the statistics and one writing pass, a group at a time (in cache), groups in
//! parallel.

use burn::tensor::Tensor;
use rayon::prelude::*;

use super::exp::exp;
use super::{View, tensor_from};

/// Statistics are summed in f32 lanes over chunks of this many values, and the chunks in f64, so
/// a group of a million values (VAE at 512²) keeps f32's digits.
const CHUNK: usize = 4096;
const LANES: usize = 16;

/// Normalizes `x` [b, c, …] over groups of `c / groups` channels (all positions), with the per-channel
/// `gamma` and `beta`, and applies SiLU after it when `then_silu`.
pub fn group_norm<const D: usize>(
    x: Tensor<D>,
    gamma: &Tensor<1>,
    beta: &Tensor<1>,
    groups: usize,
    epsilon: f64,
    then_silu: bool,
) -> Tensor<D> {
    let dims = x.dims();
    let x = View::contiguous(x);
    let (gamma, beta) = (View::contiguous(gamma.clone()), View::contiguous(beta.clone()));
    let channels_per_group = dims[1] / groups;
    let plane: usize = dims[2..].iter().product();
    let group_len = channels_per_group * plane;
    let mut out = vec![0.0f32; dims.iter().product()];
    out.par_chunks_exact_mut(group_len).zip(x.data().par_chunks_exact(group_len)).enumerate().for_each(
        |(index, (out, input))| {
            let first_channel = (index % groups) * channels_per_group;
            let channels = first_channel..first_channel + channels_per_group;
            let affine =
                Affine { gamma: &gamma.data()[channels.clone()], beta: &beta.data()[channels], plane, epsilon, then_silu };
            normalize_group(out, input, affine);
        },
    );
    tensor_from(out, dims, None)
}

/// One group's per-channel scale and shift, and what follows the normalization.
#[derive(Clone, Copy)]
struct Affine<'a> {
    gamma: &'a [f32],
    beta: &'a [f32],
    plane: usize,
    epsilon: f64,
    then_silu: bool,
}

dispatch_simd! {
    fn normalize_group(out: &mut [f32], input: &[f32], affine: Affine<'_>) => normalize_group_body
}

#[inline(always)]
fn normalize_group_body(out: &mut [f32], input: &[f32], affine: Affine) {
    let count = input.len() as f64;
    let mean = input.chunks(CHUNK).map(|chunk| lane_sum(chunk, |v| v) as f64).sum::<f64>() / count;
    let center = mean as f32;
    let variance = input.chunks(CHUNK).map(|chunk| lane_sum(chunk, |v| (v - center) * (v - center)) as f64).sum::<f64>() / count;
    let inverse_deviation = 1.0 / (variance + affine.epsilon).sqrt();
    let planes = out.chunks_exact_mut(affine.plane).zip(input.chunks_exact(affine.plane));
    for ((out, input), (&gamma, &beta)) in planes.zip(affine.gamma.iter().zip(affine.beta)) {
        let scale = (inverse_deviation * gamma as f64) as f32;
        let shift = (beta as f64 - mean * inverse_deviation * gamma as f64) as f32;
        if affine.then_silu {
            out.iter_mut().zip(input).for_each(|(o, &v)| *o = silu(v * scale + shift))
        } else {
            out.iter_mut().zip(input).for_each(|(o, &v)| *o = v * scale + shift)
        }
    }
}

/// Σ f(v) over `values`, in `LANES` independent f32 sums so the loop vectorizes.
#[inline(always)]
fn lane_sum(values: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut lanes = [0.0f32; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest: f32 = chunks.remainder().iter().map(|&v| f(v)).sum();
    for chunk in chunks {
        for (lane, &value) in lanes.iter_mut().zip(chunk) {
            *lane += f(value);
        }
    }
    lanes.iter().sum::<f32>() + rest
}

/// x·σ(x), with the vectorizable exponential.
#[inline(always)]
fn silu(x: f32) -> f32 {
    x / (1.0 + exp(-x))
}

#[cfg(test)]
mod tests {
    use burn::tensor::activation;
    use burn::tensor::{Device, Tensor, TensorData};

    use super::*;

    fn values(count: usize, seed: usize) -> Vec<f32> {
        (0..count).map(|i| (((i + seed) * 2654435761usize) % 1000) as f32 / 150.0 - 2.0).collect()
    }

    fn burns(x: Tensor<4>, gamma: &Tensor<1>, beta: &Tensor<1>, groups: usize) -> Tensor<4> {
        let norm = burn::nn::GroupNorm {
            gamma: Some(burn::module::Param::from_tensor(gamma.clone())),
            beta: Some(burn::module::Param::from_tensor(beta.clone())),
            num_groups: groups,
            num_channels: x.dims()[1],
            epsilon: 1e-6,
            affine: true,
        };
        norm.forward(x)
    }

    fn assert_close(ours: Tensor<4>, expected: Tensor<4>) {
        let (ours, expected) = (ours.try_into_vec_as::<f32>().unwrap(), expected.try_into_vec_as::<f32>().unwrap());
        assert_eq!(ours.len(), expected.len());
        for (i, (a, e)) in ours.iter().zip(&expected).enumerate() {
            assert!((a - e).abs() < 1e-5 * (1.0 + e.abs()), "at {i}: {a} vs {e}");
        }
    }

    #[test]
    fn matches_burns_group_norm_with_and_without_silu() {
        let device = Device::flex();
        // A plane longer than a chunk, so the chunked sums are exercised too.
        for [batch, channels, height, width] in [[2, 8, 5, 7], [1, 4, 70, 65]] {
            let shape = [batch, channels, height, width];
            let x = Tensor::<4>::from_data(TensorData::new(values(shape.iter().product(), 1), shape), &device);
            let gamma = Tensor::<1>::from_data(TensorData::new(values(channels, 2), [channels]), &device);
            let beta = Tensor::<1>::from_data(TensorData::new(values(channels, 3), [channels]), &device);
            let expected = burns(x.clone(), &gamma, &beta, 4);
            assert_close(group_norm(x.clone(), &gamma, &beta, 4, 1e-6, false), expected.clone());
            assert_close(group_norm(x, &gamma, &beta, 4, 1e-6, true), activation::silu(expected));
        }
    }

    #[test]
    fn silu_saturates_cleanly() {
        assert_eq!(silu(0.0), 0.0);
        assert!(silu(-200.0).abs() < 1e-30);
        assert!((silu(50.0) - 50.0).abs() < 1e-5);
    }
}
