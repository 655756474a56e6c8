//! Nurie: Stable Diffusion 1.5-family models on any GPU, for illustrators coloring their line art.
//!
//! The library is organised by domain: [`vocabulary`] names a generation's choices once (samplers,
//! noise sources, control and resize modes…), [`checkpoint`] reads users' model files, [`prompt`] turns
//! prompt text into conditioning, [`model`] holds the networks in burn,
//! [`control`] turns line art into ControlNet hints, [`flats`] cuts a drawing into flat-colored areas, [`inpaint`] prepares masks and pastes originals back, [`runtime`] picks the device,
//! [`sampling`] draws seeded noise and runs the samplers,
//! [`generate`] turns a request into pictures, [`metadata`] reads and writes
//! the settings stored in PNG files, [`output`] writes finished pictures, [`upscale`] makes pictures bigger as A1111's upscalers do, [`layered`] writes them as
//! layered PSD and OpenRaster files with the artist's line art on top, [`history`] indexes every
//! picture, [`provenance`] identifies model files,
//! [`model_library`] finds models in existing installs, [`networks`] applies LoRAs and embeddings, [`home`] is Nurie's data directory,
//! [`atomic_write`] writes every file whole, [`app`] is the desktop window and [`cli`] the command line.

pub mod app;
pub mod atomic_write;
pub mod characters;
pub mod checkpoint;
pub mod cli;
pub mod control;
pub mod error_report;
pub mod flats;
#[cfg(test)]
mod fuzz;
pub mod generate;
pub mod hints;
pub mod history;
pub mod home;
pub mod inpaint;
pub mod layered;
pub mod metadata;
pub mod model;
pub mod model_library;
pub mod networks;
pub mod output;
pub mod pages;
pub mod prompt;
pub mod provenance;
pub mod runtime;
pub mod sampling;
pub mod upscale;
pub mod vocabulary;
