//! The two files a random model is: the single-file checkpoint (UNet, VAE, text encoder and the
//! schedule buffers, as an original SD1.5 `.safetensors`) and the ControlNet.

use super::config::Sd15Config;
use super::spec::TensorSpec;
use super::{controlnet, schedule, text_encoder, unet, vae};

/// Every tensor of an original-layout SD1.5 checkpoint of this architecture.
pub fn checkpoint(config: &Sd15Config) -> Vec<TensorSpec> {
    let mut tensors = unet::tensors(&config.unet);
    tensors.extend(vae::tensors(&config.vae));
    tensors.extend(text_encoder::tensors(&config.text));
    tensors.extend(schedule::tensors());
    tensors
}

/// Every tensor of a ControlNet for this architecture, in lllyasviel's layout.
pub fn controlnet(config: &Sd15Config) -> Vec<TensorSpec> {
    controlnet::tensors(config)
}
