//! Reads the text chunks (`tEXt`, `zTXt`, `iTXt`) of a PNG, wherever they are in the file, without
//! decoding the image.
//!
//! The png crate's decoder is not used for this: it stops at the first image data chunk (text after it
//! is only seen after decoding every pixel) and silently drops iTXt chunks that are not valid UTF-8.
//! This walker reads chunk headers, skips everything that is not text, checks the CRC of what it keeps,
//! and applies [`ReadLimits`] so that a hostile file cannot make it allocate or inflate without bound.
//! A damaged text chunk is skipped and reported ([`SkippedChunk`]); a file cut short returns what was
//! read before the cut (`complete == false`).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use super::error::{ChunkProblem, MetadataError, Result};

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
const MAX_CHUNK_LENGTH: u32 = 0x7fff_ffff; // PNG spec: 2^31 - 1

/// Bounds on what a PNG's text may cost to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest text chunk read, as stored (larger ones are skipped).
    pub max_chunk_bytes: u32,
    /// Largest text a compressed chunk may inflate to (larger ones are skipped).
    pub max_inflated_bytes: usize,
    /// More text chunks than this (read or skipped) make the file an error.
    pub max_text_chunks: usize,
    /// More text than this, all chunks together, makes the file an error.
    pub max_total_text_bytes: usize,
}

impl Default for ReadLimits {
    /// Generous for real metadata (large ComfyUI workflows are a few MiB), small for a desktop app.
    fn default() -> Self {
        ReadLimits {
            max_chunk_bytes: 16 << 20,
            max_inflated_bytes: 16 << 20,
            max_text_chunks: 1024,
            max_total_text_bytes: 64 << 20,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextChunkKind {
    /// `tEXt`: Latin-1.
    Text,
    /// `zTXt`: zlib-compressed Latin-1.
    CompressedText,
    /// `iTXt`: UTF-8, optionally compressed.
    InternationalText,
}

impl TextChunkKind {
    fn from_type(chunk_type: &[u8; 4]) -> Option<TextChunkKind> {
        match chunk_type {
            b"tEXt" => Some(TextChunkKind::Text),
            b"zTXt" => Some(TextChunkKind::CompressedText),
            b"iTXt" => Some(TextChunkKind::InternationalText),
            _ => None,
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            TextChunkKind::Text => "tEXt",
            TextChunkKind::CompressedText => "zTXt",
            TextChunkKind::InternationalText => "iTXt",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextChunk {
    pub keyword: String,
    pub text: String,
    pub kind: TextChunkKind,
    /// The text was zlib-compressed (always for zTXt, optional for iTXt).
    pub compressed: bool,
    /// The iTXt text was not valid UTF-8; bad bytes became U+FFFD.
    pub lossy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedChunk {
    pub kind: TextChunkKind,
    /// The keyword, when it could be read.
    pub keyword: Option<String>,
    pub problem: ChunkProblem,
}

impl SkippedChunk {
    /// `iTXt \`parameters\``, for messages.
    pub fn describe(&self) -> String {
        match &self.keyword {
            Some(keyword) => format!("{} `{keyword}`", self.kind.type_name()),
            None => self.kind.type_name().to_string(),
        }
    }
}

/// The text found in a PNG, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PngText {
    pub chunks: Vec<TextChunk>,
    pub skipped: Vec<SkippedChunk>,
    /// The file ended with its `IEND` chunk (`false`: cut short, e.g. an incomplete download).
    pub complete: bool,
}

impl PngText {
    pub fn get(&self, keyword: &str) -> Option<&str> {
        self.chunks.iter().find(|chunk| chunk.keyword == keyword).map(|chunk| chunk.text.as_str())
    }
}

pub fn read_png_text(path: &Path, limits: &ReadLimits) -> Result<PngText> {
    let file = File::open(path).map_err(|source| MetadataError::Read { path: path.to_path_buf(), source })?;
    read_png_text_from(BufReader::new(file), path, limits)
}

/// Reads from any byte source; `path` only names it in errors.
pub fn read_png_text_from(mut reader: impl Read, path: &Path, limits: &ReadLimits) -> Result<PngText> {
    let io_error = |source| MetadataError::Read { path: path.to_path_buf(), source };
    let mut signature = [0u8; 8];
    match read_full(&mut reader, &mut signature).map_err(io_error)? {
        8 if signature == SIGNATURE => {}
        _ => return Err(MetadataError::NotPng { path: path.to_path_buf() }),
    }
    let mut walker = Walker { reader, path, limits, text: PngText::default(), text_bytes: 0 };
    walker.walk()?;
    Ok(walker.text)
}

struct Walker<'a, R> {
    reader: R,
    path: &'a Path,
    limits: &'a ReadLimits,
    text: PngText,
    text_bytes: usize,
}

/// What happened to one chunk.
enum Step {
    Continue,
    End,
    CutShort,
}

impl<R: Read> Walker<'_, R> {
    fn walk(&mut self) -> Result<()> {
        loop {
            match self.next_chunk()? {
                Step::Continue => {}
                Step::End => {
                    self.text.complete = true;
                    return Ok(());
                }
                Step::CutShort => return Ok(()),
            }
        }
    }

    fn next_chunk(&mut self) -> Result<Step> {
        let mut header = [0u8; 8];
        if self.read(&mut header)? < 8 {
            return Ok(Step::CutShort);
        }
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let chunk_type = [header[4], header[5], header[6], header[7]];
        if length > MAX_CHUNK_LENGTH {
            return Err(self.corrupt(format!("a chunk claims {length} bytes, more than PNG allows")));
        }
        if &chunk_type == b"IEND" {
            return Ok(Step::End);
        }
        match TextChunkKind::from_type(&chunk_type) {
            Some(kind) => self.text_chunk(kind, length),
            None => self.skip(u64::from(length) + 4),
        }
    }

    fn text_chunk(&mut self, kind: TextChunkKind, length: u32) -> Result<Step> {
        if self.text.chunks.len() + self.text.skipped.len() >= self.limits.max_text_chunks {
            let limit = self.limits.max_text_chunks;
            return Err(MetadataError::TooManyTextChunks { path: self.path.to_path_buf(), limit });
        }
        if length > self.limits.max_chunk_bytes {
            let problem = ChunkProblem::TooLarge { size: length, limit: self.limits.max_chunk_bytes };
            self.text.skipped.push(SkippedChunk { kind, keyword: None, problem });
            return self.skip(u64::from(length) + 4);
        }
        let Some((data, crc)) = self.read_data_and_crc(length)? else {
            return Ok(Step::CutShort);
        };
        if crc != chunk_crc(kind, &data) {
            let keyword = split_keyword(&data).ok().map(|(keyword, _)| keyword);
            self.text.skipped.push(SkippedChunk { kind, keyword, problem: ChunkProblem::BadCrc });
            return Ok(Step::Continue);
        }
        match decode_text_chunk(kind, &data, self.limits) {
            Ok(chunk) => self.keep(chunk)?,
            Err((keyword, problem)) => self.text.skipped.push(SkippedChunk { kind, keyword, problem }),
        }
        Ok(Step::Continue)
    }

    /// The chunk's data and stored CRC; `None` when the file ends inside them.
    fn read_data_and_crc(&mut self, length: u32) -> Result<Option<(Vec<u8>, u32)>> {
        let mut data = Vec::new();
        let read = (&mut self.reader).take(u64::from(length)).read_to_end(&mut data);
        read.map_err(|source| MetadataError::Read { path: self.path.to_path_buf(), source })?;
        let mut crc = [0u8; 4];
        if data.len() < length as usize || self.read(&mut crc)? < 4 {
            return Ok(None);
        }
        Ok(Some((data, u32::from_be_bytes(crc))))
    }

    fn keep(&mut self, chunk: TextChunk) -> Result<()> {
        self.text_bytes += chunk.text.len();
        if self.text_bytes > self.limits.max_total_text_bytes {
            let limit = self.limits.max_total_text_bytes;
            return Err(MetadataError::TooMuchText { path: self.path.to_path_buf(), limit });
        }
        self.text.chunks.push(chunk);
        Ok(())
    }

    fn skip(&mut self, count: u64) -> Result<Step> {
        let skipped = io::copy(&mut (&mut self.reader).take(count), &mut io::sink())
            .map_err(|source| MetadataError::Read { path: self.path.to_path_buf(), source })?;
        Ok(if skipped < count { Step::CutShort } else { Step::Continue })
    }

    fn read(&mut self, buffer: &mut [u8]) -> Result<usize> {
        read_full(&mut self.reader, buffer).map_err(|source| MetadataError::Read { path: self.path.to_path_buf(), source })
    }

    fn corrupt(&self, reason: String) -> MetadataError {
        MetadataError::CorruptPng { path: self.path.to_path_buf(), reason }
    }
}

/// Fills `buffer` unless the source ends first; returns how many bytes were read.
fn read_full(reader: &mut impl Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn chunk_crc(kind: TextChunkKind, data: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(kind.type_name().as_bytes());
    hasher.update(data);
    hasher.finalize()
}

type Decoded = std::result::Result<TextChunk, (Option<String>, ChunkProblem)>;

fn decode_text_chunk(kind: TextChunkKind, data: &[u8], limits: &ReadLimits) -> Decoded {
    let (keyword, body) = split_keyword(data).map_err(|problem| (None, problem))?;
    let with_keyword = |problem| (Some(keyword.clone()), problem);
    let (text, compressed, lossy) = match kind {
        TextChunkKind::Text => (latin1(body), false, false),
        TextChunkKind::CompressedText => (decode_ztxt_body(body, limits).map_err(with_keyword)?, true, false),
        TextChunkKind::InternationalText => decode_itxt_body(body, limits).map_err(with_keyword)?,
    };
    Ok(TextChunk { keyword, text, kind, compressed, lossy })
}

/// `keyword\0rest`, keyword 1–79 Latin-1 bytes.
fn split_keyword(data: &[u8]) -> std::result::Result<(String, &[u8]), ChunkProblem> {
    let end = data.iter().position(|&b| b == 0).ok_or(ChunkProblem::BadKeyword)?;
    if end == 0 || end > 79 {
        return Err(ChunkProblem::BadKeyword);
    }
    Ok((latin1(&data[..end]), &data[end + 1..]))
}

/// zTXt after the keyword: compression method (0), zlib data of Latin-1 text.
fn decode_ztxt_body(body: &[u8], limits: &ReadLimits) -> std::result::Result<String, ChunkProblem> {
    let (&method, compressed) = body.split_first().ok_or(ChunkProblem::MissingHeader)?;
    if method != 0 {
        return Err(ChunkProblem::UnknownCompressionMethod(method));
    }
    Ok(latin1(&inflate(compressed, limits.max_inflated_bytes)?))
}

/// iTXt after the keyword: flag, method, language tag `\0`, translated keyword `\0`, UTF-8 text.
/// Returns (text, compressed, lossy).
fn decode_itxt_body(body: &[u8], limits: &ReadLimits) -> std::result::Result<(String, bool, bool), ChunkProblem> {
    let [flag, method, rest @ ..] = body else {
        return Err(ChunkProblem::MissingHeader);
    };
    let compressed = match flag {
        0 => false,
        1 => true,
        other => return Err(ChunkProblem::BadCompressionFlag(*other)),
    };
    if compressed && *method != 0 {
        return Err(ChunkProblem::UnknownCompressionMethod(*method));
    }
    let after_language = skip_past_zero(rest)?;
    let text = skip_past_zero(after_language)?;
    let bytes = if compressed { inflate(text, limits.max_inflated_bytes)? } else { text.to_vec() };
    Ok(match String::from_utf8(bytes) {
        Ok(text) => (text, compressed, false),
        Err(error) => (String::from_utf8_lossy(error.as_bytes()).into_owned(), compressed, true),
    })
}

fn skip_past_zero(bytes: &[u8]) -> std::result::Result<&[u8], ChunkProblem> {
    let end = bytes.iter().position(|&b| b == 0).ok_or(ChunkProblem::MissingHeader)?;
    Ok(&bytes[end + 1..])
}

/// zlib-inflates at most `limit` bytes; more is refused rather than allocated.
fn inflate(compressed: &[u8], limit: usize) -> std::result::Result<Vec<u8>, ChunkProblem> {
    use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_zlib_with_limit};
    decompress_to_vec_zlib_with_limit(compressed, limit).map_err(|error| match error.status {
        TINFLStatus::HasMoreOutput => ChunkProblem::DecompressedTooLarge { limit },
        _ => ChunkProblem::BadCompressedData,
    })
}

fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::Value;
    use std::path::PathBuf;

    fn fixture_path(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metadata").join(name)
    }

    /// A PNG made of the given chunks (type, data), with correct CRCs, after a 1x1 IHDR.
    pub(crate) fn png_with(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        let mut png = SIGNATURE.to_vec();
        let ihdr = [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0];
        append_chunk(&mut png, b"IHDR", &ihdr);
        for (chunk_type, data) in chunks {
            append_chunk(&mut png, chunk_type, data);
        }
        append_chunk(&mut png, b"IEND", &[]);
        png
    }

    fn append_chunk(png: &mut Vec<u8>, chunk_type: &[u8; 4], data: &[u8]) {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        png.extend_from_slice(chunk_type);
        png.extend_from_slice(data);
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(chunk_type);
        hasher.update(data);
        png.extend_from_slice(&hasher.finalize().to_be_bytes());
    }

    fn read_bytes(bytes: &[u8], limits: &ReadLimits) -> Result<PngText> {
        read_png_text_from(bytes, Path::new("test.png"), limits)
    }

    fn itxt(keyword: &str, compressed: bool, text: &[u8]) -> Vec<u8> {
        let mut data = keyword.as_bytes().to_vec();
        data.extend_from_slice(&[0, u8::from(compressed), 0, 0, 0]);
        data.extend_from_slice(text);
        data
    }

    #[test]
    fn reads_what_pillow_wrote_like_a1111_comfyui_and_invokeai() {
        let reference: Value =
            serde_json::from_str(&std::fs::read_to_string(fixture_path("python_reference.json")).unwrap()).unwrap();
        let files = reference["png_chunks"].as_object().unwrap();
        assert_eq!(files.len(), 5);
        for (name, expected) in files {
            let text = read_png_text(&fixture_path(name), &ReadLimits::default()).unwrap();
            assert!(text.complete && text.skipped.is_empty(), "{name}");
            let got: Vec<(String, String, String)> = text
                .chunks
                .iter()
                .map(|c| {
                    let kind = match (c.kind, c.compressed) {
                        (TextChunkKind::InternationalText, true) => "iTXt(compressed)",
                        (kind, _) => kind.type_name(),
                    };
                    (kind.to_string(), c.keyword.clone(), c.text.clone())
                })
                .collect();
            let expected: Vec<(String, String, String)> = expected
                .as_array()
                .unwrap()
                .iter()
                .map(|t| (t[0].as_str().unwrap().into(), t[1].as_str().unwrap().into(), t[2].as_str().unwrap().into()))
                .collect();
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn not_a_png() {
        for bytes in [&b""[..], b"GIF89a", b"\x89PNG\r\n\x1a"] {
            assert!(matches!(read_bytes(bytes, &ReadLimits::default()), Err(MetadataError::NotPng { .. })));
        }
    }

    #[test]
    fn invalid_utf8_in_itxt_is_read_lossily() {
        let png = png_with(&[(b"iTXt", itxt("parameters", false, b"caf\xe9 \xff ok"))]);
        let text = read_bytes(&png, &ReadLimits::default()).unwrap();
        assert_eq!(text.chunks[0].text, "caf\u{fffd} \u{fffd} ok");
        assert!(text.chunks[0].lossy);
    }

    #[test]
    fn latin1_text_and_text_after_the_image_data() {
        let mut text_chunk = b"Comment\0".to_vec();
        text_chunk.extend_from_slice(b"caf\xe9");
        let png = png_with(&[(b"IDAT", vec![1, 2, 3]), (b"tEXt", text_chunk)]);
        let text = read_bytes(&png, &ReadLimits::default()).unwrap();
        assert_eq!(text.get("Comment"), Some("café"));
    }

    #[test]
    fn decompression_bomb_is_skipped_not_inflated() {
        let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![b'a'; 4 << 20], 9);
        assert!(bomb.len() < 64 << 10);
        let mut ztxt = b"parameters\0\0".to_vec();
        ztxt.extend_from_slice(&bomb);
        let limits = ReadLimits { max_inflated_bytes: 1 << 20, ..Default::default() };
        let png = png_with(&[(b"zTXt", ztxt), (b"iTXt", itxt("nurie", true, &bomb)), (b"tEXt", b"ok\0fine".to_vec())]);
        let text = read_bytes(&png, &limits).unwrap();
        assert_eq!(text.skipped.len(), 2);
        assert!(text.skipped.iter().all(|s| s.problem == ChunkProblem::DecompressedTooLarge { limit: 1 << 20 }));
        assert_eq!(text.skipped[1].describe(), "iTXt `nurie`");
        assert_eq!(text.get("ok"), Some("fine"));
    }

    #[test]
    fn damaged_chunks_are_skipped_with_a_reason() {
        let mut bad_crc = png_with(&[(b"tEXt", b"a\0b".to_vec())]);
        let crc_offset = bad_crc.len() - 12 - 4;
        bad_crc[crc_offset] ^= 0xff;
        let text = read_bytes(&bad_crc, &ReadLimits::default()).unwrap();
        assert_eq!(text.skipped[0].problem, ChunkProblem::BadCrc);
        assert_eq!(text.skipped[0].keyword.as_deref(), Some("a"));

        let cases: [(&[u8; 4], Vec<u8>, ChunkProblem); 6] = [
            (b"tEXt", b"no separator".to_vec(), ChunkProblem::BadKeyword),
            (b"tEXt", b"\0empty keyword".to_vec(), ChunkProblem::BadKeyword),
            (b"zTXt", b"k\0\x05xx".to_vec(), ChunkProblem::UnknownCompressionMethod(5)),
            (b"zTXt", b"k\0\0not zlib".to_vec(), ChunkProblem::BadCompressedData),
            (b"iTXt", b"k\0\x02\0\0\0x".to_vec(), ChunkProblem::BadCompressionFlag(2)),
            (b"iTXt", b"k\0\0\0en".to_vec(), ChunkProblem::MissingHeader),
        ];
        for (chunk_type, data, problem) in cases {
            let text = read_bytes(&png_with(&[(chunk_type, data)]), &ReadLimits::default()).unwrap();
            assert_eq!(text.skipped[0].problem, problem);
            assert!(text.complete && text.chunks.is_empty());
        }
    }

    #[test]
    fn oversized_and_too_many_chunks() {
        let limits = ReadLimits { max_chunk_bytes: 8, max_text_chunks: 3, ..Default::default() };
        let png = png_with(&[(b"tEXt", b"key\0a long text".to_vec()), (b"tEXt", b"k\0short".to_vec())]);
        let text = read_bytes(&png, &limits).unwrap();
        assert_eq!(text.skipped[0].problem, ChunkProblem::TooLarge { size: 15, limit: 8 });
        assert_eq!(text.get("k"), Some("short"));
        let many = png_with(&[
            (b"tEXt", b"a\0".to_vec()),
            (b"tEXt", b"b\0".to_vec()),
            (b"tEXt", b"c\0".to_vec()),
            (b"tEXt", b"d\0".to_vec()),
        ]);
        assert!(matches!(read_bytes(&many, &limits), Err(MetadataError::TooManyTextChunks { limit: 3, .. })));
        let total = ReadLimits { max_total_text_bytes: 5, ..Default::default() };
        let big = png_with(&[(b"tEXt", b"a\x00123".to_vec()), (b"tEXt", b"b\x00456".to_vec())]);
        assert!(matches!(read_bytes(&big, &total), Err(MetadataError::TooMuchText { .. })));
    }

    #[test]
    fn impossible_chunk_length_is_an_error_and_a_cut_file_returns_what_it_has() {
        let mut png = SIGNATURE.to_vec();
        png.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        png.extend_from_slice(b"tEXt");
        assert!(matches!(read_bytes(&png, &ReadLimits::default()), Err(MetadataError::CorruptPng { .. })));

        let full = png_with(&[(b"tEXt", b"first\0one".to_vec()), (b"IDAT", vec![0; 100]), (b"tEXt", b"second\0two".to_vec())]);
        let cut = &full[..full.len() - 40];
        let text = read_bytes(cut, &ReadLimits::default()).unwrap();
        assert!(!text.complete);
        assert_eq!(text.get("first"), Some("one"));
        assert_eq!(text.get("second"), None);
    }

    /// Every truncation and many single-byte corruptions of a real file: errors or partial results,
    /// never a panic.
    #[test]
    fn truncated_and_corrupted_files_never_panic() {
        let original = std::fs::read(fixture_path("pil_compressed.png")).unwrap();
        let limits = ReadLimits::default();
        for end in 0..original.len() {
            let _ = read_bytes(&original[..end], &limits);
        }
        for position in 8..original.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut corrupted = original.clone();
                corrupted[position] ^= flip;
                let _ = read_bytes(&corrupted, &limits);
            }
        }
    }
}
