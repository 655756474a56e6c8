//! A1111's file numbering: each new picture takes one past the highest `NNNNN-` prefix in its folder.

use std::path::Path;

/// One past the highest number prefix (`00042-…`) of the files in `folder`; 0 for an empty folder, and
/// `None` when a file already carries the highest number there is.
pub fn next_free_number(folder: &Path) -> std::io::Result<Option<u64>> {
    let highest = std::fs::read_dir(folder)?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| number_prefix(&entry.file_name().to_string_lossy()))
        .max();
    Ok(highest.map_or(Some(0), |n| n.checked_add(1)))
}

/// The leading number of `00042-1234.png`, if the name starts with digits and a hyphen (numbers too big
/// for a u64 are not ours, and ignored).
fn number_prefix(name: &str) -> Option<u64> {
    let (digits, _) = name.split_once('-')?;
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_highest_prefix_and_ignore_other_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(next_free_number(dir.path()).unwrap(), Some(0));
        for name in ["00003-42.png", "00010-7.png", "notes.txt", "abc-1.png", "-5.png"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        assert_eq!(next_free_number(dir.path()).unwrap(), Some(11));
    }

    /// A picture numbered 4294967295 once made the next one overflow (a panic that lost the batch).
    #[test]
    fn numbers_past_u32_continue_and_the_last_u64_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("4294967295-1.png"), b"").unwrap();
        std::fs::write(dir.path().join("99999999999999999999999-1.png"), b"").unwrap();
        assert_eq!(next_free_number(dir.path()).unwrap(), Some(4_294_967_296));
        std::fs::write(dir.path().join(format!("{}-1.png", u64::MAX)), b"").unwrap();
        assert_eq!(next_free_number(dir.path()).unwrap(), None);
    }

    #[test]
    fn a_missing_folder_is_an_error() {
        assert!(next_free_number(Path::new("/nonexistent/nurie-out")).is_err());
    }
}
