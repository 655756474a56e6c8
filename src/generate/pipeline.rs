//! A whole request: prompts encoded once, then each image seeded, sampled, decoded and handed over
//! before the next one starts (so a failure later in a batch keeps the images already made).

use burn::tensor::{Device, Tensor, TensorData};

use crate::hints::ColorGuide;
use crate::model::vae::SCALING_FACTOR;
use crate::sampling::noise::{ImageNoise, LATENT_CHANNELS};
use crate::sampling::{self, Sampler};

use super::conditioning::encode_prompt_schedule_with;
use super::control_step::PreparedUnit;
use super::denoise::Denoiser;
use super::error::GenerateError;
use super::hold::Hold;
use super::models::Models;
use super::preview::unit_to_byte;
use super::progress::{FinishedImage, Flow, Observer, Outcome, StepProgress};
use super::request::Request;
use super::tiled_decode::{Tiling, decode_tiled};
use crate::prompt::{ClipTokenizer, PromptEmbeddings};

/// Runs `request` on `models`, telling `observer` about every step and every finished image.
pub fn generate(
    models: &Models,
    request: &Request,
    device: &Device,
    observer: &mut dyn Observer,
) -> Result<Outcome, GenerateError> {
    request.validate(models.controlnets.len())?;
    let guided = request.cfg_scale() != 1.0;
    let settings = &request.settings;
    let (prompt, negative, clip_skip) = (&settings.prompt, &settings.negative_prompt, request.clip_skip());
    let width = Some(models.text_encoder.config().width);
    let embeddings = match request.embeddings.as_deref() {
        Some(library) => Some(PromptEmbeddings::for_clip(library, width, ClipTokenizer::shared()?)),
        None => None,
    };
    let contexts =
        encode_prompt_schedule_with(models, prompt, negative, clip_skip, guided, request.steps(), embeddings.as_ref())?;
    let batch = contexts.batch();
    let units: Vec<PreparedUnit> = request.control.iter().map(|u| PreparedUnit::new(u, batch, models, device)).collect();
    let denoiser = Denoiser {
        models,
        device,
        contexts: &contexts,
        cfg_scale: request.cfg_scale(),
        units: &units,
        latent_size: request.latent_size(),
    };
    let init_latents = request.init_image.as_ref().map(|init| encode_init_image(models, &init.rgb, device)).transpose()?;
    let guide = request.color_guide.as_ref().map(|guide| held_guide(models, guide, device)).transpose()?;
    let starts = Starts { init_latents: init_latents.as_deref(), guide: guide.as_ref() };
    for index in 0..request.batch_count() {
        let Some(latents) = sample_image(&denoiser, request, index, &starts, observer)? else {
            return Ok(Outcome { images: index, cancelled: true });
        };
        let image = decode(models, &latents, request, device)?;
        let seed = settings.seed.wrapping_add(index as u64);
        let finished = FinishedImage { index, seed, image, latents };
        observer.image(finished).map_err(|message| GenerateError::Output { index, message })?;
    }
    Ok(Outcome { images: request.batch_count(), cancelled: false })
}

/// The color guide in latent space: its latents and how much each latent value is held.
struct HeldGuide {
    latents: Vec<f32>,
    mask: Vec<f32>,
}

fn held_guide(models: &Models, guide: &ColorGuide, device: &Device) -> Result<HeldGuide, GenerateError> {
    Ok(HeldGuide { latents: encode_init_image(models, &guide.image, device)?, mask: guide.latent_mask_channels() })
}

/// What every image of a request starts from besides its noise, encoded once.
struct Starts<'a> {
    init_latents: Option<&'a [f32]>,
    guide: Option<&'a HeldGuide>,
}

/// Samples image `index` of the request; `None` when the observer cancelled.
fn sample_image(
    denoiser: &Denoiser,
    request: &Request,
    index: usize,
    starts: &Starts,
    observer: &mut dyn Observer,
) -> Result<Option<Vec<f32>>, GenerateError> {
    let mut sampler = sampling::sampler(request.sampler()?, request.steps())?;
    let [h, w] = request.latent_size();
    let seed = request.settings.seed.wrapping_add(index as u64);
    let mut generator = ImageNoise::new(request.settings.rng, vec![seed], h, w, request.eta_noise_seed_delta());
    let per_image = LATENT_CHANNELS * h * w;
    let initial = match &request.noise.initial {
        Some(all) => all[index * per_image..(index + 1) * per_image].to_vec(),
        None => generator.first(),
    };
    let (start, latents) = starting_latents(sampler.as_ref(), request, initial.clone(), starts.init_latents)?;
    let hold = starts.guide.map(|guide| Hold {
        target: &guide.latents,
        mask: &guide.mask,
        noise: &initial,
        until_step: Hold::end_step(start, request.steps(), request.hint_strength()),
    });
    let run = request.steps() - start;
    let mut noise = |k: usize| match &request.noise.ancestral {
        Some(all) => {
            let offset = (k * request.batch_count() + index) * per_image;
            all[offset..offset + per_image].to_vec()
        }
        None => generator.next_noise(),
    };
    let mut after_step = |k: usize, latents: &[f32]| {
        let progress =
            StepProgress { image: index, images: request.batch_count(), step: k + 1, steps: run, latents, latent_size: [h, w] };
        observer.step(&progress)
    };
    if run == 0 && after_step(0, &latents) == Flow::Cancel {
        return Ok(None);
    }
    denoiser.run(sampler.as_mut(), start, latents, &mut noise, hold.as_ref(), &mut after_step)
}

/// The first step and the latents it starts from: pure noise at the sampler's initial scale for
/// txt2img; for img2img, the init image's latents noised to the level of the first step run.
fn starting_latents(
    sampler: &dyn Sampler,
    request: &Request,
    noise: Vec<f32>,
    init: Option<&[f32]>,
) -> Result<(usize, Vec<f32>), GenerateError> {
    match (init, &request.init_image) {
        (Some(x0), Some(_)) => {
            let start = sampling::start_step(request.steps(), request.strength())?;
            if start >= request.steps() {
                return Ok((request.steps(), x0.to_vec()));
            }
            Ok((start, sampler.add_noise(start, x0, &noise)?))
        }
        _ => Ok((0, sampler.init_latents(&noise))),
    }
}

/// The init image's latents in diffusion space (posterior mean × 0.18215). The mean, not a sample:
/// the posterior's spread is tiny for SD VAEs, and the result stays a function of the settings alone.
fn encode_init_image(models: &Models, rgb: &image::RgbImage, device: &Device) -> Result<Vec<f32>, GenerateError> {
    let (width, height) = (rgb.width() as usize, rgb.height() as usize);
    let plane = width * height;
    let mut chw = vec![0.0f32; 3 * plane];
    for (p, pixel) in rgb.pixels().enumerate() {
        for c in 0..3 {
            chw[c * plane + p] = pixel.0[c] as f32 / 127.5 - 1.0;
        }
    }
    let image = Tensor::<4>::from_data(TensorData::new(chw, [1, 3, height, width]), device);
    let mean = models.vae.encode(image)?.mean * SCALING_FACTOR;
    mean.try_into_vec_as::<f32>()
        .map_err(|e| GenerateError::Device { during: "encoding the init image", message: format!("{e:?}") })
}

/// Final latents → RGB8 picture: VAE decode (in tiles above 768², see [`tiled_decode`]), then
/// round(clamp(x/2 + 0.5, 0, 1)·255) as diffusers does.
fn decode(models: &Models, latents: &[f32], request: &Request, device: &Device) -> Result<image::RgbImage, GenerateError> {
    let size = request.latent_size();
    let pixels = match Tiling::for_size(size) {
        None => decode_on_device(models, latents.to_vec(), size, device)?,
        Some(tiling) => decode_tiled(latents, LATENT_CHANNELS, size, tiling, |tile, tile_size| {
            decode_on_device(models, tile, tile_size, device)
        })?,
    };
    Ok(rgb_from_planes(&pixels, request.width(), request.height()))
}

/// Latents [4, h, w] → the decoder's raw [3, 8h, 8w] output, on the host.
fn decode_on_device(models: &Models, latents: Vec<f32>, [h, w]: [usize; 2], device: &Device) -> Result<Vec<f32>, GenerateError> {
    let tensor = Tensor::<4>::from_data(TensorData::new(latents, [1, LATENT_CHANNELS, h, w]), device);
    models
        .vae
        .decode(tensor)?
        .try_into_vec_as::<f32>()
        .map_err(|e| GenerateError::Device { during: "decoding the image", message: format!("{e:?}") })
}

/// [3, H, W] floats in about [−1, 1] → an RGB8 image.
pub fn rgb_from_planes(planes: &[f32], width: usize, height: usize) -> image::RgbImage {
    let plane = width * height;
    image::RgbImage::from_fn(width as u32, height as u32, |x, y| {
        let p = y as usize * width + x as usize;
        image::Rgb([0, 1, 2].map(|c| unit_to_byte(planes[c * plane + p] / 2.0 + 0.5)))
    })
}
