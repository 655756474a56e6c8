//! Where a tensor's bytes live, and how to decode a (possibly strided) view of them.

use std::io::Read;

use super::model_file::ModelFile;
use super::{CheckpointError, ElementType, Result};

/// Where a tensor's storage bytes are: in the model file, or in a compressed zip entry of it.
pub(crate) enum Source {
    /// Bytes of the model file, read where they are.
    File,
    /// A deflate-compressed zip entry, inflated when a tensor in it is read, and only as far as that
    /// tensor reaches: a small file cannot make Nurie hold gigabytes it never uses.
    Deflated(DeflatedEntry),
}

/// A compressed storage inside a PyTorch zip archive.
pub(crate) struct DeflatedEntry {
    /// The archive entry's name, for messages.
    pub name: String,
    /// Where the compressed stream starts in the file, and its length.
    pub data_start: u64,
    pub compressed_len: u64,
}

impl DeflatedEntry {
    /// The `len` inflated bytes at `offset` of the entry. Inflates `offset + len` bytes at most, into a
    /// buffer of `len` bytes.
    pub fn inflate_range(&self, file: &ModelFile, offset: usize, len: usize) -> Result<Vec<u8>> {
        let compressed = file.range(self.data_start, self.compressed_len);
        let mut inflated = flate2::read::DeflateDecoder::new(compressed);
        let skipped = std::io::copy(&mut (&mut inflated).take(offset as u64), &mut std::io::sink());
        let mut bytes = vec![0; len];
        let read = skipped.and_then(|n| {
            if n == offset as u64 { inflated.read_exact(&mut bytes) } else { Err(std::io::ErrorKind::UnexpectedEof.into()) }
        });
        read.map(|()| bytes).map_err(|error| match error.kind() {
            std::io::ErrorKind::UnexpectedEof => CheckpointError::Truncated {
                path: file.path().to_path_buf(),
                reason: format!("storage `{}` holds fewer bytes than its tensors need", self.name),
            },
            _ => CheckpointError::CorruptHeader {
                path: file.path().to_path_buf(),
                reason: format!("storage `{}` does not inflate: {error}", self.name),
            },
        })
    }
}

/// One tensor: element type, shape and where its elements are. Bounds are checked when the
/// checkpoint is indexed, so reading a tensor stays inside its source.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorEntry {
    pub element: ElementType,
    pub shape: Vec<usize>,
    /// Element strides (row-major contiguous for safetensors; any view for PyTorch files).
    pub strides: Vec<usize>,
    /// Index of the checkpoint's [`Source`] holding the bytes.
    pub(crate) source: usize,
    /// Byte offset of element [0, 0, …] in the source.
    pub(crate) byte_offset: usize,
}

impl TensorEntry {
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_contiguous(&self) -> bool {
        contiguous_strides(&self.shape) == self.strides
    }

    /// Byte range touched by this view, relative to `byte_offset`: one past the farthest element.
    pub fn byte_extent(&self) -> Option<usize> {
        if self.shape.contains(&0) {
            return Some(0);
        }
        let last = self
            .shape
            .iter()
            .zip(&self.strides)
            .try_fold(0usize, |acc, (&n, &s)| (n - 1).checked_mul(s).and_then(|x| acc.checked_add(x)))?;
        last.checked_add(1)?.checked_mul(self.element.size_bytes())
    }

    /// Integer elements, exactly, from the tensor's bytes (the [`Self::byte_extent`] bytes at
    /// `byte_offset`); `None` when the element type is not an integer.
    pub(crate) fn decode_i64(&self, bytes: &[u8]) -> Option<Vec<i64>> {
        let size = self.element.size_bytes();
        strided_indices(&self.shape, &self.strides)
            .map(|index| self.element.decode_i64(&bytes[index * size..(index + 1) * size]))
            .collect()
    }

    /// Elements as f32 from the tensor's bytes (the [`Self::byte_extent`] bytes at `byte_offset`).
    pub(crate) fn decode_f32(&self, bytes: &[u8]) -> Vec<f32> {
        let size = self.element.size_bytes();
        let mut out = Vec::with_capacity(self.numel());
        if self.is_contiguous() {
            self.element.decode_run_f32(&bytes[..self.numel() * size], &mut out);
            return out;
        }
        for index in strided_indices(&self.shape, &self.strides) {
            out.push(self.element.decode_f32(&bytes[index * size..(index + 1) * size]));
        }
        out
    }
}

/// Row-major strides of `shape`. Saturating: only a shape with a zero dimension can overflow here (any
/// other's element count was checked against its bytes), and then no element is ever addressed.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1usize; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1].saturating_mul(shape[i + 1]);
    }
    strides
}

/// Element offsets of a strided view in row-major order.
fn strided_indices<'a>(shape: &'a [usize], strides: &'a [usize]) -> impl Iterator<Item = usize> + 'a {
    let total: usize = shape.iter().product();
    let mut counter = vec![0usize; shape.len()];
    (0..total).map(move |step| {
        if step > 0 {
            for d in (0..shape.len()).rev() {
                counter[d] += 1;
                if counter[d] < shape[d] {
                    break;
                }
                counter[d] = 0;
            }
        }
        counter.iter().zip(strides).map(|(c, s)| c * s).sum()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strides_of_a_row_major_tensor() {
        assert_eq!(contiguous_strides(&[2, 3, 4]), vec![12, 4, 1]);
        assert_eq!(contiguous_strides(&[]), Vec::<usize>::new());
        // Fuzzing found a header with shape [0, 5, 2^64 − 1]: no element, and no overflow either.
        assert_eq!(contiguous_strides(&[0, 5, usize::MAX]), vec![usize::MAX, usize::MAX, 1]);
    }

    #[test]
    fn a_transposed_view_is_gathered_in_row_major_order() {
        // storage [0,1,2,3,4,5] as a 2x3 matrix, viewed transposed (3x2, strides [1,3]).
        let bytes: Vec<u8> = (0..6).flat_map(|v| (v as f32).to_le_bytes()).collect();
        let entry = TensorEntry { element: ElementType::F32, shape: vec![3, 2], strides: vec![1, 3], source: 0, byte_offset: 0 };
        assert!(!entry.is_contiguous());
        assert_eq!(entry.byte_extent(), Some(24));
        assert_eq!(entry.decode_f32(&bytes), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    }

    #[test]
    fn a_scalar_has_one_element() {
        let entry = TensorEntry { element: ElementType::F16, shape: vec![], strides: vec![], source: 0, byte_offset: 2 };
        let bytes = [0x00, 0x3c]; // f16 1.0
        assert_eq!(entry.byte_extent(), Some(2));
        assert_eq!(entry.decode_f32(&bytes), vec![1.0]);
    }
}
