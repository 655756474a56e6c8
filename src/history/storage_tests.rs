//! The database's file and disk as they are in the wild: another writer holding the lock through a
//! long import, another program's SQLite file at the history's path, a read-only or full disk.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::error::{io_storage_error, storage_error};
use super::library_tests::entry;
use super::test_images::new_library;
use super::*;
use crate::metadata::GenerationRecord;

/// Makes every row `connection` writes into `images` cost about `per_row` of work inside the
/// transaction (a slow disk, long prompts in the text indexes), calibrated on this machine.
fn slow_down_writes(connection: &Connection, per_row: Duration) {
    let work = |bytes: u64| format!("SELECT length(replace(hex(zeroblob({bytes})), '00', '0'))");
    let probe_bytes = 4_000_000;
    let started = Instant::now();
    connection.query_row(&work(probe_bytes), [], |_| Ok(())).unwrap();
    let per_byte = started.elapsed().as_secs_f64() / probe_bytes as f64;
    let bytes = (per_row.as_secs_f64() / per_byte) as u64;
    let trigger = format!("CREATE TEMP TRIGGER slow_disk AFTER INSERT ON images BEGIN {}; END;", work(bytes));
    connection.execute_batch(&trigger).unwrap();
}

/// A picture as `nurie generate` saves it, in `folder`.
fn generated_picture(folder: &Path, seed: u64) -> (PathBuf, GenerationRecord) {
    let mut record = GenerationRecord::default();
    (record.settings.prompt, record.settings.seed) = (format!("recorded during the import {seed}"), seed);
    let path = folder.join(format!("{seed:05}-{seed}.png"));
    super::test_images::write_nurie(&path, &record);
    (path, record)
}

/// Issue 19 (5): an import held the write lock past the busy timeout, and `nurie generate` saved its
/// picture but never recorded it. The import's transactions are now short (about 200 ms) with gaps a
/// waiting writer finds, so the picture goes in at once. Here one import transaction of the old kind
/// (200 rows of 8 ms each) lasted 1.6 s, and the recorder, starting just after it began, waited about
/// 1.5 s for its end; now it waits for about one short transaction.
#[test]
fn a_picture_saved_during_a_long_import_is_recorded_at_once() {
    let scratch = tempfile::tempdir().unwrap();
    let (home, pictures, outputs) = (scratch.path().join("home"), scratch.path().join("a1111"), scratch.path().join("out"));
    fs::create_dir_all(&outputs).unwrap();
    write_synthetic_pictures(&pictures, BATCH_SIZE, 8, &mut |_| {}).unwrap();
    let importing = Library::in_home(&home).unwrap().library;
    slow_down_writes(importing.connection(), Duration::from_millis(8));
    let mut recorder = Recorder::new(home.clone());
    let record = |recorder: &mut Recorder, (path, record): &(PathBuf, GenerationRecord)| {
        recorder.add(SavedPicture { path, folder: &outputs, record, line_art: None, init_image: None })
    };
    assert_eq!(record(&mut recorder, &generated_picture(&outputs, 1)), None, "recorded before the import");

    let (all_read, cancel) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let import = {
        let (all_read, cancel) = (all_read.clone(), cancel.clone());
        std::thread::spawn(move || {
            let mut progress = |p: ImportProgress| all_read.store(p.done == p.total && p.total > 0, Ordering::SeqCst);
            import_folder(&importing, &pictures, &mut progress, &cancel).map(|report| report.added)
        })
    };
    while !all_read.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(30)); // the batch's first transaction is under way
    let started = Instant::now();
    let second = generated_picture(&outputs, 2);
    assert_eq!(record(&mut recorder, &second), None, "no problem to report");
    let waited = started.elapsed();
    cancel.store(true, Ordering::SeqCst);
    let added = import.join().unwrap().unwrap();

    let library = Library::in_home(&home).unwrap().library;
    assert_eq!(library.image_at(&second.0).unwrap().map(|row| row.seed), Some(Some(2)), "the picture is recorded");
    assert!(waited < Duration::from_millis(1000), "the recorder waited {waited:?} for the import's transaction");
    assert_eq!(added, BATCH_SIZE, "the import went on and finished its batch");
}

/// Issue 19 (6): a valid SQLite file of another program at the history's path made every history
/// command fail with the whole schema in the message. It is set aside untouched, under a name that
/// says so, and a new history starts.
#[test]
fn another_program_s_database_is_set_aside_untouched_and_a_new_history_started() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DATABASE_FILE_NAME);
    {
        let foreign = Connection::open(&path).unwrap();
        let sql = "CREATE TABLE images (id INTEGER PRIMARY KEY, thumbnail BLOB);
                   CREATE TABLE moz_places (url TEXT); INSERT INTO moz_places VALUES ('https://example.com/');";
        foreign.execute_batch(sql).unwrap();
    }
    let original = fs::read(&path).unwrap();

    let opened = Library::open(&path).unwrap();
    let OpenState::NotNurie { reason, moved_to } = opened.state.clone() else { panic!("{:?}", opened.state) };
    assert_eq!(moved_to.parent(), Some(dir.path()));
    let name = moved_to.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("history.sqlite3.not-nurie-"), "{name}");
    assert_eq!(fs::read(&moved_to).unwrap(), original, "kept byte for byte");
    assert!(reason.contains("moz_places") && reason.contains(name) && !reason.contains("CREATE"), "{reason}");
    assert_eq!(opened.rebuilt_because(), Some(reason.as_str()));
    assert!(opened.needs_indexing());
    let notice = opened.set_aside_notice("the history is rebuilt from the pictures").unwrap();
    assert!(notice.contains("another program") && notice.contains(&moved_to.display().to_string()), "{notice}");

    opened.library.add_image(&entry(dir.path(), "a.png", "cat")).unwrap();
    drop(opened);
    let again = Library::open(&path).unwrap();
    assert_eq!(again.state, OpenState::Opened, "the new history is Nurie's");
    assert_eq!(again.library.count(&Query::default()).unwrap(), 1);
}

/// The SQL text rusqlite attaches to a statement that failed to prepare never reaches a message.
#[test]
fn database_errors_carry_no_sql_text() {
    let connection = Connection::open_in_memory().unwrap();
    let error = connection.execute_batch("CREATE TABLE t (x); SELEC x FROM t;").unwrap_err();
    let message = HistoryError::from(error).to_string();
    assert!(message.contains("syntax error") && !message.contains("CREATE") && !message.contains("SELEC x"), "{message}");
}

/// Issue 19 (9): a read-only home and a full disk came out as raw SQLite errors.
#[test]
fn a_full_disk_and_a_read_only_database_name_the_file_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let library = new_library(dir.path());
    let shown = library.path().display().to_string();
    // The file may not grow: SQLite reports exactly what a full disk makes it report.
    let pages: i64 = library.connection().pragma_query_value(None, "page_count", |row| row.get(0)).unwrap();
    library.connection().pragma_update(None, "max_page_count", pages).unwrap();
    let full: Vec<_> = (0..50).map(|i| library.add_image(&entry(dir.path(), &format!("{i}.png"), &"sky ".repeat(500)))).collect();
    let error = full.into_iter().find_map(Result::err).expect("the database filled up");
    assert!(matches!(&error, HistoryError::DiskFull { path } if path == library.path()), "{error:?}");
    let message = error.to_string();
    assert!(message.starts_with(&format!("the disk holding {shown} is full: free space")), "{message}");

    library.connection().pragma_update(None, "query_only", true).unwrap();
    let error = library.set_favorite(ImageId(1), true).unwrap_err();
    assert!(matches!(&error, HistoryError::ReadOnly { path, .. } if path == library.path()), "{error:?}");
    assert!(error.to_string().starts_with(&format!("{shown} is read-only: ")), "{error}");
}

#[test]
fn sqlite_and_file_system_refusals_map_to_read_only_and_disk_full() {
    use rusqlite::ffi;
    let path = Path::new("/home/someone/.local/share/nurie/history.sqlite3");
    let sqlite = |code| rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
    assert!(matches!(storage_error(path, sqlite(ffi::SQLITE_READONLY)), Ok(HistoryError::ReadOnly { .. })));
    let full = storage_error(path, sqlite(ffi::SQLITE_FULL)).unwrap().to_string();
    assert!(full.starts_with("the disk holding /home/someone/.local/share/nurie/history.sqlite3 is full: free space"), "{full}");
    assert!(storage_error(path, sqlite(ffi::SQLITE_CONSTRAINT)).is_err(), "not the disk's doing");
    let elsewhere = HistoryError::from(sqlite(ffi::SQLITE_FULL)).at(path);
    assert!(matches!(elsewhere, HistoryError::DiskFull { .. }), "{elsewhere:?}");

    let folder = path.parent().unwrap();
    let kind = |raw| io_storage_error(path, folder, &std::io::Error::from_raw_os_error(raw));
    let (enospc, erofs, eacces, enoent) = (28, 30, 13, 2); // the same numbers on Linux and macOS
    assert!(matches!(kind(enospc), Some(HistoryError::DiskFull { .. })));
    let read_only = kind(erofs).unwrap().to_string();
    assert!(read_only.starts_with(&format!("{} is read-only: ", path.display())), "{read_only}");
    assert!(read_only.contains("read-only file system") && read_only.contains("NURIE_HOME"), "{read_only}");
    assert!(kind(eacces).unwrap().to_string().contains("no permission to write in /home/someone/.local/share/nurie"));
    assert!(kind(enoent).is_none());
}

/// A home folder Nurie may not write in (permissions mean nothing to root: then only the mapping is
/// tested, above).
#[cfg(unix)]
#[test]
fn a_read_only_home_is_reported_as_read_only() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let scratch = tempfile::tempdir().unwrap();
    if fs::metadata(scratch.path()).unwrap().uid() == 0 {
        eprintln!("running as root: permissions are not enforced, skipped");
        return;
    }
    let home = scratch.path().join("home");
    fs::create_dir(&home).unwrap();
    fs::set_permissions(&home, fs::Permissions::from_mode(0o555)).unwrap();
    let result = Library::in_home(&home);
    fs::set_permissions(&home, fs::Permissions::from_mode(0o755)).unwrap();
    let error = result.unwrap_err();
    assert!(matches!(&error, HistoryError::ReadOnly { .. }), "{error:?}");
    assert!(error.to_string().starts_with(&format!("{} is read-only", home.join(DATABASE_FILE_NAME).display())), "{error}");
}
