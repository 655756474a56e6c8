//! Linear layers on the CPU: x [rows, in] · weight [in, out] in one product, into an output that
//! starts as the bias. The weight is read through its strides: the checkpoint stores it [out, in], and
//! the layers that multiply a prompt's 77-token rows (the text encoder's, the cross-attention's keys and
//! values) copy it into [in, out] at load (see `Linear::load_for_few_rows`).

use burn::tensor::Tensor;
use rayon::prelude::*;

use super::{View, tensor_from};

/// Below this many multiply-adds one thread is faster than splitting the product.
const PARALLEL_WORK: usize = 1 << 21;

/// `x` [.., in] · `weight` [in, out] + `bias` [out].
pub fn linear<const D: usize>(x: Tensor<D>, weight: &Tensor<2>, bias: Option<&Tensor<1>>) -> Tensor<D> {
    let mut shape = x.dims();
    let x = View::contiguous(x);
    let weight = View::of(weight.clone());
    let [inputs, outputs] = [weight.shape()[0], weight.shape()[1]];
    let rows = x.shape().iter().product::<usize>() / inputs.max(1);
    let mut out = vec![0.0f32; rows * outputs];
    if let Some(bias) = bias {
        let bias = View::contiguous(bias.clone());
        // In parallel: the first writes to a large fresh buffer are page faults, as costly as the writes.
        out.par_chunks_exact_mut(outputs).for_each(|row| row.copy_from_slice(&bias.data()[..outputs]));
    }
    let parallelism =
        if rows * inputs * outputs >= PARALLEL_WORK { gemm::Parallelism::Rayon(0) } else { gemm::Parallelism::None };
    let strides = weight.strides();
    // SAFETY: `x` is contiguous [rows, inputs], `weight` a strided [inputs, outputs] view and `out`
    // [rows, outputs]: every index the product touches is inside them.
    unsafe {
        gemm::gemm(
            rows,
            outputs,
            inputs,
            out.as_mut_ptr(),
            1,
            outputs as isize,
            bias.is_some(),
            x.data().as_ptr(),
            1,
            inputs as isize,
            weight.data().as_ptr(),
            strides[1],
            strides[0],
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
    shape[D - 1] = outputs;
    tensor_from(out, shape, None)
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Tensor, TensorData, module};

    use super::super::{View, laid_out_contiguously};

    #[test]
    fn matches_burns_linear_with_a_transposed_or_relaid_weight() {
        let device = Device::flex();
        let values =
            |n: usize, s: usize| (0..n).map(|i| (((i + s) * 2654435761usize) % 997) as f32 / 498.0 - 1.0).collect::<Vec<_>>();
        let x = Tensor::<3>::from_data(TensorData::new(values(2 * 5 * 7, 1), [2, 5, 7]), &device);
        let stored = Tensor::<2>::from_data(TensorData::new(values(3 * 7, 2), [3, 7]), &device);
        let weight = stored.transpose();
        let bias = Tensor::<1>::from_data(TensorData::new(values(3, 5), [3]), &device);
        let relaid = laid_out_contiguously(weight.clone());
        assert_eq!(relaid.dims(), [7, 3]);
        assert_eq!((View::of(weight.clone()).strides(), View::of(relaid.clone()).strides()), (&[1, 7][..], &[3, 1][..]));
        for bias in [Some(bias), None] {
            let expected = module::linear(x.clone(), weight.clone(), bias.clone()).try_into_vec_as::<f32>().unwrap();
            for weight in [&weight, &relaid] {
                let ours = super::linear(x.clone(), weight, bias.as_ref());
                assert_eq!(ours.dims(), [2, 5, 3]);
                for (a, e) in ours.try_into_vec_as::<f32>().unwrap().iter().zip(&expected) {
                    assert!((a - e).abs() < 1e-5, "{a} {e}");
                }
            }
        }
    }
}
