//! Attention on the CPU: for each image, head and block of query rows, the block's scores against
//! every key (one matrix product), their softmax, and the weighted sum of the values (a second
//! product). Blocks run in parallel; a block's scores (64 rows × keys) stay in the core's cache.
//!
//! Unlike a tiled "flash" kernel this keeps each block's whole score rows, which for SD's sizes
//! (at most 4096 keys at 512², 16384 at 1024²) is 1–4 MB per thread, and lets both products be
//! long ones (40-wide heads make key tiles of 64 far too short to be fast).

use burn::tensor::Tensor;
use rayon::prelude::*;

use super::exp::unnormalized_softmax_rows;
use super::{SharedMut, View, tensor_from};

/// Query rows per block.
const BLOCK_ROWS: usize = 64;

/// softmax(q·kᵀ / √d)·v for `q` [b, heads, n, d] and `k`, `v` [b, heads, m, d] (any strides). The
/// result has shape [b, heads, n, d], laid out as [b, n, heads, d] so that the usual swap back to
/// tokens × width costs nothing.
/// `k` and `v` must be f32 like `q` (the caller checks `q` with [`super::applies`]).
pub fn attention(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>) -> Tensor<4> {
    let (q, k, v) = (View::of(q), View::of(k), View::of(v));
    let [batch, heads, n, d] = [q.shape()[0], q.shape()[1], q.shape()[2], q.shape()[3]];
    let m = k.shape()[2];
    let scale = 1.0 / (d as f32).sqrt();
    let mut out = vec![0.0f32; batch * n * heads * d];
    let out_ptr = SharedMut(out.as_mut_ptr());
    let blocks_per_head = n.div_ceil(BLOCK_ROWS);
    let tasks = batch * heads * blocks_per_head;
    (0..tasks).into_par_iter().for_each_init(
        || (vec![0.0f32; BLOCK_ROWS * m], vec![0.0f32; BLOCK_ROWS]),
        |(scores, sums), task| {
            let (image, head, block) = (task / (heads * blocks_per_head), task / blocks_per_head % heads, task % blocks_per_head);
            let first = block * BLOCK_ROWS;
            let rows = BLOCK_ROWS.min(n - first);
            let scores = &mut scores[..rows * m];
            let sums = &mut sums[..rows];
            let (qs, ks, vs) = (q.strides(), k.strides(), v.strides());
            let q_at = image as isize * qs[0] + head as isize * qs[1] + first as isize * qs[2];
            let k_at = image as isize * ks[0] + head as isize * ks[1];
            let v_at = image as isize * vs[0] + head as isize * vs[1];
            // SAFETY: every index below stays inside the views' shapes; `out` rows [first, first + rows)
            // of this image and head belong to this task alone.
            unsafe {
                gemm::gemm(
                    rows,
                    m,
                    d,
                    scores.as_mut_ptr(),
                    1,
                    m as isize,
                    false,
                    q.data().as_ptr().offset(q_at),
                    qs[3],
                    qs[2],
                    k.data().as_ptr().offset(k_at),
                    ks[2],
                    ks[3],
                    0.0,
                    scale,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
            }
            unnormalized_softmax_rows(scores, m, sums);
            let out_row_stride = heads * d;
            let out_at = image * n * out_row_stride + first * out_row_stride + head * d;
            // SAFETY: `scores` holds `rows` × `m` values, `v` is read inside its view's shape, and the
            // output rows [first, first + rows) of this image and head belong to this task alone.
            unsafe {
                gemm::gemm(
                    rows,
                    d,
                    m,
                    out_ptr.at(out_at),
                    1,
                    out_row_stride as isize,
                    false,
                    scores.as_ptr(),
                    1,
                    m as isize,
                    v.data().as_ptr().offset(v_at),
                    vs[3],
                    vs[2],
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    gemm::Parallelism::None,
                );
                for (row, sum) in sums.iter().enumerate() {
                    let start = out_ptr.at(out_at + row * out_row_stride);
                    let values = std::slice::from_raw_parts_mut(start, d);
                    let inverse = 1.0 / sum;
                    values.iter_mut().for_each(|value| *value *= inverse);
                }
            }
        },
    );
    tensor_from(out, [batch, heads, n, d], Some([n * heads * d, d, heads * d, 1]))
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Tensor, TensorData, module};

    fn values(count: usize, seed: usize) -> Vec<f32> {
        (0..count).map(|i| (((i + seed) * 2654435761usize) % 1013) as f32 / 250.0 - 2.0).collect()
    }

    #[test]
    fn matches_burns_attention_for_strided_heads() {
        let device = Device::flex();
        // Tokens × width split into heads by a view, as the UNet does: [b, n, heads, d] → [b, heads, n, d].
        let [batch, n, m, heads, d] = [2, 70, 9, 3, 5];
        let split = |t: Tensor<3>, tokens| t.reshape([batch, tokens, heads, d]).swap_dims(1, 2);
        let tokens = |count, seed| {
            Tensor::<3>::from_data(TensorData::new(values(batch * count * heads * d, seed), [batch, count, heads * d]), &device)
        };
        let (q, k, v) = (split(tokens(n, 1), n), split(tokens(m, 2), m), split(tokens(m, 3), m));
        let expected = module::attention(q.clone(), k.clone(), v.clone(), None, None, Default::default());
        let ours = super::attention(q, k, v);
        assert_eq!(ours.dims(), [batch, heads, n, d]);
        let to_tokens = |t: Tensor<4>| t.swap_dims(1, 2).reshape([batch, n, heads * d]).try_into_vec_as::<f32>().unwrap();
        for (a, e) in to_tokens(ours).iter().zip(&to_tokens(expected)) {
            assert!((a - e).abs() < 1e-5, "{a} {e}");
        }
    }
}
