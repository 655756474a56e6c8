//! What an ESRGAN-family file holds, read from its keys and shapes alone: which of the two key layouts, how
//! wide, how deep, and by how much it enlarges.
//!
//! Two layouts exist for the same network (RRDBNet):
//! - the original ESRGAN one (4x-AnimeSharp, 4x-UltraSharp and most community models): one `nn.Sequential`
//!   `model.N`, the trunk under `model.1.sub`, its dense blocks `RDB1..3` with `convK.0`, then per 2x step a
//!   convolution at `model.3`, `model.6`, …, the high-resolution convolution two after the last of those and
//!   the last convolution two after that;
//! - Real-ESRGAN's (BasicSR `RRDBNet`: RealESRGAN_x4plus, …_anime_6B, x2plus): `conv_first`, `body.N.rdbK.convK`,
//!   `conv_body`, `conv_up1`, `conv_up2`, `conv_hr`, `conv_last`, usually inside BasicSR's `params_ema` (the
//!   averaged weights, the ones to use) next to `params`. Its x2 and x1 models fold 2×2 (4×4) pixel blocks into
//!   channels first, so their first convolution takes 12 (48) channels.
//!
//! Every convolution is named here once ([`Conv`]) and [`RrdbArchitecture::key`] spells it in the file's layout.

use std::collections::BTreeSet;

use super::error::UpscaleError;
use crate::checkpoint::Checkpoint;

/// The file's key layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLayout {
    Esrgan,
    RealEsrgan,
}

/// One convolution of the network, whatever the layout calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    First,
    /// Convolution `conv` (0..5) of dense block `dense` (0..3) of residual-in-residual block `block`.
    Dense {
        block: usize,
        dense: usize,
        conv: usize,
    },
    /// The convolution closing the trunk.
    Trunk,
    /// The convolution after the `n`th 2x nearest upsampling.
    Up(usize),
    HighRes,
    Last,
}

/// An RRDBNet's shape as found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RrdbArchitecture {
    pub layout: KeyLayout,
    /// Prepended to every key (`params_ema.` in BasicSR's files).
    pub prefix: String,
    /// Channels of the picture in and out (3).
    pub channels: usize,
    /// Width of the trunk's features (64 in the published models).
    pub features: usize,
    /// Channels each dense convolution adds (32).
    pub growth: usize,
    /// Residual-in-residual dense blocks (23, or 6 for the anime_6B model).
    pub blocks: usize,
    /// 2x nearest upsamplings at the end.
    pub upsamplings: usize,
    /// The side of the pixel blocks folded into channels first (1: none; Real-ESRGAN x2: 2; x1: 4).
    pub unshuffle: usize,
}

impl RrdbArchitecture {
    /// Reads the architecture from the file's keys; anything else is a [`UpscaleError::NotAnUpscaler`]
    /// naming what is missing.
    pub fn detect(checkpoint: &Checkpoint) -> Result<Self, UpscaleError> {
        let not_one = |reason: String| UpscaleError::NotAnUpscaler { path: checkpoint.path().to_path_buf(), reason };
        let prefix = ["params_ema.", "params.", "module.", ""]
            .into_iter()
            .find(|prefix| checkpoint.keys().any(|key| key.starts_with(prefix) && is_layout_key(&key[prefix.len()..])))
            .ok_or_else(|| not_one(describe_keys(checkpoint)))?
            .to_string();
        refuse_variants(checkpoint, &prefix)?;
        let layout =
            if checkpoint.contains(&format!("{prefix}model.0.weight")) { KeyLayout::Esrgan } else { KeyLayout::RealEsrgan };
        let local: Vec<&str> = checkpoint.keys().filter_map(|key| key.strip_prefix(prefix.as_str())).collect();
        let blocks = count_blocks(&local, layout);
        if blocks == 0 {
            return Err(not_one("it has no residual-in-residual dense blocks".into()));
        }
        let upsamplings = match layout {
            KeyLayout::Esrgan => esrgan_upsamplings(&local).map_err(not_one)?,
            KeyLayout::RealEsrgan => (1..).take_while(|n| local.contains(&format!("conv_up{n}.weight").as_str())).count(),
        };
        let mut architecture = Self { layout, prefix, channels: 0, features: 0, growth: 0, blocks, upsamplings, unshuffle: 1 };
        let shape = |conv: Conv| -> Result<Vec<usize>, UpscaleError> {
            Ok(checkpoint.shape(&format!("{}.weight", architecture.key(conv)))?.to_vec())
        };
        let first = shape(Conv::First)?;
        let last = shape(Conv::Last)?;
        let dense = shape(Conv::Dense { block: 0, dense: 0, conv: 0 })?;
        let (Some(&features), Some(&folded), Some(&channels), Some(&growth)) =
            (first.first(), first.get(1), last.first(), dense.first())
        else {
            return Err(not_one("its convolutions are not 4-dimensional".into()));
        };
        let unshuffle = [1, 2, 4].into_iter().find(|side| channels * side * side == folded);
        let Some(unshuffle) = unshuffle.filter(|&side| side == 1 || layout == KeyLayout::RealEsrgan) else {
            return Err(not_one(format!("its first convolution takes {folded} channels for a {channels}-channel picture")));
        };
        architecture.channels = channels;
        architecture.features = features;
        architecture.growth = growth;
        architecture.unshuffle = unshuffle;
        Ok(architecture)
    }

    /// How many times larger the picture comes out (4 for a "4x" model; may be 1).
    pub fn scale(&self) -> usize {
        (1usize << self.upsamplings) / self.unshuffle
    }

    /// The key of `conv` in the file (without `.weight`/`.bias`).
    pub fn key(&self, conv: Conv) -> String {
        let local = match (self.layout, conv) {
            (KeyLayout::Esrgan, Conv::First) => "model.0".to_string(),
            (KeyLayout::Esrgan, Conv::Dense { block, dense, conv }) => {
                format!("model.1.sub.{block}.RDB{}.conv{}.0", dense + 1, conv + 1)
            }
            (KeyLayout::Esrgan, Conv::Trunk) => format!("model.1.sub.{}", self.blocks),
            (KeyLayout::Esrgan, Conv::Up(n)) => format!("model.{}", 3 * (n + 1)),
            (KeyLayout::Esrgan, Conv::HighRes) => format!("model.{}", 3 * self.upsamplings + 2),
            (KeyLayout::Esrgan, Conv::Last) => format!("model.{}", 3 * self.upsamplings + 4),
            (KeyLayout::RealEsrgan, Conv::First) => "conv_first".to_string(),
            (KeyLayout::RealEsrgan, Conv::Dense { block, dense, conv }) => {
                format!("body.{block}.rdb{}.conv{}", dense + 1, conv + 1)
            }
            (KeyLayout::RealEsrgan, Conv::Trunk) => "conv_body".to_string(),
            (KeyLayout::RealEsrgan, Conv::Up(n)) => format!("conv_up{}", n + 1),
            (KeyLayout::RealEsrgan, Conv::HighRes) => "conv_hr".to_string(),
            (KeyLayout::RealEsrgan, Conv::Last) => "conv_last".to_string(),
        };
        format!("{}{local}", self.prefix)
    }
}

/// Whether a key (prefix removed) is the first convolution of either layout.
fn is_layout_key(key: &str) -> bool {
    key == "model.0.weight" || key == "conv_first.weight"
}

/// Networks with the same first keys that this RRDBNet would run wrongly.
fn refuse_variants(checkpoint: &Checkpoint, prefix: &str) -> Result<(), UpscaleError> {
    let unsupported =
        |what: &str| UpscaleError::UnsupportedArchitecture { path: checkpoint.path().to_path_buf(), what: what.into() };
    let local = || checkpoint.keys().filter_map(|key| key.strip_prefix(prefix));
    if local().any(|key| key.contains("conv1x1")) {
        return Err(unsupported("an ESRGAN+ model (dense blocks with 1×1 convolutions)"));
    }
    if local().any(|key| key.starts_with("model.1.sub.") && key.contains(".RDB") && !key.contains(".conv")) {
        return Err(unsupported("an ESRGAN variant with extra layers in its dense blocks"));
    }
    Ok(())
}

/// Residual-in-residual blocks: the block indices whose first dense convolution exists, which must be
/// 0, 1, … without gaps (0 when there are none or they skip).
fn count_blocks(local: &[&str], layout: KeyLayout) -> usize {
    let (head, tail) = match layout {
        KeyLayout::Esrgan => ("model.1.sub.", ".RDB1.conv1.0.weight"),
        KeyLayout::RealEsrgan => ("body.", ".rdb1.conv1.weight"),
    };
    let found: BTreeSet<usize> =
        local.iter().filter_map(|key| key.strip_prefix(head)?.strip_suffix(tail)?.parse().ok()).collect();
    let numbered_in_order = found.iter().enumerate().all(|(position, &index)| position == index);
    if numbered_in_order { found.len() } else { 0 }
}

/// The original layout's upsamplings, from the indices of `model.N.weight` past the trunk: `3, 6, …, 3n`
/// for the upsampling convolutions, `3n + 2` for the high-resolution one and `3n + 4` for the last.
fn esrgan_upsamplings(local: &[&str]) -> Result<usize, String> {
    let indices: BTreeSet<usize> = local
        .iter()
        .filter_map(|key| key.strip_prefix("model.")?.strip_suffix(".weight")?.parse().ok())
        .filter(|&index| index >= 2)
        .collect();
    let count = indices.len().saturating_sub(2);
    let expected: BTreeSet<usize> = (1..=count).map(|n| 3 * n).chain([3 * count + 2, 3 * count + 4]).collect();
    if indices != expected {
        return Err(format!("its layers after the trunk are model.{indices:?}, not an upsampling tail"));
    }
    Ok(count)
}

/// What the keys look like, for the error when neither layout's first convolution is there.
fn describe_keys(checkpoint: &Checkpoint) -> String {
    let first: Vec<&str> = checkpoint.keys().take(3).collect();
    if checkpoint.keys().any(|key| key.starts_with("model.diffusion_model.")) {
        "it is a Stable Diffusion checkpoint".into()
    } else if first.is_empty() {
        "it holds no tensors".into()
    } else {
        format!("it has neither model.0 nor conv_first; its first keys are {}", first.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_layout_names_its_tail_after_the_upsamplings() {
        let architecture = RrdbArchitecture {
            layout: KeyLayout::Esrgan,
            prefix: String::new(),
            channels: 3,
            features: 64,
            growth: 32,
            blocks: 23,
            upsamplings: 2,
            unshuffle: 1,
        };
        assert_eq!(architecture.scale(), 4);
        assert_eq!(architecture.key(Conv::Dense { block: 4, dense: 2, conv: 1 }), "model.1.sub.4.RDB3.conv2.0");
        assert_eq!(architecture.key(Conv::Trunk), "model.1.sub.23");
        assert_eq!(architecture.key(Conv::Up(1)), "model.6");
        assert_eq!(architecture.key(Conv::HighRes), "model.8");
        assert_eq!(architecture.key(Conv::Last), "model.10");
    }

    #[test]
    fn upsampling_tails_are_counted_and_checked() {
        assert_eq!(esrgan_upsamplings(&["model.0.weight", "model.3.weight", "model.5.weight", "model.7.weight"]), Ok(1));
        assert_eq!(esrgan_upsamplings(&["model.3.weight", "model.6.weight", "model.8.weight", "model.10.weight"]), Ok(2));
        assert!(esrgan_upsamplings(&["model.3.weight", "model.6.weight", "model.9.weight"]).is_err());
    }

    #[test]
    fn blocks_must_be_numbered_without_gaps() {
        let keys = ["body.0.rdb1.conv1.weight", "body.1.rdb1.conv1.weight"];
        assert_eq!(count_blocks(&keys, KeyLayout::RealEsrgan), 2);
        assert_eq!(count_blocks(&["body.0.rdb1.conv1.weight", "body.2.rdb1.conv1.weight"], KeyLayout::RealEsrgan), 0);
    }
}
