//! Merging an add-on network (a LoRA) into the weights of the layers it changes, and undoing it
//! exactly. A merged weight costs nothing per step: generation runs as fast as without the network.

use burn::backend::DispatchDevice;
use burn::tensor::{DType, Device, Tensor, TensorData};

/// A weight as it was loaded, kept while a network is merged into it so that the merge can be undone
/// bit for bit, whatever the rounding of the merged values.
#[derive(Debug, Clone)]
pub enum Pristine<const D: usize> {
    /// On the CPU: the loaded tensor itself (no copy; the merged weight is a new one).
    Device(Tensor<D>),
    /// On a GPU: a copy in host memory, as A1111 keeps its backups, so that merged networks use no
    /// device memory beyond the merged weights.
    Host(TensorData),
}

impl<const D: usize> Pristine<D> {
    pub fn keep(weight: &Tensor<D>) -> Self {
        match weight.device().as_dispatch() {
            DispatchDevice::Flex(_) => Self::Device(weight.clone()),
            _ => Self::Host(weight.to_data()),
        }
    }

    /// The loaded weight on `device`.
    pub fn tensor(&self, device: &Device) -> Tensor<D> {
        match self {
            Self::Device(tensor) => tensor.clone(),
            Self::Host(data) => Tensor::from_data(data.clone(), (device, data.dtype())),
        }
    }
}

/// A layer whose weight a network can change: a linear or a convolution layer.
pub trait MergeTarget {
    /// The module's name from the network's root (`input_blocks.1.1.proj_in`).
    fn module_path(&self) -> &str;
    /// The weight's shape as PyTorch stores it: [out, in] or [out, in, kh, kw].
    fn torch_shape(&self) -> Vec<usize>;
    fn device(&self) -> Device;
    /// Sets the weight to the loaded one plus `delta`, given in PyTorch's layout flattened to
    /// [out, in·kh·kw] in f32: the sum is taken in f32 and rounded once to the model's dtype.
    fn merge(&mut self, delta: Tensor<2>);
    /// Puts back the weight as it was loaded (nothing to do when no network is merged).
    fn restore(&mut self);
}

/// Networks that hold merge targets: each visits all of its layers that a LoRA may name.
pub trait MergeTargets {
    fn for_each_target(&mut self, visit: &mut dyn FnMut(&mut dyn MergeTarget));
}

/// A network with nothing to merge into: stands in for the text encoder or the UNet when only the
/// other is loaded (`nurie eval`).
pub struct NoLayers;

impl MergeTargets for NoLayers {
    fn for_each_target(&mut self, _visit: &mut dyn FnMut(&mut dyn MergeTarget)) {}
}

/// `original` (any dtype) plus an f32 `delta` of the same shape, rounded back to `original`'s dtype.
pub fn add_in_f32<const D: usize>(original: Tensor<D>, delta: Tensor<D>) -> Tensor<D> {
    let dtype = original.dtype();
    (original.cast(DType::F32) + delta).cast(dtype)
}
