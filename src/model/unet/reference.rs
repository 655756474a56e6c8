//! Reference units inside the UNet (sd-webui-controlnet's `reference_only`, `reference_adain` and
//! `reference_adain+attn`, as diffusers' community reference pipeline ports them).
//!
//! A step runs the UNet twice. First on the reference picture's noised latents, *writing*: every
//! transformer block keeps the normalized tokens its self-attention sees, and the blocks AdaIN acts on
//! keep their output's per-channel mean and variance. Then on the generation's latents, *reading*:
//! self-attention also attends to the kept tokens (the reference's look flows into the picture), and
//! AdaIN moves each block's per-channel statistics to the reference's.
//!
//! Which blocks take part depends on the unit's weight, as in the pipeline: attention in the widest
//! blocks first (block i of n, sorted widest first, reads when weight > i/n), AdaIN where the weight
//! reaches the block's threshold (middle 0; input level d of D: 2·(1 − d/D); output level u of U: 2·u/U).
//! The style fidelity mixes, in the unconditional half of a guided batch only, the unchanged result
//! back in: fidelity 1 keeps the reference out of the unconditional prediction, so CFG pushes toward it.

use burn::tensor::{DType, Tensor};

use crate::model::layers::{RowMoments, row_moments};

/// Added to variances before their square root (the pipeline's `eps`).
const VARIANCE_FLOOR: f32 = 1e-6;

/// Where a block sits, for AdaIN's thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Site {
    /// An input block with residual layers at resolution level `level` of `levels`.
    Down {
        level: usize,
        levels: usize,
    },
    Middle,
    /// An output block at level `level` of `levels` (0 = the lowest resolution).
    Up {
        level: usize,
        levels: usize,
    },
}

impl Site {
    /// The smallest weight at which AdaIN acts here (the pipeline's `gn_weight`, doubled as it doubles it).
    fn adain_threshold(self) -> f32 {
        match self {
            Site::Middle => 0.0,
            Site::Down { level, levels } => 2.0 * (1.0 - level as f32 / levels.max(1) as f32),
            Site::Up { level, levels } => 2.0 * level as f32 / levels.max(1) as f32,
        }
    }

    /// The pipeline finds transformer blocks input blocks first, then output blocks, then the middle.
    fn search_rank(self) -> u8 {
        match self {
            Site::Down { .. } => 0,
            Site::Up { .. } => 1,
            Site::Middle => 2,
        }
    }
}

/// What one reference unit does in the generation's pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReferenceEffect {
    /// Self-attention also attends to the reference (`reference_only`, `reference_adain+attn`).
    pub attention: bool,
    /// Block statistics move to the reference's (`reference_adain`, `reference_adain+attn`).
    pub adain: bool,
    /// Which blocks take part (see the module's doc), usually 0 to 2.
    pub weight: f32,
    /// In [0, 1]: how much of the unconditional half keeps its own result.
    pub style_fidelity: f32,
}

/// The transformer tokens and block statistics one reference pass kept.
#[derive(Debug, Clone)]
pub struct ReferenceBank {
    effect: ReferenceEffect,
    tokens: Vec<KeptTokens>,
    statistics: Vec<KeptStatistics>,
}

#[derive(Debug, Clone)]
struct KeptTokens {
    site: Site,
    width: usize,
    normed: Tensor<3>,
}

/// A block's per-channel statistics, [batch, channels, 1]; `block` counts the blocks of the pass.
#[derive(Debug, Clone)]
struct KeptStatistics {
    block: usize,
    mean: Tensor<3>,
    variance: Tensor<3>,
}

impl ReferenceBank {
    pub fn new(effect: ReferenceEffect) -> Self {
        Self { effect, tokens: Vec::new(), statistics: Vec::new() }
    }

    /// Each kept transformer's rank among all of them, widest first, ties in the pipeline's search
    /// order, divided by their count: the pipeline's `attn_weight`.
    fn attention_thresholds(&self) -> Vec<f32> {
        let mut order: Vec<usize> = (0..self.tokens.len()).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(self.tokens[i].width), self.tokens[i].site.search_rank()));
        let mut thresholds = vec![0.0; order.len()];
        for (rank, &i) in order.iter().enumerate() {
            thresholds[i] = rank as f32 / order.len() as f32;
        }
        thresholds
    }
}

/// What the UNet does with reference units on one pass.
pub enum ReferencePass<'a> {
    Off,
    /// The reference's pass: keep tokens and statistics.
    Write(&'a mut ReferenceBank),
    /// The generation's pass, with every unit's bank. `uncond_rows`: how many rows of the batch are
    /// the unconditional half (0 without guidance).
    Read {
        banks: &'a [ReferenceBank],
        uncond_rows: usize,
    },
}

/// A pass walking the UNet: which transformer and which block comes next.
pub(crate) struct ReferenceCursor<'a, 'b> {
    pass: &'a mut ReferencePass<'b>,
    next_tokens: usize,
    next_block: usize,
    /// Per bank, per transformer: the weight above which it reads (reading passes only).
    thresholds: Vec<Vec<f32>>,
}

impl<'a, 'b> ReferenceCursor<'a, 'b> {
    pub(crate) fn new(pass: &'a mut ReferencePass<'b>) -> Self {
        let thresholds = match pass {
            ReferencePass::Read { banks, .. } => banks.iter().map(ReferenceBank::attention_thresholds).collect(),
            _ => Vec::new(),
        };
        Self { pass, next_tokens: 0, next_block: 0, thresholds }
    }

    /// The self-attention of a transformer block at `site` on its normalized tokens `normed`, where
    /// `attend(queries, context)` is the block's attention.
    pub(crate) fn self_attention(
        &mut self,
        site: Site,
        normed: Tensor<3>,
        attend: impl Fn(Tensor<3>, Tensor<3>) -> Tensor<3>,
    ) -> Tensor<3> {
        let slot = self.next_tokens;
        self.next_tokens += 1;
        match &mut *self.pass {
            ReferencePass::Off => attend(normed.clone(), normed),
            ReferencePass::Write(bank) => {
                bank.tokens.push(KeptTokens { site, width: normed.dims()[2], normed: normed.clone() });
                attend(normed.clone(), normed)
            }
            ReferencePass::Read { banks, uncond_rows } => {
                let thresholds = &self.thresholds;
                let reading: Vec<(&Tensor<3>, f32)> = banks
                    .iter()
                    .zip(thresholds)
                    .filter(|(bank, thresholds)| {
                        let threshold = thresholds.get(slot).copied().unwrap_or(f32::INFINITY);
                        bank.effect.attention && bank.effect.weight > threshold
                    })
                    .filter_map(|(bank, _)| Some((&bank.tokens.get(slot)?.normed, bank.effect.style_fidelity)))
                    .collect();
                read_attention(normed, &reading, *uncond_rows, attend)
            }
        }
    }

    /// A block's output `x` at `site`, after its residual and attention layers (before resampling).
    pub(crate) fn block_output(&mut self, site: Site, x: Tensor<4>) -> Tensor<4> {
        let block = self.next_block;
        self.next_block += 1;
        match &mut *self.pass {
            ReferencePass::Off => x,
            ReferencePass::Write(bank) => {
                if bank.effect.adain && bank.effect.weight >= site.adain_threshold() {
                    let (mean, variance) = statistics(&x);
                    bank.statistics.push(KeptStatistics { block, mean, variance });
                }
                x
            }
            ReferencePass::Read { banks, uncond_rows } => {
                let kept: Vec<(&KeptStatistics, f32)> = banks
                    .iter()
                    .filter_map(|bank| {
                        let kept = bank.statistics.iter().find(|kept| kept.block == block)?;
                        Some((kept, bank.effect.style_fidelity))
                    })
                    .collect();
                read_adain(x, &kept, *uncond_rows)
            }
        }
    }
}

/// Per-channel mean and (biased) variance over the picture, [batch, channels, 1], in f32 (summed by
/// [`row_moments`], as the group norm is: see there why not by reductions).
fn statistics(x: &Tensor<4>) -> (Tensor<3>, Tensor<3>) {
    let [batch, channels, height, width] = x.dims();
    let RowMoments { mean, variance, .. } = row_moments(x.clone().cast(DType::F32).reshape([batch, channels, height * width]));
    (mean, variance)
}

/// The mean of the units' style fidelities (sd-webui-controlnet averages them too).
fn mean_fidelity(fidelities: impl Iterator<Item = f32>) -> f32 {
    let (sum, count) = fidelities.fold((0.0, 0usize), |(sum, count), f| (sum + f, count + 1));
    if count == 0 { 0.0 } else { sum / count as f32 }
}

/// Attention to the picture's own tokens and every reading unit's, then, in the unconditional rows,
/// `fidelity` of plain self-attention mixed back in.
fn read_attention(
    normed: Tensor<3>,
    reading: &[(&Tensor<3>, f32)],
    uncond_rows: usize,
    attend: impl Fn(Tensor<3>, Tensor<3>) -> Tensor<3>,
) -> Tensor<3> {
    if reading.is_empty() {
        return attend(normed.clone(), normed);
    }
    let mut context = vec![normed.clone()];
    context.extend(reading.iter().map(|(tokens, _)| (*tokens).clone()));
    let with_reference = attend(normed.clone(), Tensor::cat(context, 1));
    let fidelity = mean_fidelity(reading.iter().map(|(_, f)| *f));
    mix_uncond_rows(with_reference, uncond_rows, fidelity, || {
        let own = normed.clone().slice(0..uncond_rows);
        attend(own.clone(), own)
    })
}

/// Every channel moved to the mean of the units' kept mean and variance; then, in the unconditional
/// rows, `fidelity` of the unchanged output mixed back in.
fn read_adain(x: Tensor<4>, kept: &[(&KeptStatistics, f32)], uncond_rows: usize) -> Tensor<4> {
    if kept.is_empty() {
        return x;
    }
    let [batch, channels, height, width] = x.dims();
    let dtype = x.dtype();
    let count = kept.len() as f32;
    let sum = |pick: fn(&KeptStatistics) -> &Tensor<3>| {
        kept.iter().map(|(k, _)| pick(k).clone()).reduce(|a, b| a + b).map(|total| total / count)
    };
    let (Some(mean_target), Some(variance_target)) = (sum(|k| &k.mean), sum(|k| &k.variance)) else {
        return x;
    };
    let (mean, variance) = statistics(&x);
    let std = variance.clamp_min(VARIANCE_FLOOR).sqrt();
    let std_target = variance_target.clamp_min(VARIANCE_FLOOR).sqrt();
    let flat = x.clone().cast(DType::F32).reshape([batch, channels, height * width]);
    let moved = ((flat - mean) / std * std_target + mean_target).reshape([batch, channels, height, width]).cast(dtype);
    let fidelity = mean_fidelity(kept.iter().map(|(_, f)| *f));
    mix_uncond_rows(moved, uncond_rows, fidelity, || x.slice(0..uncond_rows))
}

/// `changed` with its first `uncond_rows` rows replaced by `fidelity · own + (1 − fidelity) · changed`
/// (the pipeline's `style_fidelity * x_c + (1 - style_fidelity) * x_uc`, whose conditional rows are
/// the changed ones either way).
fn mix_uncond_rows<const D: usize>(
    changed: Tensor<D>,
    uncond_rows: usize,
    fidelity: f32,
    own: impl FnOnce() -> Tensor<D>,
) -> Tensor<D> {
    let batch = changed.dims()[0];
    if uncond_rows == 0 || fidelity <= 0.0 {
        return changed;
    }
    let uncond = changed.clone().slice(0..uncond_rows) * (1.0 - fidelity) + own() * fidelity;
    Tensor::cat(vec![uncond, changed.slice(uncond_rows..batch)], 0)
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, TensorData};

    use super::*;

    fn effect(weight: f32) -> ReferenceEffect {
        ReferenceEffect { attention: true, adain: true, weight, style_fidelity: 0.5 }
    }

    /// The pipeline's `gn_weight`s for SD1.5's four levels, doubled: middle 0; input 2, 1.5, 1, 0.5;
    /// output 0, 0.5, 1, 1.5.
    #[test]
    fn adain_thresholds_follow_the_pipeline() {
        let down = (0..4).map(|level| Site::Down { level, levels: 4 }.adain_threshold()).collect::<Vec<_>>();
        let up = (0..4).map(|level| Site::Up { level, levels: 4 }.adain_threshold()).collect::<Vec<_>>();
        assert_eq!((Site::Middle.adain_threshold(), down, up), (0.0, vec![2.0, 1.5, 1.0, 0.5], vec![0.0, 0.5, 1.0, 1.5]));
    }

    /// Widest first; among equals, input blocks, then output blocks, then the middle (the order the
    /// pipeline finds them in), whatever order the UNet runs them.
    #[test]
    fn attention_reads_the_widest_blocks_first() {
        let device = Device::flex();
        let tokens = |width: usize| Tensor::<3>::zeros([1, 2, width], &device);
        let mut bank = ReferenceBank::new(effect(1.0));
        let sites = [
            (Site::Down { level: 0, levels: 2 }, 32),
            (Site::Down { level: 1, levels: 2 }, 64),
            (Site::Middle, 64),
            (Site::Up { level: 0, levels: 2 }, 64),
            (Site::Up { level: 1, levels: 2 }, 32),
        ];
        for (site, width) in sites {
            bank.tokens.push(KeptTokens { site, width, normed: tokens(width) });
        }
        assert_eq!(bank.attention_thresholds(), vec![0.6, 0.0, 0.4, 0.2, 0.8]);
    }

    /// Per channel over the picture: the mean and the biased variance.
    #[test]
    fn statistics_are_per_channel_means_and_biased_variances() {
        let device = Device::flex();
        let x = Tensor::<4>::from_data(TensorData::new(vec![1.0f32, 3.0, 5.0, 7.0, 2.0, 2.0, 2.0, 2.0], [1, 2, 2, 2]), &device);
        let (mean, variance) = statistics(&x);
        assert_eq!(mean.try_into_vec_as::<f32>().unwrap(), vec![4.0, 2.0]);
        assert_eq!(variance.try_into_vec_as::<f32>().unwrap(), vec![5.0, 0.0]);
    }
}
