//! Fast paths for the CPU (burn's Flex backend, f32): the three layer kinds that take nearly all of a
//! step's time — convolution, linear layers and attention — run here as large matrix products
//! through the `gemm` crate (AVX-512 kernels where the CPU has them), on the tensors' own memory.
//!
//! Why not burn's own ops: measured on a full-size UNet step (`nurie bench --profile`), Flex's
//! convolution re-packs its weights and converts the input to NHWC on one thread at every call, its
//! linear layers reach ~70 GFLOP/s where the same products reach ~150–190 through `gemm` directly, and
//! its attention tiles keys by 64, which with SD's 40-wide heads runs at ~35 GFLOP/s.
//!
//! So do the elementwise steps that cost most as separate burn ops: GroupNorm fused with the SiLU
//! after it (six passes over the activations with burn's ops: more than 10 % of a VAE decode at 512²)
//! and the feed-forward's gated GELU (≈9 % of a UNet step).
//!
//! Each entry point says whether it applies (`Flex` device, f32, supported shape); the layers fall back
//! to burn's ops otherwise, so the GPU path and f16 are untouched. `NURIE_CPU_KERNELS=burn` turns these
//! paths off, to compare with burn's own ops (`nurie bench`).

/// Defines a function that runs `$body` (an `#[inline(always)]` function with the same arguments)
/// compiled for AVX-512F, or for AVX2 with FMA, when the CPU has them (checked at run time), and as
/// built for the baseline otherwise: the elementwise loops are written as plain arithmetic over slices,
/// and this is what lets the compiler turn them into wide vector code.
macro_rules! dispatch_simd {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) => $body:ident) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                fn avx512($($arg: $ty),*) {
                    $body($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) {
                    $body($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has AVX-512F (checked just above).
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                    // SAFETY: the CPU has AVX2 and FMA (checked just above).
                    return unsafe { avx2($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}

mod attention;
mod conv;
mod exp;
mod geglu;
mod group_norm;
mod linear;

pub use attention::attention;
pub use conv::{Conv2dGeometry, conv2d};
pub use geglu::geglu;
pub use group_norm::group_norm;
pub use linear::linear;

use std::sync::OnceLock;

use burn::backend::Flex;
use burn::backend::flex::{FlexTensor, Layout};
use burn::tensor::{DType, Tensor, TensorData};

/// Whether `tensor` lives on the CPU backend in f32, where these paths apply.
pub fn applies<const D: usize>(tensor: &Tensor<D>) -> bool {
    enabled() && tensor.dtype() == DType::F32 && is_cpu(tensor)
}

/// Whether `tensor` lives on burn's Flex CPU backend.
pub fn is_cpu<const D: usize>(tensor: &Tensor<D>) -> bool {
    is_cpu_device(&tensor.device())
}

/// Whether `device` is burn's Flex CPU backend.
pub fn is_cpu_device(device: &burn::tensor::Device) -> bool {
    matches!(device.as_dispatch(), burn::backend::DispatchDevice::Flex(_))
}

/// Off when the environment says `NURIE_CPU_KERNELS=burn`.
pub fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var("NURIE_CPU_KERNELS").map_or(true, |value| value != "burn"))
}

/// `tensor` with its values copied into its own shape's row-major order when it lives on the CPU in f32
/// and is a strided view (such as a transpose); any other tensor as it is.
pub fn laid_out_contiguously<const D: usize>(tensor: Tensor<D>) -> Tensor<D> {
    if applies(&tensor) { Tensor::from_primitive::<Flex>(View::contiguous(tensor).tensor) } else { tensor }
}

/// The Flex tensor behind `tensor` (which must satisfy [`applies`]); no copy.
fn flex<const D: usize>(tensor: Tensor<D>) -> FlexTensor {
    match tensor.try_into_primitive::<Flex>() {
        Ok(primitive) => primitive,
        Err(error) => unreachable!("checked by `applies` before: {error:?}"),
    }
}

/// A strided f32 view of a Flex tensor: its storage, shape, strides (in elements) and start offset.
struct View {
    tensor: FlexTensor,
}

impl View {
    fn of<const D: usize>(tensor: Tensor<D>) -> Self {
        Self { tensor: flex(tensor) }
    }

    /// The same data laid out contiguously (copied only when it is not already).
    fn contiguous<const D: usize>(tensor: Tensor<D>) -> Self {
        let tensor = flex(tensor);
        if tensor.is_contiguous() && tensor.layout().start_offset() == 0 {
            Self { tensor }
        } else {
            Self { tensor: tensor.to_contiguous() }
        }
    }

    fn data(&self) -> &[f32] {
        &self.tensor.storage::<f32>()[self.tensor.layout().start_offset()..]
    }

    fn shape(&self) -> &[usize] {
        self.tensor.layout().shape()
    }

    fn strides(&self) -> &[isize] {
        self.tensor.layout().strides()
    }
}

/// Wraps `values` laid out with `strides` (elements) as a tensor of `shape` on the CPU.
fn tensor_from<const D: usize>(values: Vec<f32>, shape: [usize; D], strides: Option<[usize; D]>) -> Tensor<D> {
    let data = TensorData::new(values, shape);
    let tensor = match strides {
        None => FlexTensor::from_data(data),
        Some(strides) => {
            let layout = Layout::new(shape.to_vec().into(), strides.iter().map(|&s| s as isize).collect(), 0);
            FlexTensor::from_data(data).with_layout(layout)
        }
    };
    Tensor::from_primitive::<Flex>(tensor)
}

/// A raw pointer shared between threads that write disjoint parts of one buffer.
#[derive(Clone, Copy)]
struct SharedMut(*mut f32);
// SAFETY: users write disjoint element ranges only, and the buffer outlives the parallel section.
unsafe impl Send for SharedMut {}
// SAFETY: as for `Send`: threads share the pointer, never an element.
unsafe impl Sync for SharedMut {}

impl SharedMut {
    fn at(self, offset: usize) -> *mut f32 {
        // SAFETY: offsets stay inside the buffer the pointer came from (checked by the callers' shapes).
        unsafe { self.0.add(offset) }
    }
}
