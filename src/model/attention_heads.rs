//! Attention heads padded to the width a tensor-core attention kernel takes.
//!
//! On a GPU with cooperative matrices, burn's fused (flash) attention computes in tiles 16 deep and
//! turns down a head width that is not a multiple of that depth; SD1.5's first-level heads are 40 wide
//! (320 channels over 8 heads), so burn would fall back to storing the 4096×4096 scores of every head at
//! 512² (268 MB per image in f16). Zero channels appended to q, k and v leave every score q·k unchanged;
//! q is scaled by √(padded/d) so the kernel's default 1/√padded scale comes out as the model's 1/√d
//! (passing a scale would send burn to the unfused path); the output's extra channels are zero and cut.

use std::sync::atomic::{AtomicUsize, Ordering};

use burn::tensor::Tensor;
use burn::tensor::module;
use burn::tensor::ops::AttentionModuleOptions;

/// The opened wgpu device's f16 cooperative-matrix tile depth; 0 when it has none (or none is open).
static TILE_DEPTH: AtomicUsize = AtomicUsize::new(0);

/// Records the tile depth of the wgpu device just opened (from its cooperative-matrix shapes).
pub fn set_tile_depth(depth: usize) {
    TILE_DEPTH.store(depth, Ordering::Relaxed);
}

/// Whether the opened wgpu device has f16 cooperative matrices (tensor cores), whose kernels
/// accumulate f16 products in f32.
pub fn has_f16_tensor_cores() -> bool {
    TILE_DEPTH.load(Ordering::Relaxed) != 0
}

/// The width heads of `head_width` are padded to on the GPU, when they need it.
pub fn padded_width(head_width: usize) -> Option<usize> {
    match TILE_DEPTH.load(Ordering::Relaxed) {
        0 => None,
        depth => Some(head_width.next_multiple_of(depth)).filter(|&padded| padded != head_width),
    }
}

/// burn's attention with the heads padded to `padded` channels and cut back after; the same result as
/// unpadded attention up to rounding. `options` must leave the scale to the kernel.
pub fn padded_attention(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>, padded: usize, options: AttentionModuleOptions) -> Tensor<4> {
    let [batch, heads, tokens, width] = q.dims();
    let scale = (padded as f64 / width as f64).sqrt();
    let y = module::attention(pad(q * scale, padded), pad(k, padded), pad(v, padded), None, None, options);
    y.slice([0..batch, 0..heads, 0..tokens, 0..width])
}

/// `t` [b, h, n, d] with zero channels appended up to `width`.
fn pad(t: Tensor<4>, width: usize) -> Tensor<4> {
    let [batch, heads, tokens, d] = t.dims();
    let zeros = Tensor::zeros([batch, heads, tokens, width - d], (&t.device(), t.dtype()));
    Tensor::cat(vec![t, zeros], 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, Distribution};

    #[test]
    fn padded_heads_attend_as_the_model_s_heads() {
        let device = Device::flex();
        let random = |n: usize| Tensor::<4>::random([2, 8, n, 40], Distribution::Normal(0.0, 1.0), &device);
        let (q, k, v) = (random(24), random(7), random(7));
        let plain = module::attention(q.clone(), k.clone(), v.clone(), None, None, Default::default());
        let padded = padded_attention(q, k, v, 48, Default::default());
        assert_eq!(padded.dims(), [2, 8, 24, 40]);
        let largest = (padded - plain).abs().max().into_scalar::<f32>();
        assert!(largest < 1e-5, "padded attention differs by {largest}");
    }

    #[test]
    fn only_widths_off_the_tile_depth_are_padded() {
        set_tile_depth(16);
        assert_eq!(padded_width(40), Some(48));
        assert_eq!(padded_width(80), None);
        assert_eq!(padded_width(160), None);
        set_tile_depth(0);
        assert_eq!(padded_width(40), None);
    }
}
