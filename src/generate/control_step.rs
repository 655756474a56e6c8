//! The ControlNet residuals of one step: every active unit run on the current latents, scaled by its
//! weight and control mode, and summed.

use burn::tensor::{Tensor, TensorData};

use crate::model::ControlResiduals;

use super::error::GenerateError;
use super::models::Models;
use super::request::ControlUnit;

/// A unit's hint as a tensor [batch, 3, H, W] on the device, made once per generation.
pub struct PreparedUnit<'a> {
    pub unit: &'a ControlUnit,
    pub hint: Tensor<4>,
}

impl<'a> PreparedUnit<'a> {
    /// Uploads the hint, repeated for the largest UNet batch of the generation (the CFG halves of
    /// every image taking its steps together).
    pub fn new(unit: &'a ControlUnit, batch: usize, models: &Models, device: &burn::tensor::Device) -> Self {
        let shape = [1, 3, unit.hint.height, unit.hint.width];
        let hint = Tensor::<4>::from_data(TensorData::new(unit.hint.data.clone(), shape), (device, models.dtype));
        Self { unit, hint: hint.repeat_dim(0, batch) }
    }

    /// The hint for a UNet batch of `batch` (at most the prepared one: the last images of a request
    /// can be fewer).
    fn hint_for(&self, batch: usize) -> Tensor<4> {
        match self.hint.dims()[0] {
            prepared if prepared == batch => self.hint.clone(),
            _ => self.hint.clone().slice(0..batch),
        }
    }
}

/// Step `step` of `steps`: the sum of the active units' scaled residuals, or `None` when no unit acts.
/// `sample` is the UNet's input batch ([uncond, cond] with guidance, [cond] without).
pub fn control_residuals(
    models: &Models,
    units: &[PreparedUnit],
    sample: &Tensor<4>,
    timestep: f32,
    context: &Tensor<3>,
    (step, steps): (usize, usize),
) -> Result<Option<ControlResiduals>, GenerateError> {
    let mut total: Option<ControlResiduals> = None;
    for prepared in units.iter().filter(|p| p.unit.guidance.active_at(step, steps)) {
        let unit = prepared.unit;
        let controlnet = &models.controlnets[unit.controlnet];
        let residuals = controlnet.forward(sample.clone(), &[timestep], context, prepared.hint_for(sample.dims()[0]))?;
        let count = residuals.down.len() + 1;
        let (mode, weight) = (unit.guidance.control_mode, unit.guidance.weight as f32);
        let mut scaled = residuals.scaled(|i| mode.residual_scale(weight, i, count));
        if mode.conditional_only() {
            scaled = conditional_half_only(scaled);
        }
        total = Some(match total {
            Some(sum) => sum + scaled,
            None => scaled,
        });
    }
    Ok(total)
}

/// Zeroes the unconditional half of a [uncond, cond] batch (a batch of one is all conditional).
fn conditional_half_only(residuals: ControlResiduals) -> ControlResiduals {
    let mask = |r: Tensor<4>| {
        let [batch, ..] = r.dims();
        if batch < 2 {
            return r;
        }
        let half = batch / 2;
        let weights: Vec<f32> = (0..batch).map(|i| if i < half { 0.0 } else { 1.0 }).collect();
        let mask = Tensor::<1>::from_data(TensorData::new(weights, [batch]), (&r.device(), r.dtype()));
        r * mask.reshape([batch, 1, 1, 1])
    };
    ControlResiduals { down: residuals.down.into_iter().map(mask).collect(), mid: mask(residuals.mid) }
}
