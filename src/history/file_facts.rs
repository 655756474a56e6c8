//! What an incremental scan compares to decide whether a file must be read again: its size and its
//! modification time, in nanoseconds since the Unix epoch (negative before 1970).

use std::fs::Metadata;
use std::io;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

const NANOS_PER_SECOND: i64 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileFacts {
    pub size: u64,
    pub modified_ns: i64,
}

impl FileFacts {
    /// The facts of the file at `path` (following symbolic links).
    pub fn of(path: &Path) -> io::Result<FileFacts> {
        Ok(FileFacts::from_metadata(&std::fs::metadata(path)?))
    }

    /// A file system whose files have no modification time gives 0 (the scan then goes by size).
    pub fn from_metadata(metadata: &Metadata) -> FileFacts {
        let modified_ns = metadata.modified().map_or(0, unix_nanos);
        FileFacts { size: metadata.len(), modified_ns }
    }

    /// The modification time in whole seconds: the image's creation time in the history, since the
    /// generation settings carry no time (a copy that keeps times, `cp -p` or a file manager, keeps it).
    pub fn modified_seconds(&self) -> i64 {
        self.modified_ns.div_euclid(NANOS_PER_SECOND)
    }
}

fn unix_nanos(time: SystemTime) -> i64 {
    let clamp = |nanos: u128| i64::try_from(nanos).unwrap_or(i64::MAX);
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => clamp(after.as_nanos()),
        Err(before) => -clamp(before.duration().as_nanos()),
    }
}

/// Now, in Unix seconds.
pub fn unix_now() -> i64 {
    unix_nanos(SystemTime::now()).div_euclid(NANOS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn facts_follow_size_and_modification_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.png");
        std::fs::write(&path, b"12345").unwrap();
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(UNIX_EPOCH + Duration::new(1_700_000_000, 250)).unwrap();
        let facts = FileFacts::of(&path).unwrap();
        assert_eq!(facts, FileFacts { size: 5, modified_ns: 1_700_000_000_000_000_250 });
        assert_eq!(facts.modified_seconds(), 1_700_000_000);
    }

    #[test]
    fn times_before_1970_are_negative() {
        assert_eq!(unix_nanos(UNIX_EPOCH - Duration::new(1, 500)), -1_000_000_500);
        assert_eq!(FileFacts { size: 0, modified_ns: -1 }.modified_seconds(), -1);
    }
}
