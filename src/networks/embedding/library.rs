//! The embeddings a prompt can call: every embedding file under a list of folders, by name, each
//! read the first time a prompt uses it and kept.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::error::EmbeddingError;
use super::file::{is_embedding_file, load_embedding};
use super::vectors::Embedding;

/// Folder depth searched below each root; A1111 walks without a limit, but a link loop must end.
const MAX_DEPTH: usize = 16;

/// Where an embedding's vectors come from.
#[derive(Debug)]
enum Source {
    File(PathBuf),
    Loaded(Arc<Embedding>),
}

/// Name → embedding, in A1111's registration order.
///
/// As in A1111, a name found again replaces the earlier one and moves to the end of the order (folders
/// in the order given, files in each in sorted path order); among embeddings whose names tokenize
/// alike, the one registered first is matched (`crate::prompt::embeddings`).
#[derive(Debug, Default)]
pub struct EmbeddingLibrary {
    entries: Vec<(String, Source)>,
    /// Files read so far, by name (successes only: a broken file is read again, and refused again,
    /// each time a prompt uses it; the files are small).
    cache: Mutex<HashMap<String, Arc<Embedding>>>,
}

impl EmbeddingLibrary {
    /// Every `.pt`, `.bin` and `.safetensors` file under `folders`, recursively (A1111 walks its
    /// `embeddings` folder with `os.walk`), empty files skipped as A1111 skips them. Missing or
    /// unreadable folders are skipped: a folder the user added may be on an unplugged drive.
    pub fn scan(folders: &[PathBuf]) -> Self {
        let mut library = Self::default();
        let mut seen = HashSet::new();
        for folder in folders {
            for path in embedding_files(folder, &mut seen) {
                let name = path.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
                library.register(name, Source::File(path));
            }
        }
        library
    }

    /// A library of embeddings already in memory (tests, or vectors made by the program).
    pub fn from_embeddings(embeddings: impl IntoIterator<Item = Embedding>) -> Self {
        let mut library = Self::default();
        for embedding in embeddings {
            library.register(embedding.name().to_string(), Source::Loaded(Arc::new(embedding)));
        }
        library
    }

    fn register(&mut self, name: String, source: Source) {
        if name.is_empty() {
            return;
        }
        self.entries.retain(|(known, _)| *known != name);
        self.entries.push((name, source));
    }

    /// The names, in registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(name, _)| name.as_str())
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The file of embedding `name`, if it came from one.
    pub fn path(&self, name: &str) -> Option<&Path> {
        match self.source(name)? {
            Source::File(path) => Some(path),
            Source::Loaded(embedding) => embedding.path(),
        }
    }

    /// The name as known to the library: `name` itself, else the one name equal to it ignoring ASCII
    /// case (ComfyUI's `embedding:NAME` finds files on case-insensitive file systems that way).
    pub fn resolve_name(&self, name: &str) -> Option<&str> {
        self.names().find(|known| *known == name).or_else(|| self.names().find(|known| known.eq_ignore_ascii_case(name)))
    }

    /// Embedding `name`, read on first use; `None` when the library has no such name. With
    /// `expected_width` (the text encoder's), a vector of another width is refused.
    pub fn get(&self, name: &str, expected_width: Option<usize>) -> Result<Option<Arc<Embedding>>, EmbeddingError> {
        let embedding = match self.source(name) {
            None => return Ok(None),
            Some(Source::Loaded(embedding)) => Arc::clone(embedding),
            Some(Source::File(path)) => self.load_cached(name, path)?,
        };
        if let Some(width) = expected_width {
            embedding.check_width(width)?;
        }
        Ok(Some(embedding))
    }

    fn source(&self, name: &str) -> Option<&Source> {
        self.entries.iter().find(|(known, _)| known == name).map(|(_, source)| source)
    }

    fn load_cached(&self, name: &str, path: &Path) -> Result<Arc<Embedding>, EmbeddingError> {
        if let Some(embedding) = self.cache.lock().unwrap_or_else(PoisonError::into_inner).get(name) {
            return Ok(Arc::clone(embedding));
        }
        let embedding = Arc::new(load_embedding(path)?);
        self.cache.lock().unwrap_or_else(PoisonError::into_inner).insert(name.to_string(), Arc::clone(&embedding));
        Ok(embedding)
    }
}

/// The embedding files under `root`, in sorted path order, each folder visited once (`seen` holds
/// canonical folder paths, so links cannot loop).
fn embedding_files(root: &Path, seen: &mut HashSet<PathBuf>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0)];
    while let Some((folder, depth)) = stack.pop() {
        let Ok(canonical) = folder.canonicalize() else { continue };
        if depth > MAX_DEPTH || !seen.insert(canonical) {
            continue;
        }
        let Ok(read) = std::fs::read_dir(&folder) else { continue };
        let mut children: Vec<PathBuf> = read.filter_map(|entry| entry.ok().map(|entry| entry.path())).collect();
        children.sort();
        for child in children.into_iter().rev() {
            if child.is_dir() {
                stack.push((child, depth + 1));
            } else if is_embedding_file(&child) && child.metadata().is_ok_and(|m| m.len() > 0) {
                files.push(child);
            }
        }
    }
    files.sort();
    files
}
