//! A1111's "SD upscale" (`scripts/sd_upscale.py`) for print sizes: an enlarged picture cut into overlapping
//! tiles of the generation size (A1111's `split_grid`), each redrawn as img2img — tile i from seed + i, the
//! same prompt and settings, each line-art unit's hint cut from its line art at the enlarged size so the
//! lines guide every tile — and pasted back with the overlaps blended (`combine_grid`). The networks only
//! ever see one tile, so a B5 page at 600 dpi needs the memory of one tile's generation.

use burn::tensor::Device;
use image::RgbImage;

use crate::control::{LineArtSettings, fit_to_size, prepare_line_art};
use crate::metadata::{ControlGuidance, GenerationSettings};
use crate::upscale::TileGrid;
use crate::vocabulary::{Polarity, ResizeMode};

use super::error::GenerateError;
use super::models::Models;
use super::pipeline::generate;
use super::progress::{FinishedImage, Flow, Observer, StepProgress};
use super::request::{ControlUnit, InitImage, NoiseOverride, Request, RequestError};

/// One line-art unit of a tiled upscale: its line art (any size; placed over the whole picture by its
/// resize mode), and how it guides.
#[derive(Debug, Clone)]
pub struct TileLineArt {
    /// Index into [`Models::controlnets`].
    pub controlnet: usize,
    pub art: RgbImage,
    pub settings: LineArtSettings,
    pub guidance: ControlGuidance,
}

/// A tiled redraw: the settings every tile is drawn with (their width and height are the tile's, their
/// seed the first tile's, their denoising strength how much each tile changes), the overlap, and the units.
pub struct TiledUpscale {
    pub settings: GenerationSettings,
    pub overlap: u32,
    pub units: Vec<TileLineArt>,
    pub embeddings: Option<std::sync::Arc<crate::networks::embedding::EmbeddingLibrary>>,
}

/// Where a tiled upscale is, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileProgress {
    /// The tile being drawn (from 0) and how many there are.
    pub tile: usize,
    pub tiles: usize,
    pub step: usize,
    pub steps: usize,
}

impl TiledUpscale {
    /// The grid over `picture` (the enlarged picture): tiles of the settings' size, or of the picture's
    /// (down to a multiple of 8) where it is smaller.
    pub fn grid(&self, picture: &RgbImage) -> Result<TileGrid, GenerateError> {
        let fit = |tile: u32, side: u32| tile.min(side / 8 * 8).max(8);
        let tile = [fit(self.settings.width, picture.width()), fit(self.settings.height, picture.height())];
        let overlap = self.overlap.min(tile[0].min(tile[1]) / 2);
        Ok(TileGrid::with_tiles(picture.width(), picture.height(), tile, overlap)?)
    }

    /// Redraws `picture` tile by tile; `None` when `progress` cancelled.
    pub fn run(
        &self,
        models: &Models,
        device: &Device,
        picture: &RgbImage,
        progress: &mut dyn FnMut(TileProgress) -> Flow,
    ) -> Result<Option<RgbImage>, GenerateError> {
        let grid = self.grid(picture)?;
        let arts = self.placed_line_art(picture)?;
        let tiles = grid.len();
        grid.assemble(&grid, |tile, corner| {
            let request = self.tile_request(&grid, picture, &arts, tile, corner)?;
            let mut observer = TileObserver { tile, tiles, progress: &mut *progress, image: None };
            let outcome = generate(models, &request, device, &mut observer)?;
            Ok(observer.image.take().filter(|_| !outcome.cancelled))
        })
    }

    /// Each unit's line art placed over the whole enlarged picture, with the polarity the whole art has (a
    /// tile of mostly paper must not be judged on its own).
    fn placed_line_art(&self, picture: &RgbImage) -> Result<Vec<(RgbImage, LineArtSettings)>, GenerateError> {
        let (width, height) = picture.dimensions();
        Ok(self
            .units
            .iter()
            .map(|unit| {
                let polarity = if unit.settings.polarity.is_black_on_white(&unit.art) {
                    Polarity::BlackOnWhite
                } else {
                    Polarity::WhiteOnBlack
                };
                let settings = LineArtSettings { polarity, resize_mode: ResizeMode::JustResize, ..unit.settings };
                (fit_to_size(&unit.art, unit.settings.resize_mode, width, height), settings)
            })
            .collect())
    }

    /// The img2img request of tile `tile` at `corner`: the picture's tile, seed + tile, each unit's hint
    /// from its line art's tile.
    fn tile_request(
        &self,
        grid: &TileGrid,
        picture: &RgbImage,
        arts: &[(RgbImage, LineArtSettings)],
        tile: usize,
        corner: (u32, u32),
    ) -> Result<Request, GenerateError> {
        let (width, height) = (grid.tile_width, grid.tile_height);
        let mut control = Vec::with_capacity(arts.len());
        for (unit, (art, settings)) in self.units.iter().zip(arts) {
            let cut = grid.tile(art, corner);
            let prepared = prepare_line_art(&cut, *settings, width, height)
                .map_err(|error| RequestError::ControlUnit { unit: unit.controlnet, problem: error.to_string() })?;
            control.push(ControlUnit { controlnet: unit.controlnet, hint: prepared.hint, guidance: unit.guidance });
        }
        let settings = GenerationSettings {
            width,
            height,
            seed: self.settings.seed.wrapping_add(tile as u64),
            batch_size: 1,
            hires: None,
            ..self.settings.clone()
        };
        Ok(Request {
            settings,
            control,
            reference: vec![],
            init_image: Some(InitImage::whole(grid.tile(picture, corner))),
            noise: NoiseOverride::default(),
            embeddings: self.embeddings.clone(),
            color_guide: None,
            hires: None,
        })
    }
}

/// Hears one tile's generation: forwards its steps, keeps its picture.
struct TileObserver<'a> {
    tile: usize,
    tiles: usize,
    progress: &'a mut dyn FnMut(TileProgress) -> Flow,
    image: Option<RgbImage>,
}

impl Observer for TileObserver<'_> {
    fn step(&mut self, step: &StepProgress) -> Flow {
        (self.progress)(TileProgress { tile: self.tile, tiles: self.tiles, step: step.step, steps: step.steps })
    }

    fn image(&mut self, image: FinishedImage) -> Result<(), String> {
        self.image = Some(image.image);
        Ok(())
    }
}
