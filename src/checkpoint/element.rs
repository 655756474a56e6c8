//! Element types found in checkpoints and their conversion to f32.

use half::slice::HalfFloatSliceExt;
use half::{bf16, f16};
use rayon::prelude::*;

/// Elements converted per parallel task when decoding a run (large tensors use every core).
const DECODE_CHUNK: usize = 1 << 16;

/// The element type of a stored tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElementType {
    F64,
    F32,
    F16,
    BF16,
    I64,
    I32,
    I16,
    I8,
    U8,
    Bool,
}

impl ElementType {
    pub fn size_bytes(self) -> usize {
        match self {
            Self::F64 | Self::I64 => 8,
            Self::F32 | Self::I32 => 4,
            Self::F16 | Self::BF16 | Self::I16 => 2,
            Self::I8 | Self::U8 | Self::Bool => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::F64 => "f64",
            Self::F32 => "f32",
            Self::F16 => "f16",
            Self::BF16 => "bf16",
            Self::I64 => "i64",
            Self::I32 => "i32",
            Self::I16 => "i16",
            Self::I8 => "i8",
            Self::U8 => "u8",
            Self::Bool => "bool",
        }
    }

    /// Decodes one little-endian element. `bytes` must hold exactly `size_bytes()` bytes.
    pub fn decode_f32(self, bytes: &[u8]) -> f32 {
        let mut b8 = [0u8; 8];
        b8[..bytes.len()].copy_from_slice(bytes);
        match self {
            Self::F64 => f64::from_le_bytes(b8) as f32,
            Self::F32 => f32::from_le_bytes([b8[0], b8[1], b8[2], b8[3]]),
            Self::F16 => f16::from_le_bytes([b8[0], b8[1]]).to_f32(),
            Self::BF16 => bf16::from_le_bytes([b8[0], b8[1]]).to_f32(),
            Self::I64 => i64::from_le_bytes(b8) as f32,
            Self::I32 => i32::from_le_bytes([b8[0], b8[1], b8[2], b8[3]]) as f32,
            Self::I16 => i16::from_le_bytes([b8[0], b8[1]]) as f32,
            Self::I8 => b8[0] as i8 as f32,
            Self::U8 => b8[0] as f32,
            Self::Bool => (b8[0] != 0) as u8 as f32,
        }
    }

    /// Decodes one little-endian integer element exactly; `None` for float and bool types.
    pub fn decode_i64(self, bytes: &[u8]) -> Option<i64> {
        let mut b8 = [0u8; 8];
        b8[..bytes.len()].copy_from_slice(bytes);
        Some(match self {
            Self::I64 => i64::from_le_bytes(b8),
            Self::I32 => i32::from_le_bytes([b8[0], b8[1], b8[2], b8[3]]) as i64,
            Self::I16 => i16::from_le_bytes([b8[0], b8[1]]) as i64,
            Self::I8 => b8[0] as i8 as i64,
            Self::U8 => b8[0] as i64,
            _ => return None,
        })
    }

    /// Decodes a contiguous little-endian run of elements into `out` (appending).
    pub fn decode_run_f32(self, bytes: &[u8], out: &mut Vec<f32>) {
        let size = self.size_bytes();
        match self {
            // The hot paths for model weights: avoid the per-element dispatch.
            Self::F16 => match bytemuck::try_cast_slice::<u8, f16>(bytes) {
                // Aligned little-endian halves: converted with F16C (or NEON) by `half`, in parallel.
                Ok(halves) if cfg!(target_endian = "little") => extend_converted(out, halves, |h, t| h.convert_to_f32_slice(t)),
                _ => out.extend(bytes.chunks_exact(2).map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())),
            },
            Self::BF16 => out.extend(bytes.chunks_exact(2).map(|c| bf16::from_le_bytes([c[0], c[1]]).to_f32())),
            Self::F32 => out.extend(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))),
            _ => out.extend(bytes.chunks_exact(size).map(|c| self.decode_f32(c))),
        }
    }
}

/// Appends `source` converted by `convert` (which fills a slice of the same length), in parallel chunks.
///
/// Into an empty `out`, the values go to a freshly zero-allocated buffer: for a large tensor that is
/// untouched zero pages from the system, faulted in by the parallel conversion, where `resize` would
/// first clear every page on one thread (measured: most of a 2 GB checkpoint's load time).
fn extend_converted<S: Sync>(out: &mut Vec<f32>, source: &[S], convert: impl Fn(&[S], &mut [f32]) + Sync) {
    let start = out.len();
    match start {
        0 => *out = vec![0.0; source.len()],
        _ => out.resize(start + source.len(), 0.0),
    }
    out[start..]
        .par_chunks_mut(DECODE_CHUNK)
        .zip(source.par_chunks(DECODE_CHUNK))
        .for_each(|(target, source)| convert(source, target));
}

impl std::fmt::Display for ElementType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
