//! Opening the history database: WAL so that two Nurie windows (or a window and a background import)
//! can read and write at once, a busy handler so that writers wait for each other instead of failing,
//! foreign keys on, a quick integrity check, and the migrations.
//!
//! The database is only an index of the PNGs, which stay the source of truth. So a damaged database is
//! not repaired: it is moved aside (see [`super::recovery`]) and a new one is created, and
//! [`OpenedLibrary::state`] says so, for the app to tell the user and re-index the folders. Another
//! program's SQLite file at the same path (see [`super::identity`]) is moved aside the same way, under
//! a name of its own, before anything is written to it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};

use super::error::{HistoryError, Result, io_storage_error, storage_error};
use super::identity::{Identity, claim, identify};
use super::migrations::{MIGRATIONS, Migrated, migrate};
use super::recovery::{move_aside, move_foreign_aside};

/// The database's file name in Nurie's home.
pub const DATABASE_FILE_NAME: &str = "history.sqlite3";

/// How long a writer waits for another window's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a waiting writer tries the lock again. SQLite's own busy timeout backs off to 100 ms
/// between tries, and a long import leaves the lock free only for the moments between its
/// transactions: a writer that looks that rarely keeps missing them and runs out of time. Looking
/// every few milliseconds finds the first gap (imports leave at least
/// [`GAP_BETWEEN_TRANSACTIONS`](super::paced::GAP_BETWEEN_TRANSACTIONS) between theirs).
const BUSY_POLL: Duration = Duration::from_millis(2);

/// One connection to the history database. Each window, and each background import, opens its own.
#[derive(Debug)]
pub struct Library {
    connection: Connection,
    path: PathBuf,
}

/// What [`Library::open`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenState {
    /// An existing, healthy database.
    Opened,
    /// There was no database (first start, or it was deleted): the library is empty.
    Created,
    /// The database was damaged; it now lies at `broken_copy` and a new, empty one replaces it.
    Replaced { reason: String, broken_copy: PathBuf },
    /// The file was another program's database (`reason` says what it holds and where it went); it now
    /// lies, untouched, at `moved_to` and a new, empty history replaces it.
    NotNurie { reason: String, moved_to: PathBuf },
}

#[derive(Debug)]
pub struct OpenedLibrary {
    pub library: Library,
    pub state: OpenState,
}

impl OpenedLibrary {
    /// Why the database had to be replaced, for telling the user (`None` when it was not).
    pub fn rebuilt_because(&self) -> Option<&str> {
        match &self.state {
            OpenState::Replaced { reason, .. } | OpenState::NotNurie { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// A sentence for the user when the file found at the database's path was set aside (`None` when
    /// it was not); `next` says what happens now ("it is rebuilt from the pictures").
    pub fn set_aside_notice(&self, next: &str) -> Option<String> {
        match &self.state {
            OpenState::Replaced { reason, broken_copy } => Some(format!(
                "The history database was damaged ({reason}); it was set aside as {} and {next}.",
                broken_copy.display()
            )),
            OpenState::NotNurie { moved_to, .. } => Some(format!(
                "{} was not Nurie's history but another program's database; it was moved, untouched, to {}, and {next}.",
                self.library.path().display(),
                moved_to.display()
            )),
            _ => None,
        }
    }

    /// The library starts empty: the app should rebuild it from the image folders.
    pub fn needs_indexing(&self) -> bool {
        self.state != OpenState::Opened
    }
}

/// Why a connection could not be made.
enum Failure {
    /// The file is not a usable database: move it aside and start over.
    Damaged(String),
    /// The file is another program's database (what it holds): move it aside and start over.
    Foreign(String),
    /// Anything else (no permission, locked, newer schema): report it, touch nothing.
    Fatal(HistoryError),
}

impl Library {
    /// Opens `home/history.sqlite3`, creating `home` if needed.
    pub fn in_home(home: &Path) -> Result<OpenedLibrary> {
        let database = home.join(DATABASE_FILE_NAME);
        std::fs::create_dir_all(home).map_err(|source| {
            io_storage_error(&database, home, &source).unwrap_or(HistoryError::Folder { path: home.to_path_buf(), source })
        })?;
        Library::open(&database)
    }

    /// Opens the database at `path`, creating it, or replacing it when it is damaged or not Nurie's.
    pub fn open(path: &Path) -> Result<OpenedLibrary> {
        let existed = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
        let state = match connect(path) {
            Ok(connection) => {
                let state = if existed { OpenState::Opened } else { OpenState::Created };
                return Ok(OpenedLibrary { library: Library { connection, path: path.to_path_buf() }, state });
            }
            Err(unusable) => set_aside(path, unusable)?,
        };
        let connection = connect(path).map_err(|failure| match failure {
            Failure::Fatal(error) => error,
            Failure::Damaged(reason) | Failure::Foreign(reason) => {
                HistoryError::StillDamaged { path: path.to_path_buf(), reason }
            }
        })?;
        Ok(OpenedLibrary { library: Library { connection, path: path.to_path_buf() }, state })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A number that changes when another connection (another window, an import, `nurie generate`)
    /// committed a change since this connection last looked (SQLite's `data_version`).
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.connection.pragma_query_value(None, "data_version", |row| row.get(0))?)
    }

    pub(super) fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Runs `work` in one write transaction (`BEGIN IMMEDIATE`: takes the write lock up front, so
    /// the busy handler applies), committed only when `work` succeeds. A read-only or full disk is
    /// told as such ([`HistoryError::ReadOnly`], [`HistoryError::DiskFull`]).
    pub(super) fn write<T>(&self, work: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        let attempt = || {
            let transaction = Transaction::new_unchecked(&self.connection, TransactionBehavior::Immediate)?;
            let value = work(&transaction)?;
            transaction.commit()?;
            Ok(value)
        };
        attempt().map_err(|error: HistoryError| error.at(&self.path))
    }
}

/// Moves the file at `path`, damaged or another program's, out of the way; returns the state that
/// says so (a fatal failure is returned as the error it is).
fn set_aside(path: &Path, failure: Failure) -> Result<OpenState> {
    let cannot_move =
        |reason: &str, source| HistoryError::MoveAside { path: path.to_path_buf(), reason: reason.to_string(), source };
    match failure {
        Failure::Damaged(reason) => {
            let broken_copy = move_aside(path).map_err(|source| cannot_move(&reason, source))?;
            Ok(OpenState::Replaced { reason, broken_copy })
        }
        Failure::Foreign(what) => {
            let moved_to = move_foreign_aside(path).map_err(|source| cannot_move(&what, source))?;
            let reason = format!("it was another program's database ({what}); it was moved to {}", moved_to.display());
            Ok(OpenState::NotNurie { reason, moved_to })
        }
        Failure::Fatal(error) => Err(error),
    }
}

fn connect(path: &Path) -> std::result::Result<Connection, Failure> {
    let open_error = |source| classify(path, source);
    let mut connection = Connection::open(path).map_err(open_error)?;
    connection.busy_handler(Some(wait_for_lock)).map_err(open_error)?;
    if let Identity::Foreign(what) = identify(&connection).map_err(open_error)? {
        return Err(Failure::Foreign(what));
    }
    configure(&connection).map_err(open_error)?;
    let problems = quick_check(&connection).map_err(open_error)?;
    if !problems.is_empty() {
        return Err(Failure::Damaged(format!("SQLite found damage: {}", problems.join("; "))));
    }
    match migrate(&connection, MIGRATIONS).map_err(open_error)? {
        // Stamped when created or upgraded, when it is written anyway (a database opened read-only
        // stays readable; an unstamped one is known by its tables).
        Migrated::Upgraded { from, to } if from < to => {
            claim(&connection).map_err(open_error)?;
            Ok(connection)
        }
        Migrated::Upgraded { .. } => Ok(connection),
        Migrated::TooNew { found, supported } => {
            Err(Failure::Fatal(HistoryError::NewerSchema { path: path.to_path_buf(), found, supported }))
        }
    }
}

/// The busy handler: tries again every [`BUSY_POLL`] until about [`BUSY_TIMEOUT`] has passed.
/// (`attempt` counts the tries of this wait; the time waited is at least `attempt` polls.)
fn wait_for_lock(attempt: i32) -> bool {
    let waited = BUSY_POLL.saturating_mul(u32::try_from(attempt).unwrap_or(0));
    if waited >= BUSY_TIMEOUT {
        return false;
    }
    std::thread::sleep(BUSY_POLL);
    true
}

/// WAL with `synchronous = NORMAL`: a killed process never corrupts the database (at worst a power
/// cut loses the last transactions, which the next scan re-indexes). Where WAL is refused (some
/// network file systems) SQLite keeps its rollback journal: still safe, only slower with two windows.
fn configure(connection: &Connection) -> rusqlite::Result<()> {
    let _mode: String = connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

/// The problems `PRAGMA quick_check` reports (empty when the database is sound).
fn quick_check(connection: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement = connection.prepare("PRAGMA quick_check(5)")?;
    let lines = statement.query_map([], |row| row.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(lines.into_iter().filter(|line| line != "ok").collect())
}

fn classify(path: &Path, error: rusqlite::Error) -> Failure {
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Failure::Damaged("the file is not an SQLite database".to_string()),
        Some(ErrorCode::DatabaseCorrupt) => Failure::Damaged(format!("SQLite found damage: {error}")),
        _ => Failure::Fatal(
            storage_error(path, error).unwrap_or_else(|error| HistoryError::Open { path: path.to_path_buf(), error }),
        ),
    }
}
