//! A tensor of a model to be written: its key, shape, element type and how its values are made. The
//! layouts (`unet.rs`, `vae.rs`, …) list these; the writer fills them.

/// How a tensor's values are made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// A linear or convolution weight: uniform with standard deviation `gain / √fan_in`, so each layer
    /// keeps its input's scale and activations stay finite in f16 through the whole UNet.
    Weight { fan_in: usize, gain: f32 },
    /// A linear or convolution bias: small uniform values (standard deviation 0.02).
    Bias,
    /// A normalization's scale.
    Ones,
    /// A normalization's shift.
    Zeros,
    /// An embedding table: uniform with standard deviation 0.5 (as the parity kit's random models).
    Embedding,
    /// The same number everywhere (`model_ema.decay`).
    Constant(f32),
    /// One of the DDPM buffers an original checkpoint carries (see `schedule.rs`).
    Schedule(super::schedule::Buffer),
    /// `0, 1, 2, …` (CLIP's `position_ids`, an integer tensor).
    Arange,
}

/// The element type as stored. Float tensors take the file's precision; the two integer tensors of an
/// original checkpoint keep theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    Float,
    I64,
    I32,
}

/// One tensor of a layout.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpec {
    pub name: String,
    pub shape: Vec<usize>,
    pub element: Element,
    pub init: Init,
}

impl TensorSpec {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    #[cfg(test)]
    pub fn is_float(&self) -> bool {
        self.element == Element::Float
    }
}

/// A list of tensors being built, with a key prefix for the part being described (`first_stage_model.`
/// then `encoder.down.0.block.1.` and so on).
#[derive(Debug, Default)]
pub struct Layout {
    pub tensors: Vec<TensorSpec>,
}

impl Layout {
    /// A tensor of any kind.
    pub fn push(&mut self, name: String, shape: Vec<usize>, element: Element, init: Init) {
        self.tensors.push(TensorSpec { name, shape, element, init });
    }

    /// A linear layer `[out, in]`, with a bias when `bias`.
    pub fn linear(&mut self, name: &str, out: usize, inp: usize, bias: bool) {
        self.linear_with_gain(name, out, inp, bias, 1.0);
    }

    pub fn linear_with_gain(&mut self, name: &str, out: usize, inp: usize, bias: bool, gain: f32) {
        self.float(format!("{name}.weight"), vec![out, inp], Init::Weight { fan_in: inp, gain });
        if bias {
            self.float(format!("{name}.bias"), vec![out], Init::Bias);
        }
    }

    /// A convolution `[out, in, k, k]` with a bias.
    pub fn conv(&mut self, name: &str, out: usize, inp: usize, kernel: usize) {
        self.conv_with_gain(name, out, inp, kernel, 1.0);
    }

    pub fn conv_with_gain(&mut self, name: &str, out: usize, inp: usize, kernel: usize, gain: f32) {
        let fan_in = inp * kernel * kernel;
        self.float(format!("{name}.weight"), vec![out, inp, kernel, kernel], Init::Weight { fan_in, gain });
        self.float(format!("{name}.bias"), vec![out], Init::Bias);
    }

    /// A GroupNorm or LayerNorm over `channels`: scale 1, shift 0.
    pub fn norm(&mut self, name: &str, channels: usize) {
        self.float(format!("{name}.weight"), vec![channels], Init::Ones);
        self.float(format!("{name}.bias"), vec![channels], Init::Zeros);
    }

    pub fn float(&mut self, name: String, shape: Vec<usize>, init: Init) {
        self.push(name, shape, Element::Float, init);
    }

    /// This layout's tensors with `prefix` put before every key.
    pub fn prefixed(self, prefix: &str) -> Vec<TensorSpec> {
        self.tensors.into_iter().map(|t| TensorSpec { name: format!("{prefix}{}", t.name), ..t }).collect()
    }
}
