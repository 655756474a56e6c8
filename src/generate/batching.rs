//! How many images of a request go through the UNet together (A1111's "batch size"): on a GPU with
//! memory to spare, the latents of several images share each UNet and ControlNet call, which keeps a
//! large GPU busy where one 512² image leaves most of it idle. The images come out as they would one
//! at a time (each keeps its own seed and noise); on the CPU they run one at a time, since it is busy
//! already and a batch would only take more memory.
//!
//! The memory figures are estimates for SD1.5, on the safe side: the weights as they load, and per
//! image what the UNet's activations take at 512² with classifier-free guidance (its two halves)
//! and without flash attention, growing with the pixels.

use std::sync::atomic::{AtomicU64, Ordering};

use burn::tensor::DType;

/// Most images in one call, whatever the memory: beyond this a GPU gains little.
pub const MAX_IMAGES_PER_CALL: usize = 8;

/// The share of the device's memory a generation plans to use, leaving room for the window, the
/// driver and other programs.
const USABLE_SHARE: f64 = 0.7;

/// Parameters of SD1.5's networks: UNet, text encoder, one ControlNet; the VAE stays in f32.
const UNET_PARAMETERS: f64 = 860e6;
const TEXT_ENCODER_PARAMETERS: f64 = 123e6;
const CONTROLNET_PARAMETERS: f64 = 361e6;
const VAE_BYTES: f64 = 335e6;

/// Activations of one image's UNet step at 512² in f16, both guidance halves, in bytes.
const ACTIVATIONS_512_F16: f64 = 1.5e9;
/// A ControlNet adds about half a UNet's activations.
const CONTROLNET_ACTIVATION_SHARE: f64 = 0.5;
/// So does a reference unit: its kept tokens, and self-attention over twice the keys.
const REFERENCE_ACTIVATION_SHARE: f64 = 0.5;

/// Memory of the opened wgpu device (its largest device-local heap, or Metal's recommended working
/// set), 0 when unknown or when none is open.
static DEVICE_MEMORY: AtomicU64 = AtomicU64::new(0);

/// Records the memory of the wgpu device just opened, as cubecl read it.
pub fn set_device_memory(bytes: Option<u64>) {
    DEVICE_MEMORY.store(bytes.unwrap_or(0), Ordering::Relaxed);
}

/// What a generation needs to know to size its UNet calls.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// Images in the request.
    pub images: usize,
    pub width: usize,
    pub height: usize,
    pub controlnets: usize,
    pub references: usize,
    pub dtype: DType,
}

/// Images per UNet call on the device: 1 on the CPU or where the memory is unknown.
pub fn images_per_call(workload: &Workload, on_cpu: bool) -> usize {
    match (on_cpu, DEVICE_MEMORY.load(Ordering::Relaxed)) {
        (true, _) | (false, 0) => 1,
        (false, memory) => images_fitting(workload, memory),
    }
}

/// How many of the workload's images fit at once in `memory` bytes, beside the weights.
pub fn images_fitting(workload: &Workload, memory: u64) -> usize {
    let bytes = if workload.dtype == DType::F32 { 4.0 } else { 2.0 };
    let controlnets = workload.controlnets as f64;
    let parameters = UNET_PARAMETERS + TEXT_ENCODER_PARAMETERS + CONTROLNET_PARAMETERS * controlnets;
    let weights = parameters * bytes + VAE_BYTES;
    let pixels = (workload.width * workload.height) as f64 / (512.0 * 512.0);
    let extra_share = CONTROLNET_ACTIVATION_SHARE * controlnets + REFERENCE_ACTIVATION_SHARE * workload.references as f64;
    let per_image = ACTIVATIONS_512_F16 * bytes / 2.0 * pixels * (1.0 + extra_share);
    let spare = memory as f64 * USABLE_SHARE - weights;
    let fitting = if spare > 0.0 { (spare / per_image).floor() as usize } else { 0 };
    fitting.clamp(1, MAX_IMAGES_PER_CALL).min(workload.images.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: u64 = 1_000_000_000;

    fn workload(images: usize, side: usize, controlnets: usize, dtype: DType) -> Workload {
        Workload { images, width: side, height: side, controlnets, references: 0, dtype }
    }

    #[test]
    fn more_memory_fits_more_images_up_to_the_request_and_the_cap() {
        let line_art = workload(4, 512, 1, DType::F16);
        assert_eq!(images_fitting(&line_art, 4 * GB), 1, "a 4 GB card runs one image at a time");
        assert_eq!(images_fitting(&line_art, 8 * GB), 1);
        assert_eq!(images_fitting(&line_art, 12 * GB), 2);
        assert_eq!(images_fitting(&line_art, 24 * GB), 4, "never more than the request's images");
        assert_eq!(images_fitting(&workload(8, 512, 1, DType::F16), 24 * GB), 6);
        assert_eq!(images_fitting(&workload(16, 512, 0, DType::F16), 80 * GB), MAX_IMAGES_PER_CALL);
    }

    #[test]
    fn bigger_pictures_and_f32_fit_fewer() {
        let memory = 24 * GB;
        let small = images_fitting(&workload(8, 512, 1, DType::F16), memory);
        assert!(images_fitting(&workload(8, 768, 1, DType::F16), memory) < small);
        assert!(images_fitting(&workload(8, 512, 1, DType::F32), memory) < small);
    }

    #[test]
    fn the_cpu_and_an_unknown_memory_run_one_image_at_a_time() {
        let many = workload(8, 512, 0, DType::F16);
        assert_eq!(images_per_call(&many, true), 1);
        assert_eq!(images_fitting(&many, 0), 1);
    }
}
