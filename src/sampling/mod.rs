//! From noise to latents: seeded noise as A1111 draws it, and the samplers.

pub mod noise;
