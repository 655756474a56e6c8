//! A1111's latent upscalers for hires fix: the first pass's latents resized to the second pass's size by
//! PyTorch's `interpolate` (align_corners false), in the modes A1111 names `Latent`, `Latent (antialiased)`,
//! `Latent (bicubic)`, `Latent (bicubic antialiased)`, `Latent (nearest)` and `Latent (nearest-exact)`.
//!
//! On the host, in f32, separably (rows, then columns): latents are small (4×64×64 at 512²). Each mode's
//! taps and weights follow PyTorch's CPU kernels: bilinear and bicubic (Keys, a = −0.75) sample at
//! `scale·(i + ½) − ½` with edge indices clamped; the antialiased forms spread a triangle or a cubic
//! (a = −0.5) over `scale·(i + ½)`, widened by the scale when shrinking, and renormalize at the edges;
//! nearest takes `⌊i·scale⌋`, nearest-exact `⌊(i + ½)·scale⌋`; `scale` is input ÷ output.

/// One of A1111's latent upscale modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatentUpscale {
    Bilinear,
    BilinearAntialiased,
    Bicubic,
    BicubicAntialiased,
    Nearest,
    NearestExact,
}

/// Each mode with the name A1111 lists and records it under.
const NAMES: [(LatentUpscale, &str); 6] = [
    (LatentUpscale::Bilinear, "Latent"),
    (LatentUpscale::BilinearAntialiased, "Latent (antialiased)"),
    (LatentUpscale::Bicubic, "Latent (bicubic)"),
    (LatentUpscale::BicubicAntialiased, "Latent (bicubic antialiased)"),
    (LatentUpscale::Nearest, "Latent (nearest)"),
    (LatentUpscale::NearestExact, "Latent (nearest-exact)"),
];

/// An output position's input taps and their weights along one axis.
type Taps = Vec<(usize, f32)>;

impl LatentUpscale {
    /// The mode A1111 calls `name` (any case).
    pub fn from_name(name: &str) -> Option<Self> {
        NAMES.iter().find(|(_, listed)| listed.eq_ignore_ascii_case(name.trim())).map(|&(mode, _)| mode)
    }

    pub fn name(self) -> &'static str {
        NAMES.iter().find(|(mode, _)| *mode == self).map_or("Latent", |(_, name)| name)
    }

    pub fn all() -> impl Iterator<Item = Self> {
        NAMES.iter().map(|&(mode, _)| mode)
    }

    /// `planes` (`channels` planes of `from` = [h, w], row-major) resized to `to` = [h, w].
    pub fn resize(self, planes: &[f32], channels: usize, from: [usize; 2], to: [usize; 2]) -> Vec<f32> {
        let rows = self.taps(from[0], to[0]);
        let columns = self.taps(from[1], to[1]);
        let mut out = Vec::with_capacity(channels * to[0] * to[1]);
        for plane in planes.chunks_exact(from[0] * from[1]).take(channels) {
            let across: Vec<f32> =
                plane.chunks_exact(from[1]).flat_map(|row| columns.iter().map(|taps| weigh(taps, |i| row[i]))).collect();
            for taps in &rows {
                out.extend((0..to[1]).map(|x| weigh(taps, |i| across[i * to[1] + x])));
            }
        }
        out
    }

    /// Every output position's taps along an axis of `input` values resized to `output`.
    fn taps(self, input: usize, output: usize) -> Vec<Taps> {
        let scale = input as f32 / output as f32;
        let last = input.saturating_sub(1);
        (0..output)
            .map(|i| match self {
                Self::Nearest => vec![(((i as f32 * scale).floor() as usize).min(last), 1.0)],
                Self::NearestExact => vec![((((i as f32 + 0.5) * scale).floor() as usize).min(last), 1.0)],
                Self::Bilinear => bilinear(i, scale, last),
                Self::Bicubic => bicubic(i, scale, last),
                Self::BilinearAntialiased => antialiased(i, scale, input, 1.0, triangle),
                Self::BicubicAntialiased => antialiased(i, scale, input, 2.0, |x| keys_cubic(x, -0.5)),
            })
            .collect()
    }
}

fn weigh(taps: &Taps, value: impl Fn(usize) -> f32) -> f32 {
    taps.iter().map(|&(index, weight)| weight * value(index)).sum()
}

fn bilinear(i: usize, scale: f32, last: usize) -> Taps {
    let source = (scale * (i as f32 + 0.5) - 0.5).max(0.0);
    let low = (source as usize).min(last);
    let high = if low < last { low + 1 } else { low };
    let lambda = source - low as f32;
    vec![(low, 1.0 - lambda), (high, lambda)]
}

fn bicubic(i: usize, scale: f32, last: usize) -> Taps {
    let source = scale * (i as f32 + 0.5) - 0.5;
    let floor = source.floor();
    let t = source - floor;
    let clamp = |offset: f32| ((floor + offset).max(0.0) as usize).min(last);
    let a = -0.75;
    let weights = [keys_cubic(t + 1.0, a), keys_cubic(t, a), keys_cubic(1.0 - t, a), keys_cubic(2.0 - t, a)];
    [-1.0, 0.0, 1.0, 2.0].iter().zip(weights).map(|(&offset, weight)| (clamp(offset), weight)).collect()
}

/// PyTorch's antialiased taps: `filter` (of half-width `support` when enlarging) centred on
/// `scale·(i + ½)`, widened by the scale when shrinking, cut at the edges and renormalized.
fn antialiased(i: usize, scale: f32, input: usize, support: f32, filter: fn(f32) -> f32) -> Taps {
    let (support, inverse) = if scale >= 1.0 { (support * scale, 1.0 / scale) } else { (support, 1.0) };
    let center = scale * (i as f32 + 0.5);
    let start = ((center - support + 0.5).max(0.0)) as usize;
    let end = ((center + support + 0.5) as usize).min(input);
    let raw: Vec<(usize, f32)> = (start..end).map(|j| (j, filter((j as f32 - center + 0.5) * inverse))).collect();
    let total: f32 = raw.iter().map(|(_, weight)| weight).sum();
    let total = if total == 0.0 { 1.0 } else { total };
    raw.into_iter().map(|(j, weight)| (j, weight / total)).collect()
}

fn triangle(x: f32) -> f32 {
    (1.0 - x.abs()).max(0.0)
}

/// Keys' cubic convolution kernel with parameter `a`.
fn keys_cubic(x: f32, a: f32) -> f32 {
    let x = x.abs();
    if x <= 1.0 {
        ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for mode in LatentUpscale::all() {
            assert_eq!(LatentUpscale::from_name(mode.name()), Some(mode));
        }
        assert_eq!(LatentUpscale::from_name("latent (Bicubic Antialiased)"), Some(LatentUpscale::BicubicAntialiased));
        assert_eq!(LatentUpscale::from_name("Lanczos"), None);
    }

    #[test]
    fn doubling_bicubically_keeps_a_constant() {
        let planes = vec![3.0; 2 * 3 * 4];
        let out = LatentUpscale::Bicubic.resize(&planes, 2, [3, 4], [6, 8]);
        assert_eq!(out.len(), 2 * 6 * 8);
        assert!(out.iter().all(|v| (v - 3.0).abs() < 1e-5));
    }
}
