//! A whole request: prompts encoded once, then the images seeded and sampled — several at a time in
//! one UNet batch where the GPU has the memory ([`super::batching`]) — and each decoded and handed
//! over before the next ones start (so a failure later in a batch keeps the images already made).

use burn::tensor::{Device, Tensor, TensorData};

use crate::hints::ColorGuide;
use crate::model::vae::SCALING_FACTOR;
use crate::sampling::noise::{ImageNoise, LATENT_CHANNELS};
use crate::sampling::{self, Sampler};

use super::batching::{Workload, images_per_call};
use super::conditioning::encode_prompt_schedule_with;
use super::control_step::PreparedUnit;
use super::denoise::{Denoiser, StepInputs};
use super::error::GenerateError;
use super::hires_pass::{HiresRun, ImageSlot};
use super::hold::Hold;
use super::inpaint_step::{Inpainting, check_checkpoint};
use super::models::Models;
use super::posterior::encode_planes;
use super::preview::unit_to_byte;
use super::progress::{FinishedImage, Flow, Observer, Outcome, StepProgress};
use super::reference_step::{GroupReferences, PreparedReference};
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
    let workload = Workload {
        images: request.batch_count(),
        width: request.width(),
        height: request.height(),
        controlnets: request.control.len(),
        references: request.reference.len(),
        dtype: models.dtype,
    };
    let together = images_per_call(&workload, crate::runtime::cpu::is_cpu_device(device));
    generate_together(models, request, device, together, observer)
}

/// [`generate`] with `together` images in each UNet call (the last call takes what is left).
pub fn generate_together(
    models: &Models,
    request: &Request,
    device: &Device,
    together: usize,
    observer: &mut dyn Observer,
) -> Result<Outcome, GenerateError> {
    request.validate(models.controlnets.len())?;
    check_checkpoint(models, request)?;
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
    let together = together.clamp(1, request.batch_count().max(1));
    let units: Vec<PreparedUnit> =
        request.control.iter().map(|u| PreparedUnit::new(u, batch * together, models, device)).collect();
    let inpainting = Inpainting::prepare(models, request, device)?;
    let denoiser = Denoiser {
        models,
        device,
        contexts: &contexts,
        cfg_scale: request.cfg_scale(),
        units: &units,
        latent_size: request.latent_size(),
        extra_channels: inpainting.as_ref().and_then(Inpainting::extra_channels),
    };
    let init_latents = request.init_image.as_ref().map(|init| encode_picture(models, &init.rgb, device)).transpose()?;
    let guide = request.color_guide.as_ref().map(|guide| held_guide(models, guide, device)).transpose()?;
    let references =
        request.reference.iter().map(|unit| PreparedReference::new(unit, models, device)).collect::<Result<Vec<_>, _>>()?;
    let starts = Starts {
        init_latents: init_latents.as_deref(),
        guide: guide.as_ref(),
        references: &references,
        inpainting: inpainting.as_ref(),
    };
    let hires = match request.hires_steps() {
        0 => None,
        steps => {
            let contexts = encode_prompt_schedule_with(models, prompt, negative, clip_skip, guided, steps, embeddings.as_ref())?;
            HiresRun::prepare(models, request, device, contexts)?
        }
    };
    let images = request.batch_count();
    for first in (0..images).step_by(together) {
        let indices = first..(first + together).min(images);
        let Some(latents) = sample_images(&denoiser, request, indices.clone(), &starts, observer)? else {
            return Ok(Outcome { images: first, cancelled: true });
        };
        let per_image = latents.len() / indices.len();
        for (index, latents) in indices.zip(latents.chunks_exact(per_image)) {
            let seed = settings.seed.wrapping_add(index as u64);
            let (latents, size) = match &hires {
                None => (latents.to_vec(), request.latent_size()),
                Some(hires) => {
                    let slot = ImageSlot { index, seed, first_steps: first_pass_steps(request)? };
                    let Some(latents) = hires.run(models, request, device, slot, latents, observer)? else {
                        return Ok(Outcome { images: index, cancelled: true });
                    };
                    (latents, hires.latent_size())
                }
            };
            let image = rgb_from_planes(&decode_at(models, &latents, size, device)?, 8 * size[1], 8 * size[0]);
            let image = finish_inpainting(request, image)?;
            let finished = FinishedImage { index, seed, image, latents };
            observer.image(finished).map_err(|message| GenerateError::Output { index, message })?;
        }
    }
    Ok(Outcome { images, cancelled: false })
}

/// An inpainted picture's last steps: its colors matched to the starting picture's (when asked), then the
/// original pasted back over it (unless paste-back is off).
fn finish_inpainting(request: &Request, image: image::RgbImage) -> Result<image::RgbImage, GenerateError> {
    let Some(init) = &request.init_image else { return Ok(image) };
    let Some(mask) = &init.mask else { return Ok(image) };
    let correct = request.settings.inpaint.is_some_and(|inpaint| inpaint.color_correction);
    let image = if correct { crate::inpaint::correct_colors(&image, &init.rgb) } else { image };
    Ok(match &mask.overlay {
        Some(overlay) => overlay.apply(&image)?,
        None => image,
    })
}

/// The color guide in latent space: its latents and how much each latent value is held.
struct HeldGuide {
    latents: Vec<f32>,
    mask: Vec<f32>,
}

fn held_guide(models: &Models, guide: &ColorGuide, device: &Device) -> Result<HeldGuide, GenerateError> {
    Ok(HeldGuide { latents: encode_picture(models, &guide.image, device)?, mask: guide.latent_mask_channels() })
}

/// What every image of a request starts from besides its noise, encoded once.
struct Starts<'a> {
    init_latents: Option<&'a [f32]>,
    guide: Option<&'a HeldGuide>,
    references: &'a [PreparedReference<'a>],
    inpainting: Option<&'a Inpainting>,
}

/// Samples images `indices` of the request together, their latents one after another; `None` when
/// the observer cancelled.
fn sample_images(
    denoiser: &Denoiser,
    request: &Request,
    indices: std::ops::Range<usize>,
    starts: &Starts,
    observer: &mut dyn Observer,
) -> Result<Option<Vec<f32>>, GenerateError> {
    let mut sampler = sampling::sampler(request.sampler()?, request.steps())?;
    let [h, w] = request.latent_size();
    let per_image = LATENT_CHANNELS * h * w;
    let seeds: Vec<u64> = indices.clone().map(|index| request.settings.seed.wrapping_add(index as u64)).collect();
    let references =
        GroupReferences::new(starts.references, request.noise.reference.as_ref(), request.settings.rng, &seeds, [h, w]);
    let mut generator = ImageNoise::new(request.settings.rng, seeds, h, w, request.eta_noise_seed_delta());
    let initial = match &request.noise.initial {
        Some(all) => all[indices.start * per_image..indices.end * per_image].to_vec(),
        None => generator.first(),
    };
    let init_latents = starts.init_latents.map(|x0| x0.repeat(indices.len()));
    let init_latents = match (init_latents, starts.inpainting) {
        (Some(x0), Some(inpainting)) => Some(inpainting.masked_start(x0, &initial)),
        (x0, _) => x0,
    };
    let from_noise = starts.inpainting.is_some_and(|inpainting| inpainting.starts_from_noise(request.strength()));
    let (start, latents) = if from_noise {
        (0, sampler.init_latents(&initial))
    } else {
        starting_latents(sampler.as_ref(), request, initial.clone(), init_latents.as_deref())?
    };
    let blend = match (starts.inpainting, &init_latents) {
        (Some(inpainting), Some(x0)) => inpainting.blend(x0),
        _ => None,
    };
    let held = starts.guide.map(|guide| (guide.latents.repeat(indices.len()), guide.mask.repeat(indices.len())));
    let hold = held.as_ref().map(|(target, mask)| Hold {
        target,
        mask,
        noise: &initial,
        until_step: Hold::end_step(start, request.steps(), request.hint_strength()),
    });
    let run = request.steps() - start;
    let mut noise = |k: usize| match &request.noise.ancestral {
        Some(all) => {
            let offset = (k * request.batch_count() + indices.start) * per_image;
            all[offset..offset + indices.len() * per_image].to_vec()
        }
        None => generator.next_noise(),
    };
    let (first, together, images) = (indices.start, indices.len(), request.batch_count());
    let mut after_step = |k: usize, latents: &[f32]| {
        let progress = StepProgress {
            image: first,
            together,
            images,
            step: k + 1,
            // Hires fix's second pass counts on from here.
            steps: run + request.hires_steps(),
            latents: &latents[..per_image],
            latent_size: [h, w],
        };
        observer.step(&progress)
    };
    if run == 0 && after_step(0, &latents) == Flow::Cancel {
        return Ok(None);
    }
    let inputs = StepInputs { noise: &mut noise, references, hold: hold.as_ref(), blend: blend.as_ref() };
    denoiser.run(sampler.as_mut(), start, latents, inputs, &mut after_step)
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

/// A picture's latents in diffusion space (posterior mean × 0.18215): the init image, the color guide,
/// hires fix's enlarged picture. The mean, not a sample: the posterior's spread is tiny for SD VAEs, and
/// the result stays a function of the settings alone.
pub(super) fn encode_picture(models: &Models, rgb: &image::RgbImage, device: &Device) -> Result<Vec<f32>, GenerateError> {
    let size = [rgb.height() as usize, rgb.width() as usize];
    let mean = encode_planes(models, image_to_planes(rgb), size, device)?.mean * SCALING_FACTOR;
    mean.try_into_vec_as::<f32>()
        .map_err(|e| GenerateError::Device { during: "encoding the init image", message: format!("{e:?}") })
}

/// An RGB8 picture as the VAE takes it: [3, H, W] planes in [−1, 1].
pub(crate) fn image_to_planes(rgb: &image::RgbImage) -> Vec<f32> {
    let plane = rgb.width() as usize * rgb.height() as usize;
    let mut chw = vec![0.0f32; 3 * plane];
    for (p, pixel) in rgb.pixels().enumerate() {
        for c in 0..3 {
            chw[c * plane + p] = pixel.0[c] as f32 / 127.5 - 1.0;
        }
    }
    chw
}

/// Latents of `size` = [h, w] → the decoder's [3, 8h, 8w] output in about [−1, 1], on the host (in tiles
/// above 768², see [`tiled_decode`]).
pub(super) fn decode_at(models: &Models, latents: &[f32], size: [usize; 2], device: &Device) -> Result<Vec<f32>, GenerateError> {
    match Tiling::for_size(size) {
        None => decode_on_device(models, latents.to_vec(), size, device),
        Some(tiling) => decode_tiled(latents, LATENT_CHANNELS, size, tiling, |tile, tile_size| {
            decode_on_device(models, tile, tile_size, device)
        }),
    }
}

/// The steps the first pass runs (img2img runs fewer than the settings' count).
fn first_pass_steps(request: &Request) -> Result<usize, GenerateError> {
    match &request.init_image {
        Some(_) => Ok(request.steps() - sampling::start_step(request.steps(), request.strength())?),
        None => Ok(request.steps()),
    }
}

/// [3, H, W] decoder output → RGB8 as A1111 hands a first pass to its upscalers:
/// `(255 · clamp(x/2 + 0.5, 0, 1)).astype(uint8)`, truncated rather than rounded.
pub(super) fn planes_to_rgb_truncated(planes: &[f32], width: usize, height: usize) -> image::RgbImage {
    let plane = width * height;
    image::RgbImage::from_fn(width as u32, height as u32, |x, y| {
        let p = y as usize * width + x as usize;
        image::Rgb([0, 1, 2].map(|c| (255.0 * (planes[c * plane + p] / 2.0 + 0.5).clamp(0.0, 1.0)) as u8))
    })
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
