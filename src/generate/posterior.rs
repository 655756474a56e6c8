//! A picture's latent posterior as the VAE's encoder gives it, brought to the host: what img2img, hires
//! fix and the color guide take the mean of, and what reference units and an inpainting checkpoint's
//! masked picture draw a sample from (diffusers' `latent_dist.sample`), each × 0.18215.

use burn::tensor::{Device, Tensor, TensorData};

use crate::model::vae::{Posterior, SCALING_FACTOR};

use super::error::GenerateError;
use super::models::Models;

/// The posterior of `planes` ([3, height, width] in [−1, 1]) on the device.
pub(super) fn encode_planes(
    models: &Models,
    planes: Vec<f32>,
    [height, width]: [usize; 2],
    device: &Device,
) -> Result<Posterior, GenerateError> {
    let image = Tensor::<4>::from_data(TensorData::new(planes, [1, 3, height, width]), device);
    Ok(models.vae.encode(image)?)
}

/// A posterior's mean and spread on the host, [4, h, w] each.
pub(super) struct HostPosterior {
    mean: Vec<f32>,
    std: Vec<f32>,
}

impl HostPosterior {
    /// `posterior` read back; `during` names the work in a device error.
    pub fn read(posterior: Posterior, during: &'static str) -> Result<Self, GenerateError> {
        let read =
            |t: Tensor<4>| t.try_into_vec_as::<f32>().map_err(|e| GenerateError::Device { during, message: format!("{e:?}") });
        let std = (posterior.logvar * 0.5).exp();
        Ok(Self { mean: read(posterior.mean)?, std: read(std)? })
    }

    /// Latents drawn with `draw` (unit normal, as the posterior's own): (mean + std · draw) · 0.18215.
    pub fn sample(&self, draw: &[f32]) -> Vec<f32> {
        self.mean.iter().zip(&self.std).zip(draw).map(|((m, s), n)| (m + s * n) * SCALING_FACTOR).collect()
    }

    /// Values in the latents.
    pub fn len(&self) -> usize {
        self.mean.len()
    }

    /// The mean's latents, mean · 0.18215.
    pub fn mean_latents(&self) -> Vec<f32> {
        self.mean.iter().map(|m| m * SCALING_FACTOR).collect()
    }
}
