//! The tensors of one module of a LoRA file, by type (A1111's built-in `networks` module types): the
//! low-rank product of LoRA and LoCon, LyCORIS's Hadamard product (LoHa) and Kronecker product (LoKr),
//! and a full difference. Each knows the shape of the weight change it makes, checked before any
//! arithmetic, and the scale its `alpha` gives.

use crate::checkpoint::F32Tensor;

/// A tensor of a module, decoded to f32 in host memory.
pub type HostTensor = F32Tensor;

/// Either a full factor or the product of two smaller ones (LoKr's `w1` or `w1_a @ w1_b`).
#[derive(Debug, Clone)]
pub enum Factor {
    Full(HostTensor),
    Product { a: HostTensor, b: HostTensor },
}

/// How a module's weight change is made.
#[derive(Debug, Clone)]
pub enum ModuleWeights {
    /// LoRA and LoCon: `up @ down`, or with a Tucker core `mid` for convolutions (LoCon "CP").
    LowRank { up: HostTensor, down: HostTensor, mid: Option<HostTensor> },
    /// LoHa: `(w1a @ w1b) * (w2a @ w2b)`, each factor optionally through a Tucker core.
    Hadamard {
        w1a: HostTensor,
        w1b: HostTensor,
        w2a: HostTensor,
        w2b: HostTensor,
        t1: Option<HostTensor>,
        t2: Option<HostTensor>,
    },
    /// LoKr: `w1 ⊗ w2`, where `w2` may be `w2a @ w2b` or a Tucker product with `t2`.
    Kronecker { w1: Factor, w2a: Option<HostTensor>, w2b: Option<HostTensor>, w2: Option<HostTensor>, t2: Option<HostTensor> },
    /// The weight change stored whole (`diff`).
    Full { diff: HostTensor },
}

/// The change a module makes, as [out, in·kh·kw], or why its tensors do not fit together.
pub type ChangeShape = Result<[usize; 2], String>;

impl ModuleWeights {
    /// A short name of the module type, as LyCORIS calls it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::LowRank { down, .. } if down.shape.len() == 4 && down.shape[2] * down.shape[3] > 1 => "LoCon",
            Self::LowRank { .. } => "LoRA",
            Self::Hadamard { .. } => "LoHa",
            Self::Kronecker { .. } => "LoKr",
            Self::Full { .. } => "full",
        }
    }

    /// The rank `alpha` is divided by (A1111's `dim`), when the type has one.
    pub fn rank(&self) -> Option<usize> {
        match self {
            Self::LowRank { down, .. } => down.shape.first().copied(),
            Self::Hadamard { w1b, .. } => w1b.shape.first().copied(),
            Self::Kronecker { w2b: Some(w2b), .. } => w2b.shape.first().copied(),
            Self::Kronecker { w1: Factor::Product { b, .. }, .. } => b.shape.first().copied(),
            Self::Kronecker { .. } | Self::Full { .. } => None,
        }
    }

    /// The factor `alpha` gives: alpha / rank when both exist, else 1 (A1111's `calc_scale`).
    pub fn scale(&self, alpha: Option<f32>) -> f32 {
        match (alpha, self.rank()) {
            (Some(alpha), Some(rank)) if rank > 0 => alpha / rank as f32,
            _ => 1.0,
        }
    }

    /// The shape of the change, checked: every product's inner sizes agree.
    pub fn change_shape(&self) -> ChangeShape {
        match self {
            Self::LowRank { up, down, mid } => low_rank_shape(up, down, mid.as_ref()),
            Self::Hadamard { w1a, w1b, w2a, w2b, t1, t2 } => {
                let first = factor_shape(w1a, w1b, t1.as_ref())?;
                let second = factor_shape(w2a, w2b, t2.as_ref())?;
                agree("hada_w1 and hada_w2", first, second)
            }
            Self::Kronecker { w1, w2a, w2b, w2, t2 } => {
                let [a, b] = match w1 {
                    Factor::Full(w1) => matrix_shape(w1)?,
                    Factor::Product { a, b } => product_shape(a, b)?,
                };
                let [p, q] = match (w2, w2a, w2b) {
                    (Some(w2), ..) => matrix_shape(w2)?,
                    (None, Some(w2a), Some(w2b)) => factor_shape(w2a, w2b, t2.as_ref())?,
                    _ => return Err("lokr_w2 or lokr_w2_a with lokr_w2_b".into()),
                };
                Ok([a * p, b * q])
            }
            Self::Full { diff } => matrix_shape(diff),
        }
    }
}

/// [rows, everything else] of a tensor with at least one dimension and no empty one.
pub fn matrix_shape(tensor: &HostTensor) -> ChangeShape {
    match tensor.shape.split_first() {
        Some((&rows, rest)) if rows > 0 && rest.iter().all(|&n| n > 0) => Ok([rows, rest.iter().product()]),
        _ => Err(format!("a tensor of shape {:?}", tensor.shape)),
    }
}

fn product_shape(up: &HostTensor, down: &HostTensor) -> ChangeShape {
    let ([out, rank], [down_rank, inputs]) = (matrix_shape(up)?, matrix_shape(down)?);
    if rank == down_rank {
        Ok([out, inputs])
    } else {
        Err(format!("an up of shape {:?} with a down of shape {:?}", up.shape, down.shape))
    }
}

fn low_rank_shape(up: &HostTensor, down: &HostTensor, mid: Option<&HostTensor>) -> ChangeShape {
    let Some(mid) = mid else { return product_shape(up, down) };
    let ([out, rank_up], [rank_down, inputs]) = (matrix_shape(up)?, matrix_shape(down)?);
    match mid.shape[..] {
        [n, m, kh, kw] if n == rank_up && m == rank_down => Ok([out, inputs * kh * kw]),
        _ => Err(format!("a lora_mid of shape {:?} between ranks {rank_up} and {rank_down}", mid.shape)),
    }
}

/// One LoHa/LoKr factor: `a @ b`, or with a Tucker core `t` [ra, rb, kh, kw], where `a` is [ra, out]
/// and `b` [rb, in] (A1111's `make_weight_cp`).
fn factor_shape(a: &HostTensor, b: &HostTensor, t: Option<&HostTensor>) -> ChangeShape {
    let Some(t) = t else { return product_shape(a, b) };
    let ([rank_a, out], [rank_b, inputs]) = (matrix_shape(a)?, matrix_shape(b)?);
    match t.shape[..] {
        [i, j, kh, kw] if i == rank_a && j == rank_b => Ok([out, inputs * kh * kw]),
        _ => Err(format!("a Tucker core of shape {:?} between ranks {rank_a} and {rank_b}", t.shape)),
    }
}

fn agree(what: &str, first: [usize; 2], second: [usize; 2]) -> ChangeShape {
    if first == second { Ok(first) } else { Err(format!("{what} of shapes {first:?} and {second:?}")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zeros(shape: &[usize]) -> HostTensor {
        HostTensor { shape: shape.to_vec(), values: vec![0.0; shape.iter().product()] }
    }

    #[test]
    fn locon_change_shape_spans_the_kernel() {
        let weights = ModuleWeights::LowRank { up: zeros(&[8, 4, 1, 1]), down: zeros(&[4, 6, 3, 3]), mid: None };
        assert_eq!(weights.change_shape(), Ok([8, 54]));
        assert_eq!(weights.type_name(), "LoCon");
        assert_eq!(weights.scale(Some(2.0)), 0.5);
        assert_eq!(weights.scale(None), 1.0);
    }

    #[test]
    fn mismatched_ranks_are_refused_before_any_product() {
        let weights = ModuleWeights::LowRank { up: zeros(&[8, 4]), down: zeros(&[3, 6]), mid: None };
        assert!(weights.change_shape().is_err());
    }

    #[test]
    fn lokr_scales_only_when_decomposed() {
        let full = ModuleWeights::Kronecker {
            w1: Factor::Full(zeros(&[2, 2])),
            w2a: None,
            w2b: None,
            w2: Some(zeros(&[4, 3])),
            t2: None,
        };
        assert_eq!(full.change_shape(), Ok([8, 6]));
        assert_eq!(full.scale(Some(4.0)), 1.0);
        let decomposed = ModuleWeights::Kronecker {
            w1: Factor::Full(zeros(&[2, 2])),
            w2a: Some(zeros(&[4, 2])),
            w2b: Some(zeros(&[2, 3])),
            w2: None,
            t2: None,
        };
        assert_eq!(decomposed.scale(Some(4.0)), 2.0);
    }
}
