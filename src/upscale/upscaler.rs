//! A1111's upscalers: "None", "Lanczos", "Nearest" and ESRGAN-family networks, and its way of reaching a
//! scale (`Upscaler.upscale`): the upscaler runs up to three times until the picture is at least the target
//! size — the scale times the picture, each side rounded down to a multiple of 8 — then Pillow's Lanczos
//! brings it to that size exactly.
//!
//! A network sees the picture as A1111 gives it (`upscaler_utils.upscale_without_tiling`): its channels in
//! BGR order, divided by 255; its output clamped to [0, 1], times 255, truncated, back to RGB. Pictures
//! larger than a tile run tile by tile on [`TileGrid`] (A1111's ESRGAN tile 192, overlap 8).

use std::path::{Path, PathBuf};

use burn::tensor::{DType, Device, Tensor, TensorData};
use image::RgbImage;

use super::error::UpscaleError;
use super::folders::UpscalerChoice;
use super::grid::TileGrid;
use super::network::RrdbNet;
use super::resize::{Resample, resize};
use crate::checkpoint::Checkpoint;

/// The largest side an upscale writes (as the generation's own limit).
pub const MAX_SIDE: u64 = 16384;

/// How a network walks over a picture: tiles of `tile` pixels overlapping by `overlap` (`tile` 0: the
/// whole picture at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiling {
    pub tile: u32,
    pub overlap: u32,
}

impl Default for Tiling {
    /// A1111's defaults (`ESRGAN_tile`, `ESRGAN_tile_overlap`).
    fn default() -> Self {
        Self { tile: 192, overlap: 8 }
    }
}

/// Where an upscale is, for a progress bar: `done` of `total` network tiles (resampling reports none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpscaleProgress {
    pub done: usize,
    pub total: usize,
}

/// An upscaler network loaded from the user's file, with the device it runs on.
pub struct NetworkUpscaler {
    /// The file's name without its extension: what A1111 lists it as, and writes into metadata.
    pub name: String,
    pub path: PathBuf,
    network: RrdbNet,
    device: Device,
    dtype: DType,
    pub tiling: Tiling,
}

/// One of A1111's upscalers.
pub enum Upscaler {
    /// No upscaling: only the final Lanczos resize to the target.
    None,
    Lanczos,
    Nearest,
    Network(Box<NetworkUpscaler>),
}

impl NetworkUpscaler {
    /// Loads the network of `path`, to run on `device` in `dtype`.
    pub fn load(path: &Path, device: &Device, dtype: DType) -> Result<Self, UpscaleError> {
        let checkpoint = Checkpoint::open(path)?;
        let network = RrdbNet::load(&checkpoint, device, dtype)?;
        let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
        Ok(Self { name, path: path.to_path_buf(), network, device: device.clone(), dtype, tiling: Tiling::default() })
    }

    pub fn scale(&self) -> usize {
        self.network.scale()
    }

    /// One pass of the network over the whole picture, tile by tile: the picture `scale()` times larger.
    /// `progress` returning false cancels.
    pub fn pass(&self, picture: &RgbImage, progress: &mut dyn FnMut(UpscaleProgress) -> bool) -> Result<RgbImage, UpscaleError> {
        let scale = self.scale() as u32;
        let tile = if self.tiling.tile == 0 { picture.width().max(picture.height()) } else { self.tiling.tile };
        let grid = TileGrid::new(picture.width(), picture.height(), tile, self.tiling.overlap.min(tile.saturating_sub(1)))?;
        let total = grid.len();
        let upscaled = grid.assemble(&grid.scaled(scale), |done, corner| {
            if !progress(UpscaleProgress { done, total }) {
                return Err(UpscaleError::Cancelled);
            }
            self.run(&grid.tile(picture, corner)).map(Some)
        })?;
        progress(UpscaleProgress { done: total, total });
        upscaled.ok_or(UpscaleError::Cancelled)
    }

    /// The network on one tile, as A1111 feeds it (BGR, /255) and reads it back (clamp, ×255, truncate).
    /// A tile whose sides the network's pixel unshuffle does not divide is mirrored out to a multiple and
    /// the result cropped back, as Real-ESRGAN's own inference pads it.
    fn run(&self, tile: &RgbImage) -> Result<RgbImage, UpscaleError> {
        let fold = self.network.architecture().unshuffle as u32;
        let padded = reflect_to_multiple(tile, fold);
        let (width, height) = (padded.width() as usize, padded.height() as usize);
        let plane = width * height;
        let mut planes = vec![0f32; 3 * plane];
        for (index, pixel) in padded.pixels().enumerate() {
            for channel in 0..3 {
                planes[(2 - channel) * plane + index] = f32::from(pixel.0[channel]) / 255.0;
            }
        }
        let input = Tensor::<4>::from_data(TensorData::new(planes, [1, 3, height, width]), (&self.device, self.dtype));
        let output = self
            .network
            .forward(input)
            .try_into_vec_as::<f32>()
            .map_err(|error| UpscaleError::Device { message: format!("{error:?}") })?;
        let scale = self.scale() as u32;
        let (out_width, out_height) = (width as u32 * scale, height as u32 * scale);
        let out_plane = (out_width * out_height) as usize;
        let picture = RgbImage::from_fn(out_width, out_height, |x, y| {
            let index = (y * out_width + x) as usize;
            image::Rgb([2, 1, 0].map(|channel| (output[channel * out_plane + index].clamp(0.0, 1.0) * 255.0) as u8))
        });
        Ok(image::imageops::crop_imm(&picture, 0, 0, tile.width() * scale, tile.height() * scale).to_image())
    }
}

impl Upscaler {
    /// The upscaler `choice` names, its network (if any) loaded onto `device` in `dtype`.
    pub fn load(choice: UpscalerChoice, device: &Device, dtype: DType) -> Result<Self, UpscaleError> {
        Ok(match choice {
            UpscalerChoice::None => Self::None,
            UpscalerChoice::Lanczos => Self::Lanczos,
            UpscalerChoice::Nearest => Self::Nearest,
            UpscalerChoice::File(file) => Self::Network(Box::new(NetworkUpscaler::load(&file.path, device, dtype)?)),
        })
    }

    /// The name A1111 lists and records this upscaler under.
    pub fn name(&self) -> &str {
        match self {
            Self::None => "None",
            Self::Lanczos => "Lanczos",
            Self::Nearest => "Nearest",
            Self::Network(network) => &network.name,
        }
    }

    /// `picture` `scale` times larger (each side rounded down to a multiple of 8), as A1111's
    /// `Upscaler.upscale` makes it. `progress` returning false cancels.
    pub fn upscale(
        &self,
        picture: &RgbImage,
        scale: f64,
        progress: &mut dyn FnMut(UpscaleProgress) -> bool,
    ) -> Result<RgbImage, UpscaleError> {
        if !(scale.is_finite() && (1.0..=16.0).contains(&scale)) {
            return Err(UpscaleError::BadScale(scale));
        }
        let target = |side: u32| ((f64::from(side) * scale) / 8.0).floor() as u64 * 8;
        let (width, height) = (target(picture.width()), target(picture.height()));
        if width.max(height) > MAX_SIDE {
            return Err(UpscaleError::TooLarge { width, height, max: MAX_SIDE });
        }
        let (width, height) = (width as u32, height as u32);
        let mut upscaled = picture.clone();
        for pass in 0..3 {
            let large_enough = upscaled.width() >= width && upscaled.height() >= height;
            if large_enough && (pass > 0 || scale != 1.0) {
                break;
            }
            let before = upscaled.dimensions();
            upscaled = self.upscale_once(&upscaled, scale, progress)?;
            if upscaled.dimensions() == before {
                break;
            }
        }
        resize(&upscaled, width, height, Resample::Lanczos)
    }

    /// One run of the upscaler (A1111's `do_upscale`): the resamplers go straight to `scale` times the
    /// picture (truncated), a network to its own factor.
    fn upscale_once(
        &self,
        picture: &RgbImage,
        scale: f64,
        progress: &mut dyn FnMut(UpscaleProgress) -> bool,
    ) -> Result<RgbImage, UpscaleError> {
        let scaled = |side: u32| (f64::from(side) * scale) as u32;
        let (width, height) = (scaled(picture.width()), scaled(picture.height()));
        match self {
            Self::None => Ok(picture.clone()),
            Self::Lanczos => resize(picture, width, height, Resample::Lanczos),
            Self::Nearest => resize(picture, width, height, Resample::Nearest),
            Self::Network(network) => network.pass(picture, progress),
        }
    }
}

/// `picture` extended right and down by mirroring (without repeating the edge pixel) to sides that are
/// multiples of `multiple`.
fn reflect_to_multiple(picture: &RgbImage, multiple: u32) -> RgbImage {
    let (width, height) = picture.dimensions();
    let (padded_width, padded_height) = (width.next_multiple_of(multiple), height.next_multiple_of(multiple));
    if (padded_width, padded_height) == (width, height) {
        return picture.clone();
    }
    let mirror =
        |position: u32, side: u32| if position < side { position } else { (2 * side).saturating_sub(position + 2).min(side - 1) };
    RgbImage::from_fn(padded_width, padded_height, |x, y| *picture.get_pixel(mirror(x, width), mirror(y, height)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirroring_pads_without_repeating_the_edge() {
        let picture = RgbImage::from_fn(3, 2, |x, y| image::Rgb([(10 * y + x) as u8; 3]));
        let padded = reflect_to_multiple(&picture, 4);
        assert_eq!(padded.dimensions(), (4, 4));
        assert_eq!(padded.pixels().map(|p| p.0[0]).collect::<Vec<_>>(), [0, 1, 2, 1, 10, 11, 12, 11, 0, 1, 2, 1, 0, 1, 2, 1]);
    }

    #[test]
    fn lanczos_reaches_the_target_rounded_down_to_eight() {
        let picture = RgbImage::from_pixel(100, 60, image::Rgb([120, 30, 200]));
        let upscaled = Upscaler::Lanczos.upscale(&picture, 2.5, &mut |_| true).unwrap();
        assert_eq!(upscaled.dimensions(), (248, 144));
        assert!(upscaled.pixels().all(|p| p.0 == [120, 30, 200]));
    }

    #[test]
    fn scales_outside_one_to_sixteen_are_refused() {
        let picture = RgbImage::new(8, 8);
        assert!(matches!(Upscaler::None.upscale(&picture, 0.5, &mut |_| true), Err(UpscaleError::BadScale(_))));
        assert!(matches!(Upscaler::None.upscale(&picture, f64::NAN, &mut |_| true), Err(UpscaleError::BadScale(_))));
    }
}
