//! An image's size from its PNG header (the `IHDR` chunk that must open every PNG), without decoding.

use std::io::Read;
use std::path::Path;

use super::error::FileError;

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
/// Signature, chunk length and type, width, height.
const HEADER_BYTES: usize = 24;
/// The PNG specification's limit for both dimensions.
const MAX_DIMENSION: u32 = 0x7fff_ffff;

/// (width, height) of the PNG at `path`.
pub fn read_png_size(path: &Path) -> Result<(u32, u32), FileError> {
    let io_error = |source| FileError::Io { path: path.to_path_buf(), source };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut header = Vec::with_capacity(HEADER_BYTES);
    file.take(HEADER_BYTES as u64).read_to_end(&mut header).map_err(io_error)?;
    png_size(&header).map_err(|problem| match problem {
        HeaderProblem::NotPng => FileError::NotPng { path: path.to_path_buf() },
        HeaderProblem::Bad(reason) => FileError::BadHeader { path: path.to_path_buf(), reason },
    })
}

enum HeaderProblem {
    NotPng,
    Bad(String),
}

fn png_size(header: &[u8]) -> Result<(u32, u32), HeaderProblem> {
    if header.get(..8) != Some(&SIGNATURE[..]) {
        return Err(HeaderProblem::NotPng);
    }
    let word = |at: usize| header.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let (Some(length), Some(width), Some(height)) = (word(8), word(16), word(20)) else {
        return Err(HeaderProblem::Bad("the file ends inside its header".to_string()));
    };
    if header.get(12..16) != Some(&b"IHDR"[..]) || length != 13 {
        return Err(HeaderProblem::Bad("it does not start with an IHDR chunk".to_string()));
    }
    if width == 0 || height == 0 || width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(HeaderProblem::Bad(format!("it claims to be {width}x{height} pixels")));
    }
    Ok((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{RgbImage, encode_png};

    #[test]
    fn size_comes_from_the_header() {
        let pixels = vec![0u8; 7 * 3 * 3];
        let bytes = encode_png(Path::new("x.png"), RgbImage { width: 7, height: 3, pixels: &pixels }, &[]).unwrap();
        assert!(matches!(png_size(&bytes), Ok((7, 3))));
    }

    #[test]
    fn other_files_and_damaged_headers_are_refused() {
        assert!(matches!(png_size(b"GIF89a........................"), Err(HeaderProblem::NotPng)));
        assert!(matches!(png_size(&SIGNATURE[..5]), Err(HeaderProblem::NotPng)));
        assert!(matches!(png_size(&SIGNATURE), Err(HeaderProblem::Bad(_))));
        let mut zero_width = SIGNATURE.to_vec();
        zero_width.extend([0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 0, 0, 0, 0, 9]);
        assert!(matches!(png_size(&zero_width), Err(HeaderProblem::Bad(reason)) if reason.contains("0x9")));
        let mut not_ihdr = zero_width.clone();
        not_ihdr[12..16].copy_from_slice(b"tEXt");
        assert!(matches!(png_size(&not_ihdr), Err(HeaderProblem::Bad(_))));
    }

    /// Mutated PNG starts: an error or a size within the specification's limits, never a panic.
    #[test]
    fn fuzz_png_header() {
        use crate::fuzz::harness::{Check, Target, run};
        use crate::fuzz::metadata_targets::{png_file_starts, png_mutator};
        let check: &Check<Vec<u8>> = &|bytes| match png_size(&bytes[..bytes.len().min(HEADER_BYTES)]) {
            Ok((w, h)) if w == 0 || h == 0 || w > MAX_DIMENSION || h > MAX_DIMENSION => Err(format!("{w}x{h} accepted")),
            _ => Ok(()),
        };
        let mutate = png_mutator(2 * HEADER_BYTES);
        let seeds = png_file_starts(HEADER_BYTES + 8);
        let target = Target { name: "png_header", seeds, default_execs: 3000, mutate: &mutate, check, heap_limit: &|_| 1 << 16 };
        let report = run(&target);
        println!("{}", report.summary());
        report.assert_clean();
    }
}
