//! The gated GELU of the transformer blocks' feed-forward, in one pass on the CPU: the projection's
//! output [rows, 2·inner] is split into a value half and a gate half, and the result is
//! value · GELU(gate). With burn's ops that is two strided copies, an erf evaluated one value at a
//! time and a product: about 1 s of a full-size UNet step on two cores (`nurie bench --profile`).

use burn::tensor::Tensor;
use rayon::prelude::*;

use super::{View, tensor_from};

/// Rows handed to one parallel task.
const ROWS_PER_TASK: usize = 16;

/// value · GELU(gate) for `h` [.., 2·inner] whose last axis holds the value then the gate.
pub fn geglu<const D: usize>(h: Tensor<D>) -> Tensor<D> {
    let mut dims = h.dims();
    let inner = dims[D - 1] / 2;
    let h = View::contiguous(h);
    let rows = dims.iter().product::<usize>() / (2 * inner).max(1);
    let mut out = vec![0.0f32; rows * inner];
    let input = &h.data()[..rows * 2 * inner];
    out.par_chunks_mut(ROWS_PER_TASK * inner).zip(input.par_chunks(ROWS_PER_TASK * 2 * inner)).for_each(|(out, input)| {
        gate_rows(out, input, inner);
    });
    dims[D - 1] = inner;
    tensor_from(out, dims, None)
}

dispatch_simd! {
    fn gate_rows(out: &mut [f32], input: &[f32], inner: usize) => gate_rows_body
}

#[inline(always)]
fn gate_rows_body(out: &mut [f32], input: &[f32], inner: usize) {
    for (out, row) in out.chunks_exact_mut(inner).zip(input.chunks_exact(2 * inner)) {
        let (value, gate) = row.split_at(inner);
        for ((o, &v), &g) in out.iter_mut().zip(value).zip(gate) {
            *o = v * gelu(g);
        }
    }
}

/// The exact GELU, x·Φ(x) = x/2 · (1 + erf(x/√2)), as PyTorch's default computes it.
#[inline(always)]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// erf(x) as a rational function x·P(x²)/Q(x²) on [−4, 4] (beyond which erf is ±1 in f32): the
/// minimax approximation Eigen and XLA use for f32, a few ulp from the exact value, written as plain
/// arithmetic so the loop vectorizes.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let p = -2.726_142_3e-10f32;
    let p = p * x2 + 2.770_681_4e-8;
    let p = p * x2 + -2.101_024e-6;
    let p = p * x2 + -5.692_506_4e-5;
    let p = p * x2 + -7.349_906_3e-4;
    let p = p * x2 + -2.954_6e-3;
    let p = p * x2 + -1.609_603_3e-2;
    let q = -1.456_607_2e-5f32;
    let q = q * x2 + -2.133_740_6e-4;
    let q = q * x2 + -1.682_827e-3;
    let q = q * x2 + -7.373_329e-3;
    let q = q * x2 + -1.426_474e-2;
    x * p / q
}

#[cfg(test)]
mod tests {
    use burn::tensor::activation;
    use burn::tensor::{Device, Tensor, TensorData};

    use super::*;

    #[test]
    fn erf_is_within_a_few_ulp_of_the_exact_value() {
        // erf through its series converges fast on |x| ≤ 4 in f64.
        let exact = |x: f64| {
            let (mut term, mut sum, mut n) = (x, x, 0.0);
            while term.abs() > 1e-17 * sum.abs().max(1e-300) {
                n += 1.0;
                term *= -x * x / n;
                sum += term / (2.0 * n + 1.0);
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        };
        let mut worst = 0.0f64;
        for i in 0..=16_000 {
            let x = -4.0 + 8.0 * i as f32 / 16_000.0;
            worst = worst.max((erf(x) as f64 - exact(x as f64)).abs());
        }
        assert!(worst < 4.0 * f32::EPSILON as f64, "largest error {worst:e}");
        assert_eq!(erf(10.0), erf(4.0));
        assert!((erf(4.0) - 1.0).abs() <= 2.0 * f32::EPSILON);
    }

    #[test]
    fn matches_value_times_burns_gelu_of_the_gate() {
        let device = Device::flex();
        let [batch, tokens, inner] = [2, 37, 24];
        let values: Vec<f32> =
            (0..batch * tokens * 2 * inner).map(|i| ((i * 2654435761usize) % 1000) as f32 / 100.0 - 5.0).collect();
        let h = Tensor::<3>::from_data(TensorData::new(values, [batch, tokens, 2 * inner]), &device);
        let value = h.clone().slice([0..batch, 0..tokens, 0..inner]);
        let gate = h.clone().slice([0..batch, 0..tokens, inner..2 * inner]);
        let expected = (value * activation::gelu(gate)).try_into_vec_as::<f32>().unwrap();
        let ours = geglu(h);
        assert_eq!(ours.dims(), [batch, tokens, inner]);
        for (i, (a, e)) in ours.try_into_vec_as::<f32>().unwrap().iter().zip(&expected).enumerate() {
            assert!((a - e).abs() < 2e-6 * (1.0 + e.abs()), "at {i}: {a} vs {e}");
        }
    }
}
