//! `nurie generate`'s inpainting flags: a mask over the `--init-image`, and A1111's inpainting settings.

use std::path::PathBuf;

use crate::metadata::{GenerationSettings, InpaintSettings};
use crate::vocabulary::{InpaintArea, MaskedContent};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct InpaintArgs {
    /// Inpainting: redraw only the part of --init-image this picture marks: white (or, in a picture with
    /// transparency, opaque) is redrawn, black kept. Any size: it is fitted to the picture. With
    /// --from-png, the picture's own mask is used when it is kept in Nurie's home.
    #[arg(long)]
    pub mask: Option<PathBuf>,
    /// Blur of the mask's edge in pixels, so the redrawn part blends in (default 4).
    #[arg(long)]
    pub mask_blur: Option<u32>,
    /// `whole`: the whole picture is sampled at the generation size (default); `masked`: only the masked
    /// part, with --padding pixels around it, enlarged to the generation size, then pasted back.
    #[arg(long)]
    pub inpaint_area: Option<InpaintArea>,
    /// `--inpaint-area masked`: pixels around the mask taken along (default 32).
    #[arg(long)]
    pub padding: Option<u32>,
    /// What the masked part starts from: `fill` (the colours around it), `original` (default),
    /// `latent-noise` or `latent-nothing`.
    #[arg(long)]
    pub masked_content: Option<MaskedContent>,
    /// `on` (default): the original pixels are put back outside the mask after decoding, so nothing there
    /// changes; `off`: the decoded picture is kept as it is.
    #[arg(long, value_parser = ["on", "off"])]
    pub paste_back: Option<String>,
    /// Redraw what the mask leaves black instead (A1111's "Inpaint not masked").
    #[arg(long)]
    pub invert_mask: bool,
    /// Match the result's colors to the picture's before pasting it back (A1111's color correction).
    #[arg(long)]
    pub color_correction: bool,
    /// Inpainting checkpoints: the exact draw (tensor `noise` [1,4,h,w]) that samples the masked picture's
    /// latents, as diffusers' inpainting pipeline encodes it (tests and reproduction); default: the mean.
    #[arg(long)]
    pub masked_image_noise: Option<PathBuf>,
}

impl InpaintArgs {
    fn any_setting(&self) -> bool {
        self.mask.is_some()
            || self.mask_blur.is_some()
            || self.inpaint_area.is_some()
            || self.padding.is_some()
            || self.masked_content.is_some()
            || self.paste_back.is_some()
            || self.invert_mask
            || self.color_correction
    }

    /// The flags over the settings (a recorded picture's or a settings file's): any of them inpaints.
    pub fn apply(&self, settings: &mut GenerationSettings) {
        if !self.any_setting() {
            return;
        }
        let inpaint = settings.inpaint.get_or_insert_with(InpaintSettings::default);
        inpaint.mask_blur = self.mask_blur.unwrap_or(inpaint.mask_blur);
        inpaint.area = self.inpaint_area.unwrap_or(inpaint.area);
        inpaint.padding = self.padding.unwrap_or(inpaint.padding);
        inpaint.masked_content = self.masked_content.unwrap_or(inpaint.masked_content);
        inpaint.paste_back = self.paste_back.as_deref().map_or(inpaint.paste_back, |value| value == "on");
        inpaint.invert |= self.invert_mask;
        inpaint.color_correction |= self.color_correction;
    }
}
