//! Where a tensor's bytes live, and how to decode a (possibly strided) view of them.

use super::ElementType;

/// Backing bytes of tensors: the memory-mapped file, or a decompressed zip entry.
pub enum Buffer {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Buffer {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Buffer::Mapped(map) => map,
            Buffer::Owned(bytes) => bytes,
        }
    }

    /// Lets the OS take back the memory of `len` bytes at `start` once a tensor has been decoded, so
    /// that loading a model does not keep the file's pages resident next to the converted weights (a
    /// 2 GB checkpoint would otherwise add 2 GB to the peak). Reading the range again faults the pages
    /// back in from the file. A no-op for owned buffers and off Unix.
    pub fn release(&self, start: usize, len: usize) {
        #[cfg(unix)]
        if let Buffer::Mapped(map) = self {
            // SAFETY: the map is read-only and never written, so MADV_DONTNEED only drops clean pages,
            // which the kernel reloads from the unchanged file on the next access: every slice of the
            // map keeps reading the same bytes.
            let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, len) };
        }
        #[cfg(not(unix))]
        let _ = (start, len);
    }
}

/// One tensor: element type, shape and where its elements are. Bounds are checked when the
/// checkpoint is indexed, so decoding cannot read outside the buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorEntry {
    pub element: ElementType,
    pub shape: Vec<usize>,
    /// Element strides (row-major contiguous for safetensors; any view for PyTorch files).
    pub strides: Vec<usize>,
    pub(crate) buffer: usize,
    /// Byte offset of element [0, 0, …] in the buffer.
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

    /// Integer elements, exactly; `None` when the element type is not an integer.
    pub(crate) fn decode_i64(&self, buffer: &[u8]) -> Option<Vec<i64>> {
        let size = self.element.size_bytes();
        strided_indices(&self.shape, &self.strides)
            .map(|index| {
                let start = self.byte_offset + index * size;
                self.element.decode_i64(&buffer[start..start + size])
            })
            .collect()
    }

    pub(crate) fn decode_f32(&self, buffer: &[u8]) -> Vec<f32> {
        let size = self.element.size_bytes();
        let mut out = Vec::with_capacity(self.numel());
        if self.is_contiguous() {
            let end = self.byte_offset + self.numel() * size;
            self.element.decode_run_f32(&buffer[self.byte_offset..end], &mut out);
            return out;
        }
        for index in strided_indices(&self.shape, &self.strides) {
            let start = self.byte_offset + index * size;
            out.push(self.element.decode_f32(&buffer[start..start + size]));
        }
        out
    }
}

pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
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
    }

    #[test]
    fn a_transposed_view_is_gathered_in_row_major_order() {
        // storage [0,1,2,3,4,5] as a 2x3 matrix, viewed transposed (3x2, strides [1,3]).
        let bytes: Vec<u8> = (0..6).flat_map(|v| (v as f32).to_le_bytes()).collect();
        let entry = TensorEntry { element: ElementType::F32, shape: vec![3, 2], strides: vec![1, 3], buffer: 0, byte_offset: 0 };
        assert!(!entry.is_contiguous());
        assert_eq!(entry.byte_extent(), Some(24));
        assert_eq!(entry.decode_f32(&bytes), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    }

    #[test]
    fn a_scalar_has_one_element() {
        let entry = TensorEntry { element: ElementType::F16, shape: vec![], strides: vec![], buffer: 0, byte_offset: 2 };
        let bytes = [0, 0, 0x00, 0x3c]; // f16 1.0 at byte 2
        assert_eq!(entry.byte_extent(), Some(2));
        assert_eq!(entry.decode_f32(&bytes), vec![1.0]);
    }
}
