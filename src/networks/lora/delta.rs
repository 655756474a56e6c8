//! The weight change of one module, computed on the model's device in f32 (the matrix products of a
//! whole LoRA take well under a second there, minutes on the host by hand), in PyTorch's layout
//! flattened to [out, in·kh·kw]. The shapes were checked by [`ModuleWeights::change_shape`] first, so
//! no product here can be given mismatched sizes.

use burn::tensor::{DType, Device, Tensor, TensorData};

use super::module_weights::{Factor, HostTensor, ModuleWeights};

/// The change `weights` make times `scale`, as [out, in·kh·kw] f32 on `device`; `dyn_dim` keeps only
/// the first ranks of a low-rank module without a Tucker core (A1111's `dyn`). The scale multiplies the
/// first (small) factor before the products: one pass over a full-size weight fewer.
pub fn weight_change(weights: &ModuleWeights, dyn_dim: Option<usize>, scale: f32, device: &Device) -> Tensor<2> {
    let upload = |tensor: &HostTensor, rows: usize| matrix(tensor, rows, device);
    match weights {
        ModuleWeights::LowRank { up, down, mid: None } => match dyn_dim {
            Some(dim) if dim < down.shape[0] => {
                let (up, down) = (upload(&scaled(up, scale), up.shape[0]), upload(down, down.shape[0]));
                up.narrow(1, 0, dim).matmul(down.narrow(0, 0, dim))
            }
            _ => product(&scaled(up, scale), down, device),
        },
        ModuleWeights::LowRank { up, down, mid: Some(mid) } => {
            let (up, down) = (upload(&scaled(up, scale), up.shape[0]), upload(down, down.shape[0]));
            tucker(mid, up.transpose(), down, device)
        }
        ModuleWeights::Hadamard { w1a, w1b, w2a, w2b, t1, t2 } => {
            factor(&scaled(w1a, scale), w1b, t1.as_ref(), device) * factor(w2a, w2b, t2.as_ref(), device)
        }
        ModuleWeights::Kronecker { w1, w2a, w2b, w2, t2 } => {
            let w1 = match w1 {
                Factor::Full(w1) => upload(&scaled(w1, scale), w1.shape[0]),
                Factor::Product { a, b } => product(&scaled(a, scale), b, device),
            };
            let w2 = match (w2, w2a, w2b) {
                (Some(w2), ..) => upload(w2, w2.shape[0]),
                (None, Some(a), Some(b)) => factor(a, b, t2.as_ref(), device),
                _ => unreachable!("change_shape accepts a LoKr module only with one of them"),
            };
            kronecker(w1, w2)
        }
        ModuleWeights::Full { diff } => upload(&scaled(diff, scale), diff.shape[0]),
    }
}

/// `tensor` times `scale`, in host memory (a LoRA factor: small).
fn scaled(tensor: &HostTensor, scale: f32) -> HostTensor {
    HostTensor { shape: tensor.shape.clone(), values: tensor.values.iter().map(|v| v * scale).collect() }
}

/// `tensor` as a [rows, rest] f32 matrix on `device`.
fn matrix(tensor: &HostTensor, rows: usize, device: &Device) -> Tensor<2> {
    let columns = tensor.values.len() / rows.max(1);
    Tensor::from_data(TensorData::new(tensor.values.clone(), [rows, columns]), (device, DType::F32))
}

fn product(up: &HostTensor, down: &HostTensor, device: &Device) -> Tensor<2> {
    matrix(up, up.shape[0], device).matmul(matrix(down, down.shape[0], device))
}

/// A LoHa/LoKr factor: `a @ b`, or through the Tucker core `t` with `a` [ra, out] and `b` [rb, in].
fn factor(a: &HostTensor, b: &HostTensor, t: Option<&HostTensor>, device: &Device) -> Tensor<2> {
    match t {
        None => product(a, b, device),
        Some(t) => tucker(t, matrix(a, a.shape[0], device), matrix(b, b.shape[0], device), device),
    }
}

/// Σ_ij core[i, j, kh, kw] · left[i, out] · right[j, in], laid out as [out, in·kh·kw]: A1111's
/// `make_weight_cp` (and `rebuild_cp_decomposition` with `left` = upᵀ).
fn tucker(core: &HostTensor, left: Tensor<2>, right: Tensor<2>, device: &Device) -> Tensor<2> {
    let [i, j, kh, kw] = [core.shape[0], core.shape[1], core.shape[2], core.shape[3]];
    let [out, inputs] = [left.dims()[1], right.dims()[1]];
    let core = Tensor::<4>::from_data(TensorData::new(core.values.clone(), [i, j, kh, kw]), (device, DType::F32));
    // [i, j, kh, kw] → [i, kh·kw, j] · [j, in] → [i, kh·kw·in]
    let by_right = core.permute([0, 2, 3, 1]).reshape([i * kh * kw, j]).matmul(right).reshape([i, kh * kw * inputs]);
    // [out, i] · [i, kh·kw·in] → [out, kh, kw, in] → [out, in, kh, kw]
    let full = left.transpose().matmul(by_right).reshape([out, kh, kw, inputs]).permute([0, 3, 1, 2]);
    full.reshape([out, inputs * kh * kw])
}

/// `w1` [a, b] ⊗ `w2` [p, q·k] as [a·p, b·q·k]: the Kronecker product with each `w2` row's kernel
/// values kept together, which is `torch.kron` on the 4-D form reshaped.
fn kronecker(w1: Tensor<2>, w2: Tensor<2>) -> Tensor<2> {
    let ([a, b], [p, q]) = (w1.dims(), w2.dims());
    let w1: Tensor<4> = w1.reshape([a, 1, b, 1]);
    let w2: Tensor<4> = w2.reshape([1, p, 1, q]);
    (w1 * w2).reshape([a * p, b * q])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(shape: &[usize], values: &[f32]) -> HostTensor {
        HostTensor { shape: shape.to_vec(), values: values.to_vec() }
    }

    fn values(tensor: Tensor<2>) -> Vec<f32> {
        tensor.try_into_vec_as::<f32>().expect("f32 values")
    }

    #[test]
    fn kronecker_matches_the_definition() {
        let device = Device::flex();
        let w1 = host(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
        let w2 = host(&[1, 2], &[10.0, 20.0]);
        let change = ModuleWeights::Kronecker { w1: Factor::Full(w1), w2a: None, w2b: None, w2: Some(w2), t2: None };
        // kron([[1,2],[3,4]], [[10,20]]) = [[10,20,20,40],[30,60,40,80]]
        assert_eq!(values(weight_change(&change, None, 1.0, &device)), [10.0, 20.0, 20.0, 40.0, 30.0, 60.0, 40.0, 80.0]);
    }

    #[test]
    fn tucker_core_of_ones_sums_the_rank_products() {
        let device = Device::flex();
        // core [1, 1, 1, 2] = [1, 2]; up [out=2, 1] = [1, 3]; down [1, in=1] = [5]
        let up = host(&[2, 1], &[1.0, 3.0]);
        let down = host(&[1, 1, 1, 1], &[5.0]);
        let mid = host(&[1, 1, 1, 2], &[1.0, 2.0]);
        let change = ModuleWeights::LowRank { up, down, mid: Some(mid) };
        // result[o, 0, 0, k] = up[o] * mid[k] * down = [[5, 10], [15, 30]]
        assert_eq!(values(weight_change(&change, None, 1.0, &device)), [5.0, 10.0, 15.0, 30.0]);
    }

    #[test]
    fn hadamard_multiplies_the_two_products() {
        let device = Device::flex();
        let one = |v: f32| host(&[1, 1], &[v]);
        let change = ModuleWeights::Hadamard { w1a: one(2.0), w1b: one(3.0), w2a: one(4.0), w2b: one(0.5), t1: None, t2: None };
        assert_eq!(values(weight_change(&change, None, 1.0, &device)), [12.0]);
    }
}
