//! Everything that can go wrong while writing or reading generation metadata.
//!
//! Fatal problems are [`MetadataError`]s. A damaged text chunk inside an otherwise readable PNG is not
//! fatal: it is skipped and described by a [`ChunkProblem`], so one bad chunk never hides the others.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is not a PNG file")]
    NotPng { path: PathBuf },

    #[error("{path} is a damaged PNG: {reason}")]
    CorruptPng { path: PathBuf, reason: String },

    #[error("{path} has more than {limit} text chunks; refusing to read it")]
    TooManyTextChunks { path: PathBuf, limit: usize },

    #[error("{path} holds more than {limit} bytes of text; refusing to read it")]
    TooMuchText { path: PathBuf, limit: usize },

    #[error("cannot encode {path} as PNG: {source}")]
    PngEncode {
        path: PathBuf,
        #[source]
        source: png::EncodingError,
    },

    #[error("the image cannot be saved: {reason}")]
    InvalidImage { reason: String },

    #[error("the generation settings cannot be saved: `{field}` {reason}")]
    InvalidRecord { field: String, reason: String },

    #[error("{path} has no generation settings (no `nurie`, `parameters`, ComfyUI or InvokeAI chunk)")]
    NoGenerationMetadata { path: PathBuf },

    #[error("Nurie's `nurie` chunk is not valid: {reason}")]
    BadNurieChunk { reason: String },

    #[error("the ComfyUI `prompt` chunk cannot be read: {reason}")]
    BadComfyUiPrompt { reason: String },

    #[error("the InvokeAI `invokeai_metadata` chunk cannot be read: {reason}")]
    BadInvokeAiMetadata { reason: String },
}

pub type Result<T, E = MetadataError> = std::result::Result<T, E>;

/// Why one text chunk of a PNG was skipped while the rest of the file was read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkProblem {
    #[error("the chunk is {size} bytes, more than the {limit}-byte limit for text chunks")]
    TooLarge { size: u32, limit: u32 },

    #[error("the chunk's CRC does not match its content (the file is damaged)")]
    BadCrc,

    #[error("the keyword is empty, longer than 79 bytes or not terminated by a zero byte")]
    BadKeyword,

    #[error("the chunk ends before its header is complete")]
    MissingHeader,

    #[error("unknown compression method {0} (only 0, zlib, exists)")]
    UnknownCompressionMethod(u8),

    #[error("compression flag {0} is neither 0 nor 1")]
    BadCompressionFlag(u8),

    #[error("the compressed text is damaged")]
    BadCompressedData,

    #[error("the text decompresses to more than {limit} bytes (a decompression bomb?)")]
    DecompressedTooLarge { limit: usize },
}
