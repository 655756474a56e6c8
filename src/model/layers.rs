//! The few layer types the networks are built from, loaded by structure from checkpoint keys.

use burn::tensor::{Tensor, module};

use super::weights::WeightLoader;
use crate::checkpoint::Result;

/// A fully connected layer. PyTorch stores the weight as [out, in]; it is kept transposed as
/// [in, out], the layout burn's `linear` multiplies with.
#[derive(Debug, Clone)]
pub struct Linear {
    weight: Tensor<2>,
    bias: Option<Tensor<1>>,
}

impl Linear {
    /// Loads `weight` (and `bias` when present) and checks them against `[outputs, inputs]`.
    pub fn load(weights: &WeightLoader, inputs: usize, outputs: usize) -> Result<Self> {
        let weight = weights.tensor_shaped::<2>("weight", [outputs, inputs])?.transpose();
        let bias = match weights.contains("bias") {
            true => Some(weights.tensor_shaped::<1>("bias", [outputs])?),
            false => None,
        };
        Ok(Self { weight, bias })
    }

    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        module::linear(x, self.weight.clone(), self.bias.clone())
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
        Ok(Self {
            gamma: weights.tensor_shaped("weight", [width])?,
            beta: weights.tensor_shaped("bias", [width])?,
            epsilon,
        })
    }

    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        module::layer_norm(x, self.gamma.clone(), Some(self.beta.clone()), self.epsilon)
    }
}
