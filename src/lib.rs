//! Nurie: Stable Diffusion 1.5-family models on any GPU, for illustrators coloring their line art.
//!
//! The library is organised by domain: [`checkpoint`] reads users' model files, [`prompt`] turns
//! prompt text into conditioning, [`model`] holds the networks in burn, [`runtime`] picks the device,
//! [`sampling`] draws seeded noise and runs the samplers, and [`cli`] is the command line.

pub mod checkpoint;
pub mod cli;
pub mod model;
pub mod prompt;
pub mod runtime;
pub mod sampling;
