//! Saves each finished image of a request as a numbered PNG with its A1111 and Nurie metadata.
//!
//! Two Nurie windows (or a window and `nurie generate`) may write into one folder at once: each picture
//! takes the next free number when it is written, and a name another writer took in the meantime is
//! never replaced: the picture moves on to the next number.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::atomic_write::{is_name_taken, is_temporary_name};
use crate::generate::{FinishedImage, Provenance, Request, record_for};
use crate::metadata::{self, GenerationRecord, MetadataError, write_new_png_with_record};

/// Names tried for one picture before giving up.
const MAX_NAME_TRIES: u32 = 1000;
/// Temporary files of interrupted writes older than this are removed when a folder is opened (a
/// picture takes well under a second to write, so such a file belongs to a crashed or killed Nurie).
const STALE_TEMPORARY_FILE: Duration = Duration::from_secs(60 * 60);

/// Why a picture could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot use the output folder {path}: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error(
        "the output folder {path} has a picture numbered {}, the last number there is: choose another output \
         folder, or rename that file",
        u64::MAX
    )]
    NumbersUsedUp { path: PathBuf },
}

/// A picture on disk, with the record written into it.
#[derive(Debug, Clone)]
pub struct SavedImage {
    pub path: PathBuf,
    pub record: GenerationRecord,
}

/// Numbers and writes the pictures of one output folder.
#[derive(Debug)]
pub struct ImageSaver {
    folder: PathBuf,
    next_number: u64,
}

impl ImageSaver {
    /// Creates `folder` if needed, clears old leftovers of interrupted writes, and finds the next free
    /// number in it.
    pub fn new(folder: &Path) -> Result<Self, OutputError> {
        let folder_error = |source| OutputError::Folder { path: folder.to_path_buf(), source };
        std::fs::create_dir_all(folder).map_err(folder_error)?;
        remove_stale_temporary_files(folder);
        let next_number = super::next_free_number(folder).map_err(folder_error)?;
        let next_number = next_number.ok_or_else(|| OutputError::NumbersUsedUp { path: folder.to_path_buf() })?;
        Ok(Self { folder: folder.to_path_buf(), next_number })
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Writes `image` (image `image.index` of `request`) atomically, with its metadata, under the next
    /// free number; the file is complete before it has its name.
    pub fn save(&mut self, request: &Request, provenance: &Provenance, image: &FinishedImage) -> Result<SavedImage, OutputError> {
        let record = record_for(request, image.index, provenance);
        let pixels =
            metadata::RgbImage { width: image.image.width(), height: image.image.height(), pixels: image.image.as_raw() };
        // Another writer may have numbered pictures since this one looked.
        match super::next_free_number(&self.folder) {
            Ok(Some(free)) => self.next_number = self.next_number.max(free),
            Ok(None) => return Err(self.numbers_used_up()),
            Err(_) => {}
        }
        for _ in 0..MAX_NAME_TRIES {
            let path = self.folder.join(format!("{:05}-{}.png", self.next_number, image.seed));
            match write_new_png_with_record(&path, pixels, &record) {
                Ok(()) => {
                    self.next_number = self.next_number.saturating_add(1);
                    return Ok(SavedImage { path, record });
                }
                Err(MetadataError::Write { source, .. }) if is_name_taken(&source) => {
                    self.next_number = self.next_number.checked_add(1).ok_or_else(|| self.numbers_used_up())?;
                }
                Err(e) => return Err(OutputError::Write { path, message: e.to_string() }),
            }
        }
        let path = self.folder.join(format!("{:05}-{}.png", self.next_number, image.seed));
        Err(OutputError::Write { path, message: format!("{MAX_NAME_TRIES} file names in a row were taken") })
    }

    /// Writes `image` atomically as `file_name` in the folder, with its metadata; a picture already there
    /// under that name is an error, never overwritten.
    pub fn save_named(
        &mut self,
        file_name: &str,
        request: &Request,
        provenance: &Provenance,
        image: &FinishedImage,
    ) -> Result<SavedImage, OutputError> {
        let record = record_for(request, image.index, provenance);
        let pixels =
            metadata::RgbImage { width: image.image.width(), height: image.image.height(), pixels: image.image.as_raw() };
        let path = self.folder.join(file_name);
        match write_new_png_with_record(&path, pixels, &record) {
            Ok(()) => Ok(SavedImage { path, record }),
            Err(MetadataError::Write { source, .. }) if is_name_taken(&source) => {
                Err(OutputError::Write { path, message: "a picture of that name is already there; it was left as it is".into() })
            }
            Err(e) => Err(OutputError::Write { path, message: e.to_string() }),
        }
    }

    fn numbers_used_up(&self) -> OutputError {
        OutputError::NumbersUsedUp { path: self.folder.clone() }
    }
}

/// Removes `.NAME.nurie-….tmp` files older than [`STALE_TEMPORARY_FILE`]; best effort.
fn remove_stale_temporary_files(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !is_temporary_name(&name) {
            continue;
        }
        let age = entry.metadata().and_then(|m| m.modified()).ok().and_then(|modified| now.duration_since(modified).ok());
        if age.is_some_and(|age| age > STALE_TEMPORARY_FILE) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::GenerationSettings;
    use crate::vocabulary::SamplerKind;

    fn request() -> Request {
        let settings = GenerationSettings {
            prompt: "満杯のディスク".into(),
            sampler: SamplerKind::Euler.into(),
            steps: 1,
            seed: 42,
            width: 8,
            height: 8,
            batch_size: 2,
            ..GenerationSettings::default()
        };
        Request {
            settings,
            control: Vec::new(),
            reference: Vec::new(),
            init_image: None,
            noise: Default::default(),
            embeddings: None,
            color_guide: None,
            hires: None,
        }
    }

    /// A picture of `side`² pixels whose PNG does not compress (a xorshift pattern).
    fn picture(index: usize, side: u32) -> FinishedImage {
        let mut state = 0x9e37_79b9_u32;
        let image = image::RgbImage::from_fn(side, side, |_, _| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            image::Rgb([state as u8, (state >> 8) as u8, (state >> 16) as u8])
        });
        FinishedImage { index, seed: 42 + index as u64, image, latents: Vec::new() }
    }

    fn visible_names(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(folder).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    /// A file named `4294967295-….png` in the folder once made the numbering overflow and panic, losing
    /// the rest of the batch.
    #[test]
    fn numbering_continues_past_the_largest_u32() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("4294967295-7.png"), b"").unwrap();
        let mut saver = ImageSaver::new(folder.path()).unwrap();
        let provenance = Provenance::default();
        let first = saver.save(&request(), &provenance, &picture(0, 8)).unwrap();
        let second = saver.save(&request(), &provenance, &picture(1, 8)).unwrap();
        assert_eq!(first.path.file_name().unwrap(), "4294967296-42.png");
        assert_eq!(second.path.file_name().unwrap(), "4294967297-43.png");
        std::fs::write(folder.path().join(format!("{}-7.png", u64::MAX)), b"").unwrap();
        let error = saver.save(&request(), &provenance, &picture(2, 8)).unwrap_err();
        assert!(matches!(error, OutputError::NumbersUsedUp { .. }), "{error}");
    }

    #[test]
    fn a_taken_name_moves_the_picture_to_the_next_number() {
        let folder = tempfile::tempdir().unwrap();
        let mut first = ImageSaver::new(folder.path()).unwrap();
        let mut second = ImageSaver::new(folder.path()).unwrap();
        let provenance = Provenance::default();
        let a = first.save(&request(), &provenance, &picture(0, 8)).unwrap();
        let b = second.save(&request(), &provenance, &picture(0, 8)).unwrap();
        assert_eq!(a.path.file_name().unwrap(), "00000-42.png");
        assert_eq!(b.path.file_name().unwrap(), "00001-42.png");
        let c = first.save(&request(), &provenance, &picture(1, 8)).unwrap();
        assert_eq!(c.path.file_name().unwrap(), "00002-43.png", "the first saver sees the second one's picture");
    }

    #[test]
    fn old_leftovers_of_interrupted_writes_are_removed_and_recent_ones_kept() {
        let folder = tempfile::tempdir().unwrap();
        let (old, recent) =
            (folder.path().join(".00003-1.png.nurie-1-2-3.tmp"), folder.path().join(".00004-1.png.nurie-4-5-6.tmp"));
        std::fs::write(&old, b"half a picture").unwrap();
        std::fs::write(&recent, b"being written by another window").unwrap();
        let two_hours_ago = SystemTime::now() - Duration::from_secs(2 * 60 * 60);
        std::fs::File::options().write(true).open(&old).unwrap().set_modified(two_hours_ago).unwrap();
        ImageSaver::new(folder.path()).unwrap();
        assert_eq!(visible_names(folder.path()), [".00004-1.png.nurie-4-5-6.tmp"]);
    }

    const FULL_DISK_CHILD: &str = "NURIE_FULL_DISK_TEST_FOLDER";

    /// The disk fills while the second picture is written: the test runs itself again as a child whose
    /// files may not grow past a few tens of KiB (`ulimit -f`: the write fails as on a full disk). The failure
    /// names that picture, the first one is whole, and nothing half-written is left.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_fails_the_picture_being_written_and_keeps_the_earlier_ones() {
        if let Some(folder) = std::env::var_os(FULL_DISK_CHILD) {
            save_until_full(Path::new(&folder));
        }
        let folder = tempfile::tempdir().unwrap();
        let test = "output::image_saver::tests::a_full_disk_fails_the_picture_being_written_and_keeps_the_earlier_ones";
        // The child's output goes to pipes: the limit applies to every file it writes, and this
        // process's output may itself be a file larger than the limit (a CI log).
        let child = std::process::Command::new("sh")
            .args(["-c", "trap '' XFSZ; ulimit -f 64; exec \"$0\" \"$@\""])
            .arg(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture"])
            .env(FULL_DISK_CHILD, folder.path())
            .output()
            .unwrap();
        assert!(child.status.success(), "the child failed: {}", String::from_utf8_lossy(&child.stderr));
        let error = std::fs::read_to_string(folder.path().join("error.txt")).unwrap();
        assert!(error.contains("00001-43.png"), "the failure names the picture: {error}");
        assert_eq!(visible_names(folder.path()), ["00000-42.png", "error.txt"], "no half-written file is left");
        let kept = crate::metadata::read_settings_from_png(&folder.path().join("00000-42.png")).unwrap();
        assert_eq!(kept.record.settings.prompt, "満杯のディスク");
        assert!(image::open(folder.path().join("00000-42.png")).is_ok());
    }

    fn save_until_full(folder: &Path) -> ! {
        let mut saver = ImageSaver::new(folder).unwrap();
        let provenance = Provenance::default();
        saver.save(&request(), &provenance, &picture(0, 16)).unwrap();
        let error = saver.save(&request(), &provenance, &picture(1, 256)).unwrap_err();
        std::fs::write(folder.join("error.txt"), error.to_string()).unwrap();
        std::process::exit(0);
    }
}
