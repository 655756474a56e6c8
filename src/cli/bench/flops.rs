//! Floating-point operations of the timed networks at a given latent size, for effective TFLOP/s.
//!
//! The counts are the usual ones (a multiply-add is two operations) for SD1.5 at 64×64 latents:
//! UNet batch 2 ≈ 1.61 TFLOP, its ControlNet ≈ 0.57, VAE decode of one 512² image ≈ 2.5. Each is
//! split into the part that grows with the pixel count (convolutions, projections, cross-attention
//! to 77 tokens) and the self-attention scores and their weighted sum, which grow with its square:
//! 4·n²·width per transformer and image (n tokens), so 2·4·4096²·320 at the UNet's first level.
//! Other sizes are scaled from these two parts.

/// Latent pixels the reference counts are for (64×64).
const REFERENCE_PIXELS: f64 = 4096.0;

/// TFLOP at 64×64 latents: (linear in pixels, quadratic in pixels).
struct Cost {
    linear: f64,
    quadratic: f64,
    /// Images the reference count is for.
    batch: f64,
}

impl Cost {
    fn tflop(&self, latent: [usize; 2], batch: usize) -> f64 {
        let p = (latent[0] * latent[1]) as f64 / REFERENCE_PIXELS;
        (self.linear * p + self.quadratic * p * p) * batch as f64 / self.batch
    }
}

/// Self-attention at 64×64 with batch 2: five transformers at 4096 tokens × 320, five at 1024 × 640,
/// six at 256 × 1280 (mid block included).
const UNET: Cost = Cost { linear: 1.61 - 0.2457, quadratic: 0.2457, batch: 2.0 };
/// The ControlNet copies the encoder half: two transformers per level and the mid block.
const CONTROLNET: Cost = Cost { linear: 0.57 - 0.0987, quadratic: 0.0987, batch: 2.0 };
/// One head of width 512 over 4096 tokens in the mid block.
const VAE_DECODE: Cost = Cost { linear: 2.5 - 0.0344, quadratic: 0.0344, batch: 1.0 };
/// CLIP ViT-L/14 text encoder (123 M parameters) over 77 tokens, per prompt.
const TEXT_ENCODER_PER_PROMPT: f64 = 2.0 * 123e6 * 77.0 / 1e12;

pub fn unet(latent: [usize; 2], batch: usize) -> f64 {
    UNET.tflop(latent, batch)
}

pub fn controlnet(latent: [usize; 2], batch: usize) -> f64 {
    CONTROLNET.tflop(latent, batch)
}

pub fn vae_decode(latent: [usize; 2]) -> f64 {
    VAE_DECODE.tflop(latent, 1)
}

pub fn text_encoder(prompts: usize) -> f64 {
    TEXT_ENCODER_PER_PROMPT * prompts as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_sizes_give_the_usual_counts() {
        assert!((unet([64, 64], 2) - 1.61).abs() < 1e-9);
        assert!((controlnet([64, 64], 2) - 0.57).abs() < 1e-9);
        assert!((vae_decode([64, 64]) - 2.5).abs() < 1e-9);
    }

    #[test]
    fn attention_grows_with_the_square_of_the_pixels() {
        // 128×128 latents: four times the pixels, sixteen times the attention.
        let expected = 4.0 * (1.61 - 0.2457) + 16.0 * 0.2457;
        assert!((unet([128, 128], 2) - expected).abs() < 1e-9);
        assert!((unet([64, 64], 1) - 0.805).abs() < 1e-9);
        // The quadratic part matches 4·n²·width summed over the UNet's transformers, batch 2.
        let attention = |n: f64, width: f64, count: f64| 2.0 * 4.0 * n * n * width * count / 1e12;
        let counted = attention(4096.0, 320.0, 5.0) + attention(1024.0, 640.0, 5.0) + attention(256.0, 1280.0, 6.0);
        assert!((counted - 0.2457).abs() < 1e-3, "{counted}");
    }
}
