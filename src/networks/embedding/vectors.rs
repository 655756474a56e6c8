//! One loaded embedding: its name and its vectors, on the host in f32 (A1111 keeps them in f32 too and
//! casts them to the text encoder's dtype when they are put in).

use std::path::{Path, PathBuf};

/// The most vectors an embedding may have: one prompt chunk's 75 tokens. A1111 would build a chunk
/// longer than CLIP's 77 positions from a longer one and fail when encoding it.
pub const MAX_VECTORS: usize = 75;

#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    name: String,
    path: Option<PathBuf>,
    width: usize,
    /// `[count, width]`, row-major.
    values: Vec<f32>,
}

impl Embedding {
    /// `values` holds whole vectors of `width` (a trailing partial vector is dropped).
    pub fn new(name: impl Into<String>, path: Option<PathBuf>, width: usize, mut values: Vec<f32>) -> Self {
        let whole = values.len().checked_div(width).map_or(0, |count| count * width);
        values.truncate(whole);
        Self { name: name.into(), path, width, values }
    }

    /// The word that calls it: the file's stem (A1111's rule).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file it came from; `None` for one built in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn width(&self) -> usize {
        self.width
    }

    /// How many tokens it takes in a prompt (A1111's `embedding.vectors`).
    pub fn count(&self) -> usize {
        self.values.len().checked_div(self.width).unwrap_or(0)
    }

    /// All vectors, `[count, width]` row-major.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Vector `index`, if there is one.
    pub fn vector(&self, index: usize) -> Option<&[f32]> {
        self.values.chunks_exact(self.width.max(1)).nth(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_and_vectors() {
        let embedding = Embedding::new("x", None, 2, vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(embedding.count(), 2);
        assert_eq!(embedding.vector(1), Some(&[3.0, 4.0][..]));
        assert_eq!(embedding.vector(2), None);
        assert_eq!(Embedding::new("x", None, 0, vec![1.0]).count(), 0);
    }
}
