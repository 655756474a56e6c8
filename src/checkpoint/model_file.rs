//! The model file on disk, read with positional reads where its bytes are.
//!
//! A memory map would save one copy per tensor, but a mapped file that another program truncates while
//! Nurie reads it (`cp new.safetensors old.safetensors` truncates the old file first) kills the whole
//! process with SIGBUS, losing the pictures of the batch in flight. Positional reads turn the same event
//! into an error that names the file. The copy costs a tensor's size at a time, never the model's.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{CheckpointError, Result};

/// An open model file and its length when it was opened.
pub(crate) struct ModelFile {
    path: PathBuf,
    file: File,
    len: u64,
}

impl ModelFile {
    /// Opens a model file, refusing folders and other non-files with a message that says so (the OS
    /// says "No such device" for a folder).
    pub fn open(path: &Path) -> Result<Self> {
        let io_error = |source: io::Error| match source.kind() {
            io::ErrorKind::NotFound => CheckpointError::NotFound { path: path.to_path_buf() },
            _ => CheckpointError::Io { path: path.to_path_buf(), source },
        };
        let file = File::open(path).map_err(io_error)?;
        let meta = file.metadata().map_err(io_error)?;
        if meta.is_dir() {
            return Err(CheckpointError::Folder { path: path.to_path_buf() });
        }
        if !meta.is_file() {
            return Err(CheckpointError::UnsupportedFormat {
                path: path.to_path_buf(),
                reason: "it is not a regular file (a device, pipe or socket)".into(),
            });
        }
        Ok(Self { path: path.to_path_buf(), file, len: meta.len() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    /// The `len` bytes at `offset`. Callers check ranges against [`Self::len`] when indexing; a range
    /// that is no longer there means the file shrank under us.
    pub fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        let mut bytes = vec![0; len];
        read_exact_at(&self.file, &mut bytes, offset).map_err(|source| self.read_error(source))?;
        Ok(bytes)
    }

    /// Up to the first `len` bytes (all of them when the file is shorter).
    pub fn head(&self, len: usize) -> Result<Vec<u8>> {
        let len = usize::try_from(self.len).map_or(len, |file_len| file_len.min(len));
        self.read_at(0, len)
    }

    /// A reader over the bytes `[offset, offset + len)`, for the zip directory and compressed entries.
    pub fn range(&self, offset: u64, len: u64) -> FileRange<'_> {
        FileRange { file: &self.file, start: offset, end: offset.saturating_add(len), position: offset }
    }

    /// The whole file as a reader.
    pub fn reader(&self) -> FileRange<'_> {
        self.range(0, self.len)
    }

    /// Turns a failed read into an error naming the file; a short read means another program truncated
    /// or replaced the file while Nurie was reading it.
    pub fn read_error(&self, source: io::Error) -> CheckpointError {
        if source.kind() == io::ErrorKind::UnexpectedEof {
            return CheckpointError::ChangedWhileReading { path: self.path.clone() };
        }
        CheckpointError::Io { path: self.path.clone(), source }
    }
}

/// A seekable window of a file read with positional reads, so that several readers can share one
/// handle without fighting over its cursor.
pub(crate) struct FileRange<'a> {
    file: &'a File,
    start: u64,
    end: u64,
    position: u64,
}

impl Read for FileRange<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = usize::try_from(self.end.saturating_sub(self.position)).unwrap_or(usize::MAX);
        let wanted = buf.len().min(left);
        if wanted == 0 {
            return Ok(0);
        }
        let read = read_at(self.file, &mut buf[..wanted], self.position)?;
        self.position += read as u64;
        Ok(read)
    }
}

impl Seek for FileRange<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let relative = |base: u64, delta: i64| base.checked_add_signed(delta);
        let target = match to {
            SeekFrom::Start(offset) => self.start.checked_add(offset),
            SeekFrom::End(delta) => relative(self.end, delta),
            SeekFrom::Current(delta) => relative(self.position, delta),
        };
        match target {
            Some(target) if target >= self.start => {
                self.position = target;
                Ok(target - self.start)
            }
            _ => Err(io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the range")),
        }
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match read_at(file, buf, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.bin");
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    #[test]
    fn a_range_reads_and_seeks_inside_its_window() {
        let (_dir, path) = file_with(b"0123456789");
        let file = ModelFile::open(&path).unwrap();
        let mut range = file.range(2, 5);
        let mut text = String::new();
        range.read_to_string(&mut text).unwrap();
        assert_eq!(text, "23456");
        assert_eq!(range.seek(SeekFrom::End(-2)).unwrap(), 3);
        let mut rest = vec![];
        range.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"56");
        assert!(range.seek(SeekFrom::Current(-10)).is_err());
    }

    #[test]
    fn a_file_that_shrinks_while_open_gives_an_error_naming_it() {
        let (_dir, path) = file_with(&[7; 4096]);
        let file = ModelFile::open(&path).unwrap();
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(100).unwrap();
        let error = file.read_at(1000, 100).unwrap_err();
        assert!(matches!(error, CheckpointError::ChangedWhileReading { .. }), "{error}");
        assert!(error.to_string().contains("model.bin"), "{error}");
    }

    #[test]
    fn a_folder_is_named_as_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let error = ModelFile::open(dir.path()).err().unwrap();
        assert!(error.to_string().contains("is a folder"), "{error}");
    }
}
