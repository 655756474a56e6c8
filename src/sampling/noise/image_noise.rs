//! The noise of a batch of images, drawn as AUTOMATIC1111's `ImageRNG` (`modules/rng.py`) draws it.
//!
//! Every image of a batch has its own seed (A1111: the batch's seed, seed + 1, seed + 2, ...) and its
//! own generator. The first draw gives each image's initial latent noise. If the "eta noise seed
//! delta" (ENSD) setting is non-zero, the generators are then replaced by fresh ones seeded
//! `seed + delta`. Every later draw (the ancestral samplers' per-step noise) continues each image's
//! generator. Subseeds and "resize seed from" are not reproduced.

use super::source::{NormalSource, generator};
use crate::vocabulary::RngSource;

/// Channels of an SD1.x latent.
pub const LATENT_CHANNELS: usize = 4;

pub struct ImageNoise {
    source: RngSource,
    seeds: Vec<u64>,
    latent_height: usize,
    latent_width: usize,
    eta_noise_seed_delta: u64,
    generators: Vec<Box<dyn NormalSource + Send>>,
    first_drawn: bool,
}

impl ImageNoise {
    /// One image per seed, latents of `LATENT_CHANNELS` x `latent_height` x `latent_width`
    /// (image size / 8). `eta_noise_seed_delta` is A1111's ENSD setting; 0 turns it off.
    pub fn new(source: RngSource, seeds: Vec<u64>, latent_height: usize, latent_width: usize, eta_noise_seed_delta: u64) -> Self {
        let generators = seeds.iter().map(|&seed| generator(source, seed)).collect();
        Self { source, seeds, latent_height, latent_width, eta_noise_seed_delta, generators, first_drawn: false }
    }

    /// A1111's seeds for a batch: `seed`, `seed + 1`, ... (`batch_size` of them; wrapping at 2^64).
    pub fn consecutive_seeds(seed: u64, batch_size: usize) -> Vec<u64> {
        (0..batch_size as u64).map(|index| seed.wrapping_add(index)).collect()
    }

    /// Shape of every draw: `[batch, channels, height, width]`.
    pub fn shape(&self) -> [usize; 4] {
        [self.seeds.len(), LATENT_CHANNELS, self.latent_height, self.latent_width]
    }

    /// `ImageRNG.first()`: each image's initial noise, row-major `[batch, 4, h, w]`; then, with a
    /// non-zero ENSD, the switch to generators seeded `seed + ENSD`.
    pub fn first(&mut self) -> Vec<f32> {
        let noise = self.draw();
        self.first_drawn = true;
        if self.eta_noise_seed_delta != 0 {
            self.generators =
                self.seeds.iter().map(|&seed| generator(self.source, seed.wrapping_add(self.eta_noise_seed_delta))).collect();
        }
        noise
    }

    /// `ImageRNG.next()`: the next noise of every image, row-major `[batch, 4, h, w]`. Like A1111, the
    /// very first call is [`first`](Self::first).
    pub fn next_noise(&mut self) -> Vec<f32> {
        if self.first_drawn { self.draw() } else { self.first() }
    }

    fn draw(&mut self) -> Vec<f32> {
        let per_image = LATENT_CHANNELS * self.latent_height * self.latent_width;
        self.generators.iter_mut().flat_map(|generator| generator.randn(per_image)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampling::noise::reference_cases::{Case, Reference, assert_matches_reference, case, sequence};
    use crate::vocabulary::Choice;

    const LATENT_8X8: [usize; 4] = [1, 4, 8, 8];

    fn per_source(reference: &Case, source: RngSource) -> &Reference {
        match source {
            RngSource::Cpu => &reference.torch_cpu,
            RngSource::Nv => &reference.nv,
        }
    }

    #[test]
    fn a_batch_gives_each_image_the_noise_of_its_own_seed() {
        for &source in RngSource::ALL {
            let mut noise = ImageNoise::new(source, ImageNoise::consecutive_seeds(0, 2), 8, 8, 0);
            assert_eq!(noise.shape(), [2, 4, 8, 8]);
            let first = noise.first();
            let (image0, image1) = first.split_at(256);
            assert_matches_reference(image0, per_source(&case(0, &LATENT_8X8), source), &format!("{source} image 0"));
            assert_matches_reference(image1, per_source(&case(1, &LATENT_8X8), source), &format!("{source} image 1"));
        }
    }

    #[test]
    fn later_draws_continue_each_image_generator() {
        let cpu = sequence(0).torch_cpu;
        let nv = sequence(0).nv;
        for (source, second, third) in [(RngSource::Cpu, &cpu[1], &cpu[2]), (RngSource::Nv, &nv[1].1, &nv[2].1)] {
            let mut noise = ImageNoise::new(source, vec![0], 8, 8, 0);
            noise.first();
            assert_matches_reference(&noise.next_noise(), second, &format!("{source} step 1"));
            assert_matches_reference(&noise.next_noise(), third, &format!("{source} step 2"));
        }
    }

    #[test]
    fn eta_noise_seed_delta_reseeds_after_the_initial_noise() {
        for &source in RngSource::ALL {
            let mut noise = ImageNoise::new(source, vec![0], 8, 8, 42);
            let initial = noise.next_noise();
            assert_matches_reference(&initial, per_source(&case(0, &LATENT_8X8), source), &format!("{source} initial"));
            let step = noise.next_noise();
            assert_matches_reference(&step, per_source(&case(42, &LATENT_8X8), source), &format!("{source} step 1"));
        }
    }

    #[test]
    fn eta_noise_seed_delta_reseeds_every_image_of_a_batch() {
        for &source in RngSource::ALL {
            let mut noise = ImageNoise::new(source, ImageNoise::consecutive_seeds(0, 2), 8, 8, 42);
            noise.first();
            let step = noise.next_noise();
            let (image0, image1) = step.split_at(256);
            assert_matches_reference(image0, per_source(&case(42, &LATENT_8X8), source), &format!("{source} 0 + 42"));
            assert_eq!(image1, generator(source, 43).randn(256).as_slice(), "{source} 1 + 42");
        }
    }
}
