//! What sd-webui-controlnet's control modes do to a unit's residuals. "Prompt" mode scales residual i
//! of 13 (12 down, then the middle one) by weight·0.825^(12−i) ("soft injection"); "ControlNet" mode
//! uses those soft scales too and adds the residuals to the conditional half of the CFG batch only
//! ("CFG injection"), which is what `soft_injection = mode != Balanced` and
//! `cfg_injection = mode == ControlNet` do there.

use crate::vocabulary::ControlMode;

/// Ratio between the scales of neighbouring residuals in the soft-injection modes.
const SOFT_RATIO: f32 = 0.825;

impl ControlMode {
    /// Scale of residual `index` of `count` (the middle block's residual is the last) for `weight`.
    pub fn residual_scale(self, weight: f32, index: usize, count: usize) -> f32 {
        match self {
            ControlMode::Balanced => weight,
            _ => weight * SOFT_RATIO.powi((count - 1 - index.min(count - 1)) as i32),
        }
    }

    /// Whether the residuals go to the conditional half of the CFG batch only.
    pub fn conditional_only(self) -> bool {
        self == ControlMode::ControlNetMoreImportant
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soft_scales_fall_by_0_825_per_block_from_the_middle() {
        let mode = ControlMode::PromptMoreImportant;
        assert_eq!(mode.residual_scale(1.0, 12, 13), 1.0);
        assert!((mode.residual_scale(2.0, 11, 13) - 1.65).abs() < 1e-6);
        assert!((mode.residual_scale(1.0, 0, 13) - 0.825f32.powi(12)).abs() < 1e-7);
        assert_eq!(ControlMode::Balanced.residual_scale(0.7, 0, 13), 0.7);
    }

    #[test]
    fn only_controlnet_mode_skips_the_unconditional_half() {
        assert!(ControlMode::ControlNetMoreImportant.conditional_only());
        assert!(!ControlMode::PromptMoreImportant.conditional_only());
    }
}
