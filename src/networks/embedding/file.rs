//! Reading one embedding file the way A1111's `EmbeddingDatabase.load_from_file` reads it, through
//! the restricted checkpoint reader.

use std::path::Path;

use super::error::EmbeddingError;
use super::vectors::{Embedding, MAX_VECTORS};
use crate::checkpoint::Checkpoint;

/// The extensions A1111 reads embeddings from, pictures left out (see the module doc).
const EXTENSIONS: [&str; 3] = ["pt", "bin", "safetensors"];

/// A1111's `string_to_param` dict, flattened by the checkpoint reader to `string_to_param.<term>`.
const STRING_TO_PARAM: &str = "string_to_param.";

/// Whether A1111 would try `path` as an embedding: by extension, case-insensitively.
pub fn is_embedding_file(path: &Path) -> bool {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
    EXTENSIONS.iter().any(|known| known.eq_ignore_ascii_case(extension))
}

/// Loads the embedding in `path`, named by the file's stem (A1111: `os.path.splitext(filename)[0]`).
/// The width is not checked here: see [`Embedding::check_width`].
pub fn load_embedding(path: &Path) -> Result<Embedding, EmbeddingError> {
    let checkpoint = Checkpoint::open(path)?;
    if checkpoint.contains("clip_l") || checkpoint.contains("clip_g") {
        return Err(EmbeddingError::Sdxl { path: path.to_path_buf() });
    }
    let key = embedding_key(&checkpoint)?;
    let tensor = checkpoint.read_f32_finite(&key)?;
    let width = match tensor.shape[..] {
        [width] | [_, width] => width,
        _ => return Err(EmbeddingError::WrongShape { path: path.to_path_buf(), key, shape: tensor.shape }),
    };
    let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
    let embedding = Embedding::new(name, Some(path.to_path_buf()), width, tensor.values);
    if embedding.count() > MAX_VECTORS {
        return Err(EmbeddingError::TooManyVectors { path: path.to_path_buf(), count: embedding.count(), max: MAX_VECTORS });
    }
    Ok(embedding)
}

/// The key of the one tensor that is the embedding: A1111's `string_to_param` term, else the file's
/// only tensor (a diffusers concept `{"<token>": vector}`, or safetensors' `emb_params`). A1111
/// asserts one term in either case.
fn embedding_key(checkpoint: &Checkpoint) -> Result<String, EmbeddingError> {
    let path = checkpoint.path().to_path_buf();
    let terms: Vec<&str> = checkpoint.keys().filter(|key| key.starts_with(STRING_TO_PARAM)).collect();
    match terms[..] {
        [term] => return Ok(term.to_string()),
        [] => {}
        _ => return Err(EmbeddingError::MultipleTerms { path, count: terms.len() }),
    }
    let keys: Vec<&str> = checkpoint.keys().collect();
    match keys[..] {
        [key] => Ok(key.to_string()),
        [] => Err(EmbeddingError::NotAnEmbedding { path, reason: "it holds no tensor".into() }),
        _ => Err(EmbeddingError::NotAnEmbedding {
            path,
            reason: format!("it holds {} tensors and no `string_to_param` (a LoRA or a model?)", keys.len()),
        }),
    }
}

impl Embedding {
    /// A1111 skips an embedding whose width is not the text encoder's (`expected_shape`); Nurie
    /// refuses it, naming the file and both widths.
    pub fn check_width(&self, expected: usize) -> Result<(), EmbeddingError> {
        if self.width() == expected {
            return Ok(());
        }
        let path = self.path().map_or_else(|| self.name().into(), Path::to_path_buf);
        Err(EmbeddingError::WrongWidth { path, found: self.width(), expected })
    }
}
