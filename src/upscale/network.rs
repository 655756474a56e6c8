//! RRDBNet (ESRGAN, Real-ESRGAN) in burn: a picture in, the same picture `scale` times larger out.
//!
//! First convolution; a trunk of residual-in-residual dense blocks (each three dense blocks of five
//! convolutions, LeakyReLU 0.2 after the first four, every dense block's output scaled by 0.2 and added to its
//! input, and so again around the three) closed by a convolution added to the first features; per 2x step a
//! nearest upsampling, a convolution and LeakyReLU; a high-resolution convolution with LeakyReLU; the last
//! convolution.

use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{DType, Device, Tensor, activation};

use super::architecture::{Conv, RrdbArchitecture};
use super::error::UpscaleError;
use crate::checkpoint::Checkpoint;
use crate::model::layers::Conv2d;
use crate::model::weights::WeightLoader;

const SLOPE: f64 = 0.2;
/// How much of each dense block (and of each group of three) is added back to its input.
const RESIDUAL_SCALE: f32 = 0.2;

/// Five convolutions, each seeing the block's input and every earlier convolution's output.
struct DenseBlock {
    /// The four that each add `growth` channels.
    growing: Vec<Conv2d>,
    /// The fifth, back to the trunk's width.
    closing: Conv2d,
}

/// Three dense blocks in a row, their result scaled and added to the input.
struct ResidualInResidual {
    dense: Vec<DenseBlock>,
}

/// A loaded upscaling network.
pub struct RrdbNet {
    architecture: RrdbArchitecture,
    first: Conv2d,
    trunk: Vec<ResidualInResidual>,
    trunk_end: Conv2d,
    upsampling: Vec<Conv2d>,
    high_res: Conv2d,
    last: Conv2d,
}

impl RrdbNet {
    /// Loads the network the file holds onto `device`, computing in `dtype`.
    pub fn load(checkpoint: &Checkpoint, device: &Device, dtype: DType) -> Result<Self, UpscaleError> {
        let architecture = RrdbArchitecture::detect(checkpoint)?;
        let a = &architecture;
        let conv = |part: Conv, inputs: usize, outputs: usize| -> Result<Conv2d, UpscaleError> {
            let weights = WeightLoader::new(checkpoint, &format!("{}.", a.key(part)), device, dtype);
            Ok(Conv2d::load_shaped(&weights, [outputs, inputs, 3, 3], 1)?)
        };
        let (features, growth) = (a.features, a.growth);
        let dense_block = |block: usize, dense: usize| -> Result<DenseBlock, UpscaleError> {
            let growing = (0..4)
                .map(|k| conv(Conv::Dense { block, dense, conv: k }, features + k * growth, growth))
                .collect::<Result<_, _>>()?;
            let closing = conv(Conv::Dense { block, dense, conv: 4 }, features + 4 * growth, features)?;
            Ok(DenseBlock { growing, closing })
        };
        let trunk = (0..a.blocks)
            .map(|block| {
                Ok(ResidualInResidual { dense: (0..3).map(|dense| dense_block(block, dense)).collect::<Result<_, _>>()? })
            })
            .collect::<Result<_, UpscaleError>>()?;
        Ok(Self {
            first: conv(Conv::First, a.channels * a.unshuffle * a.unshuffle, features)?,
            trunk,
            trunk_end: conv(Conv::Trunk, features, features)?,
            upsampling: (0..a.upsamplings).map(|n| conv(Conv::Up(n), features, features)).collect::<Result<_, _>>()?,
            high_res: conv(Conv::HighRes, features, features)?,
            last: conv(Conv::Last, features, a.channels)?,
            architecture,
        })
    }

    pub fn architecture(&self) -> &RrdbArchitecture {
        &self.architecture
    }

    /// How many times larger a picture comes out.
    pub fn scale(&self) -> usize {
        self.architecture.scale()
    }

    /// Pictures [b, channels, h, w] (values in [0, 1]) to [b, channels, h·scale, w·scale], unclamped. With
    /// pixel unshuffle, h and w must be multiples of its side.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = pixel_unshuffle(x, self.architecture.unshuffle);
        let features = self.first.forward(x);
        let trunk = self.trunk.iter().fold(features.clone(), |x, block| block.forward(x));
        let mut y = features + self.trunk_end.forward(trunk);
        for conv in &self.upsampling {
            let [_, _, height, width] = y.dims();
            let options = InterpolateOptions::new(InterpolateMode::Nearest).with_output_size([2 * height, 2 * width]);
            y = activation::leaky_relu(conv.forward(interpolate(y, options)), SLOPE);
        }
        self.last.forward(activation::leaky_relu(self.high_res.forward(y), SLOPE))
    }
}

impl DenseBlock {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let mut seen = vec![x.clone()];
        for conv in &self.growing {
            let y = activation::leaky_relu(conv.forward(Tensor::cat(seen.clone(), 1)), SLOPE);
            seen.push(y);
        }
        self.closing.forward(Tensor::cat(seen, 1)) * RESIDUAL_SCALE + x
    }
}

impl ResidualInResidual {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = self.dense.iter().fold(x.clone(), |y, block| block.forward(y));
        y * RESIDUAL_SCALE + x
    }
}

/// Folds each `side`×`side` block of pixels into channels: [b, c, h, w] → [b, c·side², h/side, w/side], the
/// channel order of PyTorch's `pixel_unshuffle`.
fn pixel_unshuffle(x: Tensor<4>, side: usize) -> Tensor<4> {
    if side == 1 {
        return x;
    }
    let [batch, channels, height, width] = x.dims();
    x.reshape([batch, channels, height / side, side, width / side, side]).permute([0, 1, 3, 5, 2, 4]).reshape([
        batch,
        channels * side * side,
        height / side,
        width / side,
    ])
}
