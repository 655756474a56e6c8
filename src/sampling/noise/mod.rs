//! Seeded initial and ancestral noise that reproduces AUTOMATIC1111 bit for bit, computed on the host.
//!
//! Two sources, as A1111's "Random number generator source" setting names them:
//! - [`RngSource::Cpu`](crate::vocabulary::RngSource::Cpu): `torch.randn` on torch's CPU generator ([`TorchCpuGenerator`]: MT19937 and
//!   the x86-64 Box-Muller kernel with its float32 Cephes polynomials);
//! - [`RngSource::Nv`](crate::vocabulary::RngSource::Nv): A1111's Philox imitation of CUDA `torch.randn` ([`PhiloxGenerator`]).
//!
//! [`ImageNoise`] draws a batch's noise as A1111's `ImageRNG` does: one generator per image seed, and
//! the eta noise seed delta.

mod cephes_f32;
mod image_noise;
mod mt19937;
mod philox;
mod random_seed;
mod source;
mod torch_cpu;

#[cfg(test)]
mod reference_cases;

pub use image_noise::{ImageNoise, LATENT_CHANNELS};
pub use philox::PhiloxGenerator;
pub use random_seed::random_seed;
pub use source::{NormalSource, generator};
pub use torch_cpu::TorchCpuGenerator;
