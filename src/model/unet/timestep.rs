//! The sinusoidal timestep embedding of SD1.x (diffusers `Timesteps(flip_sin_to_cos=True,
//! downscale_freq_shift=0)`, identical to LDM's `timestep_embedding`): [cos(t·f), sin(t·f)] with
//! f_i = exp(−ln(10000)·i/half), computed in f32 on the host as PyTorch does.

use burn::tensor::{DType, Device, Tensor, TensorData};

const MAX_PERIOD: f32 = 10_000.0;

/// Embeds each timestep of `timesteps` into `width` channels: a [batch, width] tensor.
pub fn timestep_embedding(timesteps: &[f32], width: usize, device: &Device, dtype: DType) -> Tensor<2> {
    let half = width / 2;
    let frequencies: Vec<f32> = (0..half).map(|i| (-MAX_PERIOD.ln() * i as f32 / half as f32).exp()).collect();
    let mut values = Vec::with_capacity(timesteps.len() * width);
    for &t in timesteps {
        values.extend(frequencies.iter().map(|&f| (t * f).cos()));
        values.extend(frequencies.iter().map(|&f| (t * f).sin()));
        values.resize(values.len() + width % 2, 0.0);
    }
    Tensor::from_data(TensorData::new(values, [timesteps.len(), width]), (device, dtype))
}
