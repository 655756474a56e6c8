//! A Nurie killed in the middle of a write: the test runs itself again as a child process that writes,
//! and aborts (as abruptly as `kill -9`: no destructor, no rollback) inside an open transaction.

use std::path::Path;
use std::process::Command;

use super::index::upsert;
use super::library_tests::entry;
use super::recovery::with_suffix;
use super::test_images::check_text_indexes;
use super::*;

const CHILD_DATABASE: &str = "NURIE_HISTORY_CRASH_TEST_DB";
const COMMITTED: usize = 100;

#[test]
fn a_process_killed_mid_write_leaves_a_consistent_database() {
    if let Some(database) = std::env::var_os(CHILD_DATABASE) {
        write_then_die(Path::new(&database));
    }
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join(DATABASE_FILE_NAME);
    let test_name = "history::crash_tests::a_process_killed_mid_write_leaves_a_consistent_database";
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test_name, "--nocapture"])
        .env(CHILD_DATABASE, &database)
        .output()
        .unwrap();
    assert!(!child.status.success(), "the child should have died");
    let sizes = std::fs::read_to_string(dir.path().join("wal-sizes")).unwrap();
    let (committed, at_death) = sizes.split_once(' ').unwrap();
    let (committed, at_death): (u64, u64) = (committed.parse().unwrap(), at_death.parse().unwrap());
    assert!(at_death > committed, "uncommitted pages reached the log before the kill: {committed} → {at_death}");

    let opened = Library::open(&database).unwrap();
    assert_eq!(opened.state, OpenState::Opened);
    assert_eq!(opened.library.count(&Query::default()).unwrap(), COMMITTED);
    assert_eq!(opened.library.count(&Query::parse("dying")).unwrap(), 0);
    check_text_indexes(&opened.library);
}

/// Commits [`COMMITTED`] rows, then dies while writing many more in one transaction, with a page cache
/// so small that SQLite must spill the uncommitted pages into the write-ahead log.
fn write_then_die(database: &Path) -> ! {
    let library = Library::open(database).unwrap().library;
    let folder = database.parent().unwrap();
    for i in 0..COMMITTED {
        library.add_image(&entry(folder, &format!("{i:05}.png"), "committed")).unwrap();
    }
    let wal = with_suffix(database, "-wal");
    let committed_size = std::fs::metadata(&wal).unwrap().len();
    library.connection().pragma_update(None, "cache_size", 2).unwrap();
    let _transaction = library.connection().unchecked_transaction().unwrap();
    for i in COMMITTED..COMMITTED + 2000 {
        upsert(library.connection(), &entry(folder, &format!("{i:05}.png"), "dying write")).unwrap();
    }
    let size_at_death = std::fs::metadata(&wal).unwrap().len();
    std::fs::write(folder.join("wal-sizes"), format!("{committed_size} {size_at_death}")).unwrap();
    std::process::abort();
}
