//! Re-scans and rebuilds: incremental changes, progress and cancelling, failures mid-import, a deleted
//! database, forgotten and unreachable folders.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, UNIX_EPOCH};

use super::import_tests::{counts, import, nurie_record, row};
use super::test_images::*;
use super::*;
use crate::metadata::{GenerationRecord, ReadLimits};

fn set_mtime(path: &Path, seconds: u64) {
    fs::File::options().write(true).open(path).unwrap().set_modified(UNIX_EPOCH + Duration::from_secs(seconds)).unwrap();
}

#[test]
fn rescans_read_only_new_and_changed_files_and_drop_deleted_ones() {
    let (db, pictures) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let dir = pictures.path();
    let names = ["a.png", "b.png", "c.png"];
    for (i, name) in names.iter().enumerate() {
        write_png(&dir.join(name), i as u8, &[("parameters", &format!("prompt {name}\nSteps: 20, Sampler: Euler, Seed: {i}"))]);
        set_mtime(&dir.join(name), 1_700_000_000);
    }
    let library = new_library(db.path());
    assert_eq!(counts(&import(&library, dir)), [3, 0, 0, 0]);
    assert_eq!(counts(&import(&library, dir)), [0, 0, 0, 3]);

    let b = row(&library, &dir.join("b.png"));
    library.set_favorite(b.id, true).unwrap();
    library.add_tag(b.id, "keep").unwrap();
    write_png(&dir.join("b.png"), 7, &[("parameters", "rewritten sunset\nSteps: 20, Sampler: Euler, Seed: 77")]);
    set_mtime(&dir.join("b.png"), 1_700_000_100);
    fs::remove_file(dir.join("c.png")).unwrap();
    write_png(&dir.join("d.png"), 8, &[]);

    assert_eq!(counts(&import(&library, dir)), [1, 1, 1, 1]);
    let b_after = row(&library, &dir.join("b.png"));
    assert_eq!((b_after.id, b_after.favorite, b_after.seed), (b.id, true, Some(77)));
    assert_eq!(b_after.created_at, 1_700_000_100);
    assert_eq!(library.tags(b.id).unwrap(), ["keep"]);
    assert_eq!(library.search(&Query::parse("sunset"), 0, 10).unwrap()[0].id, b.id);
    assert!(library.search(&Query::parse("prompt b"), 0, 10).unwrap().is_empty());
    assert!(library.image_at(&dir.join("c.png")).unwrap().is_none());

    // A touch alone (same bytes, new time) is read again; a file that turned bad is forgotten.
    set_mtime(&dir.join("a.png"), 1_700_000_200);
    fs::write(dir.join("d.png"), "no longer a picture").unwrap();
    let report = import(&library, dir);
    assert_eq!(counts(&report), [0, 1, 1, 1]);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(library.count(&Query::default()).unwrap(), 2);
    check_text_indexes(&library);
}

#[test]
fn progress_reaches_the_total_and_cancel_keeps_what_was_done() {
    let (db, pictures) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for i in 0..10 {
        write_png(&pictures.path().join(format!("{i:02}.png")), i, &[]);
    }
    let library = new_library(db.path());
    let cancel = AtomicBool::new(false);
    let mut seen = Vec::new();
    let report = import_folder(
        &library,
        pictures.path(),
        &mut |progress| {
            seen.push((progress.done, progress.total));
            if progress.done == 4 {
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        },
        &cancel,
    )
    .unwrap();
    assert_eq!(seen, [(0, 10), (1, 10), (2, 10), (3, 10), (4, 10)]);
    assert!(report.cancelled);
    assert_eq!(report.added, 4);
    assert_eq!(library.folders().unwrap()[0].last_scan_at, None);

    let mut last = (0, 0);
    let rest = import_folder(&library, pictures.path(), &mut |p| last = (p.done, p.total), &AtomicBool::new(false)).unwrap();
    assert_eq!((counts(&rest), last), ([6, 0, 0, 4], (10, 10)));
    let folder = &library.folders().unwrap()[0];
    assert!(folder.last_scan_at.is_some());
    assert_eq!((folder.path.as_path(), folder.image_count), (pictures.path(), 10));
}

#[test]
fn a_write_that_fails_mid_import_leaves_only_whole_batches() {
    let (db, pictures) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for i in 0..(BATCH_SIZE + 100) {
        write_png(&pictures.path().join(format!("{i:04}.png")), 0, &[]);
    }
    let library = new_library(db.path());
    // The disk fills up while the second batch is written.
    let full_disk = format!(
        "CREATE TEMP TRIGGER disk_full BEFORE INSERT ON images WHEN new.path LIKE '%{:04}.png'
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
        BATCH_SIZE + 50
    );
    library.connection().execute_batch(&full_disk).unwrap();
    let error = import_folder(&library, pictures.path(), &mut |_| {}, &AtomicBool::new(false)).unwrap_err();
    assert!(error.to_string().contains("disk is full"), "{error}");
    let other_window = Library::open(library.path()).unwrap().library;
    // The first batch is whole; of the second, the transactions before the failing one (a slow machine
    // may end one early, after 200 ms).
    let kept = other_window.count(&Query::default()).unwrap();
    assert!((BATCH_SIZE..BATCH_SIZE + 50).contains(&kept), "{kept} rows kept");
    check_text_indexes(&other_window);
}

#[test]
fn a_transaction_that_never_commits_is_invisible() {
    let (db, pictures) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let path = pictures.path().join("a.png");
    write_a1111(&path, A1111_OLD);
    let library = new_library(db.path());
    let entry = ImageEntry::read(&path, pictures.path(), &ReadLimits::default()).unwrap();
    {
        let transaction = library.connection().unchecked_transaction().unwrap();
        super::index::upsert(&transaction, &entry).unwrap();
        // The process dies here: the transaction is never committed.
    }
    let other_window = Library::open(library.path()).unwrap().library;
    assert_eq!(other_window.count(&Query::default()).unwrap(), 0);
    assert_eq!(library.count(&Query::default()).unwrap(), 0);
}

/// What the history says about one file: path, prompt, seed, source, settings.
type Snapshot = (PathBuf, String, Option<u64>, ImageSource, Option<GenerationRecord>);

fn snapshot(library: &Library) -> Vec<Snapshot> {
    let rows = library.search(&Query { sort: Sort::Oldest, ..Default::default() }, 0, 1000).unwrap();
    let mut rows: Vec<_> =
        rows.into_iter().map(|r| (r.path, r.prompt, r.seed, r.source, library.record(r.id).unwrap())).collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

#[test]
fn a_deleted_database_is_rebuilt_with_the_same_rows() {
    let (home, pictures) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let dir = pictures.path();
    write_a1111(&dir.join("a.png"), A1111_CONTROLNET);
    write_comfyui(&dir.join("b.png"));
    write_nurie(&dir.join("c.png"), &nurie_record());
    write_png(&dir.join("d.png"), 0, &[]);
    let opened = Library::in_home(home.path()).unwrap();
    import(&opened.library, dir);
    let before = snapshot(&opened.library);
    assert_eq!(before.len(), 4);
    drop(opened);
    for name in ["history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm"] {
        let _ = fs::remove_file(home.path().join(name));
    }

    let reopened = Library::in_home(home.path()).unwrap();
    assert!(reopened.needs_indexing());
    let report = rebuild(&reopened.library, &[dir.to_path_buf()], &mut |_| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!((report.images(), report.failures().count()), (4, 0));
    assert_eq!(snapshot(&reopened.library), before);
    check_text_indexes(&reopened.library);
}

#[test]
fn rebuilding_a_healthy_library_rereads_its_roots_and_keeps_marks() {
    let (db, pictures, gone) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_a1111(&pictures.path().join("a.png"), A1111_OLD);
    write_png(&gone.path().join("b.png"), 0, &[]);
    let library = new_library(db.path());
    import(&library, pictures.path());
    import(&library, gone.path());
    let a = row(&library, &pictures.path().join("a.png"));
    library.set_favorite(a.id, true).unwrap();
    library.add_tag(a.id, "mine").unwrap();
    let moved = gone.path().with_extension("moved");
    fs::rename(gone.path(), &moved).unwrap(); // an unplugged drive

    let mut progress = Vec::new();
    let report = rebuild(&library, &[], &mut |p| progress.push(p.done), &AtomicBool::new(false)).unwrap();
    assert_eq!(report.reports().map(counts).collect::<Vec<_>>(), [[0, 1, 0, 0]]);
    let failures: Vec<_> = report.failures().map(|(root, _)| root.to_path_buf()).collect();
    assert_eq!(failures, [gone.path().to_path_buf()]);
    assert!(library.image_at(&gone.path().join("b.png")).unwrap().is_some(), "an unreachable root keeps its rows");
    let a_after = row(&library, &pictures.path().join("a.png"));
    assert_eq!((a_after.id, a_after.favorite), (a.id, true));
    assert_eq!(library.tags(a.id).unwrap(), ["mine"]);
    assert_eq!(progress, [0, 1]);
    fs::rename(&moved, gone.path()).unwrap();
}

#[test]
fn forgetting_a_folder_drops_its_rows_and_tags() {
    let (db, first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_a1111(&first.path().join("a.png"), A1111_OLD);
    write_comfyui(&second.path().join("b.png"));
    let library = new_library(db.path());
    import(&library, first.path());
    import(&library, second.path());
    let a = row(&library, &first.path().join("a.png"));
    library.add_tag(a.id, "gone soon").unwrap();
    assert_eq!(library.forget_folder(first.path()).unwrap(), 1);
    assert_eq!(library.folders().unwrap().len(), 1);
    assert_eq!(library.count(&Query::default()).unwrap(), 1);
    assert!(library.all_tags().unwrap().is_empty());
    check_text_indexes(&library);
}

#[test]
fn a_missing_or_file_root_is_an_error() {
    let (db, pictures) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let library = new_library(db.path());
    let file = pictures.path().join("a.png");
    write_png(&file, 0, &[]);
    for root in [pictures.path().join("missing"), file] {
        let result = import_folder(&library, &root, &mut |_| {}, &AtomicBool::new(false));
        assert!(matches!(result, Err(HistoryError::Folder { .. })), "{result:?}");
    }
}
