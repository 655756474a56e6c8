//! Opening the database: creation, damage, newer versions, two windows at once.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;

use super::test_images::{A1111_OLD, check_text_indexes, new_library};
use super::*;
use crate::metadata::settings_from_infotext;

pub fn entry(dir: &Path, name: &str, prompt: &str) -> ImageEntry {
    let mut settings = settings_from_infotext(A1111_OLD);
    settings.record.settings.prompt = prompt.to_string();
    ImageEntry {
        path: dir.join(name),
        folder: dir.to_path_buf(),
        facts: FileFacts { size: 100, modified_ns: 1_700_000_000_000_000_000 },
        width: 512,
        height: 512,
        settings: Some(settings),
        problems: Vec::new(),
        line_art_path: None,
        init_image_path: None,
    }
}

fn pragma(library: &Library, name: &str) -> String {
    library.connection().pragma_query_value(None, name, |row| row.get::<_, rusqlite::types::Value>(0)).map_or(
        String::new(),
        |value| match value {
            rusqlite::types::Value::Text(text) => text,
            rusqlite::types::Value::Integer(n) => n.to_string(),
            other => format!("{other:?}"),
        },
    )
}

#[test]
fn a_new_database_is_created_in_wal_mode_and_reopened() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path().join("nurie-home");
    let opened = Library::in_home(&home).unwrap();
    assert_eq!(opened.state, OpenState::Created);
    assert!(opened.needs_indexing() && opened.rebuilt_because().is_none());
    assert_eq!(opened.library.path(), home.join("history.sqlite3"));
    assert_eq!(pragma(&opened.library, "journal_mode"), "wal");
    assert_eq!(pragma(&opened.library, "foreign_keys"), "1");
    assert_eq!(pragma(&opened.library, "user_version"), schema_version().to_string());
    drop(opened);
    let again = Library::in_home(&home).unwrap();
    assert_eq!(again.state, OpenState::Opened);
    assert!(!again.needs_indexing());
}

#[test]
fn a_file_that_is_not_a_database_is_moved_aside_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DATABASE_FILE_NAME);
    fs::write(&path, "these are not the bytes of an SQLite database\n".repeat(100)).unwrap();
    let opened = Library::open(&path).unwrap();
    let broken: PathBuf = dir.path().join("history.sqlite3.broken");
    assert_eq!(
        opened.state,
        OpenState::Replaced { reason: "the file is not an SQLite database".to_string(), broken_copy: broken.clone() }
    );
    assert_eq!(opened.rebuilt_because(), Some("the file is not an SQLite database"));
    assert!(fs::read_to_string(&broken).unwrap().starts_with("these are not the bytes"));
    opened.library.add_image(&entry(dir.path(), "a.png", "cat")).unwrap();
    assert_eq!(opened.library.count(&Query::default()).unwrap(), 1);
}

#[test]
fn a_truncated_database_is_moved_aside_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DATABASE_FILE_NAME);
    {
        let library = new_library(dir.path());
        for i in 0..400 {
            let prompt = format!("prompt number {i} {}", "with many words ".repeat(20));
            library.add_image(&entry(dir.path(), &format!("{i:05}.png"), &prompt)).unwrap();
        }
    } // the last connection's close checkpoints the log into the file
    assert!(!dir.path().join("history.sqlite3-wal").exists());
    let length = fs::metadata(&path).unwrap().len();
    assert!(length > 100_000, "{length}");
    fs::File::options().write(true).open(&path).unwrap().set_len(length / 2).unwrap();

    let opened = Library::open(&path).unwrap();
    let reason = opened.rebuilt_because().unwrap().to_string();
    assert!(reason.starts_with("SQLite found damage"), "{reason}");
    assert_eq!(fs::metadata(dir.path().join("history.sqlite3.broken")).unwrap().len(), length / 2);
    assert_eq!(opened.library.count(&Query::default()).unwrap(), 0);
}

#[test]
fn a_database_from_a_newer_nurie_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DATABASE_FILE_NAME);
    drop(new_library(dir.path()));
    Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
    let before = fs::read(&path).unwrap();

    match Library::open(&path) {
        Err(HistoryError::NewerSchema { found: 99, supported, .. }) => assert_eq!(supported, schema_version()),
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    assert_eq!(fs::read(&path).unwrap(), before);
    assert!(!dir.path().join("history.sqlite3.broken").exists());
}

#[test]
fn a_database_that_cannot_be_created_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_folder = dir.path().join("file");
    fs::write(&not_a_folder, "x").unwrap();
    assert!(matches!(Library::open(&not_a_folder.join("history.sqlite3")), Err(HistoryError::Open { .. })));
    assert!(matches!(Library::in_home(&not_a_folder), Err(HistoryError::Folder { .. })));
}

#[test]
fn two_windows_write_at_the_same_time() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let path = dir.path().join(DATABASE_FILE_NAME);
    let first = Library::open(&path).unwrap().library;
    let threads: Vec<_> = (0..2)
        .map(|window| {
            let (dir, path) = (Arc::clone(&dir), path.clone());
            std::thread::spawn(move || {
                let library = Library::open(&path).unwrap().library;
                for i in 0..150 {
                    let added = library.add_image(&entry(dir.path(), &format!("w{window}-{i}.png"), "cat")).unwrap();
                    library.add_tag(added.id, &format!("window {window}")).unwrap();
                    library.set_favorite(added.id, i % 2 == 0).unwrap();
                }
            })
        })
        .collect();
    for i in 0..150 {
        first.add_image(&entry(dir.path(), &format!("main-{i}.png"), "dog")).unwrap();
    }
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(first.count(&Query::default()).unwrap(), 450);
    assert_eq!(first.count(&Query { favorites_only: true, ..Default::default() }).unwrap(), 150);
    assert_eq!(first.all_tags().unwrap(), [("window 0".to_string(), 150), ("window 1".to_string(), 150)]);
    assert_eq!(first.count(&Query::parse("cat")).unwrap(), 300);
    check_text_indexes(&first);
}

/// The details of a picture list the other pictures made from the same kept drawing, newest first, and
/// none of another drawing's.
#[test]
fn details_list_every_coloring_of_the_same_drawing() {
    let dir = tempfile::tempdir().unwrap();
    let library = new_library(dir.path());
    let drawing = dir.path().join("inputs").join("aaaa.png");
    let other = dir.path().join("inputs").join("bbbb.png");
    let add = |name: &str, line_art: &Path, modified: i64| {
        let mut picture = entry(dir.path(), name, "girl").with_inputs(Some(line_art.to_path_buf()), None);
        picture.facts.modified_ns = modified;
        library.add_image(&picture).unwrap().id
    };
    let first = add("1.png", &drawing, 1_000_000_000_000_000_000);
    add("2.png", &drawing, 1_100_000_000_000_000_000);
    add("3.png", &other, 1_200_000_000_000_000_000);
    add("4.png", &drawing, 1_300_000_000_000_000_000);
    let details = library.details(first).unwrap();
    let names: Vec<String> =
        details.same_drawing.iter().map(|row| row.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["4.png", "2.png"]);
    assert_eq!(library.colorings_of(&drawing, None).unwrap().len(), 3);
}
