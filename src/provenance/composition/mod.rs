//! Merge composition: how much of each reference model a checkpoint's weights look like, block by
//! block, relative to a base (e.g. "output blocks ≈ 0.30 NAI v1, residual 8 %").
//!
//! Method (shown to users as such): for each block of weights, the target's difference from the base is
//! fitted by least squares as a weighted sum of the references' differences from the base
//! ([`least_squares`]). A plain or block-weighted merge of the references gives coefficients equal to
//! its merge ratios and a residual near 0; further training or unlisted ingredients leave a residual.
//! The numbers are evidence about the weights, not a statement of where a file came from.
//!
//! Tensors are streamed: each is read from the memory-mapped files of target, base and references,
//! folded into the block's dot products, and dropped, so memory stays near one tensor per file.

mod blocks;
mod error;
mod least_squares;
mod stream;
#[cfg(test)]
mod tests;

pub use blocks::{Block, Group};
pub use error::CompositionError;
pub use least_squares::{Accumulator, Fit};
pub use stream::{AnalysisProgress, analyze};

/// Whether a result is for a coarse group or a single block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Group,
    Block,
}

/// The fit of one group or block.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupResult {
    pub name: String,
    pub level: Level,
    pub parameters: u64,
    pub fit: Fit,
}

/// The composition of a target against references, relative to a base.
#[derive(Debug, Clone, PartialEq)]
pub struct Composition {
    /// The references' file names, in the order of each fit's coefficients.
    pub references: Vec<String>,
    /// Coarse groups first (input/middle/output blocks, UNet, text encoder, VAE), then every UNet block.
    pub groups: Vec<GroupResult>,
    pub tensors: usize,
    pub parameters: u64,
}

impl Composition {
    pub fn group(&self, name: &str) -> Option<&GroupResult> {
        self.groups.iter().find(|group| group.name == name)
    }

    /// One line of evidence for a group: `output_blocks ≈ 0.30 nai.ckpt + 0.70 sd15.ckpt, residual 8 %`.
    pub fn describe(&self, group: &GroupResult) -> String {
        if group.fit.identical_to_base {
            return format!("{}: the same weights as the base", group.name);
        }
        let terms: Vec<String> = self
            .references
            .iter()
            .zip(&group.fit.coefficients)
            .map(|(name, coefficient)| match coefficient {
                Some(a) => format!("{a:.2} {name}"),
                None => format!("? {name}"),
            })
            .collect();
        let residual =
            group.fit.residual.map_or_else(|| "residual unknown".to_string(), |r| format!("residual {:.0} %", r * 100.0));
        format!("{} ≈ {}, {residual}", group.name, terms.join(" + "))
    }
}
