//! Telling Nurie's history database from another program's SQLite file that lies at its path (copied
//! there, or written by a tool that picked the same name). Such a file is valid SQLite, so it is not
//! "damaged"; but running the migrations on it would write Nurie's tables into someone else's data
//! (or fail on a table name they share). It is set aside untouched instead (see [`super::library`]).
//!
//! Nurie's databases carry [`APPLICATION_ID`] in their header (`PRAGMA application_id`), stamped when
//! they are created or migrated. Those written before the stamp existed are recognized by their tables.

use rusqlite::Connection;

/// `PRAGMA application_id` of Nurie's history: "Nuri" in ASCII.
pub const APPLICATION_ID: i32 = 0x4E75_7269;

/// Tables every version of Nurie's schema has (version 1 onwards).
const NURIE_TABLES: [&str; 3] = ["folders", "images", "tags"];

/// How many of a foreign database's tables its description names.
const TABLES_NAMED: usize = 4;

/// What an SQLite file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// Nurie's history (possibly of an older or newer version: the migrations decide).
    Nurie,
    /// Empty: no table yet, no version. A new history is created in it.
    New,
    /// Another program's database; the text says what it holds ("its tables are moz_places, …").
    Foreign(String),
}

/// Reads the header and the table names; changes nothing.
pub fn identify(connection: &Connection) -> rusqlite::Result<Identity> {
    let application_id: i32 = connection.pragma_query_value(None, "application_id", |row| row.get(0))?;
    let version = super::migrations::user_version(connection)?;
    let tables = table_names(connection)?;
    Ok(match application_id {
        APPLICATION_ID => Identity::Nurie,
        0 if version == 0 && tables.is_empty() => Identity::New,
        // Version 0 with tables is never Nurie's: the first step creates its tables and sets version 1
        // in one transaction.
        0 if version > 0 && NURIE_TABLES.iter().all(|table| tables.iter().any(|name| name == table)) => Identity::Nurie,
        _ => Identity::Foreign(describe(application_id, &tables)),
    })
}

/// Stamps [`APPLICATION_ID`] on a Nurie database that does not carry it yet.
pub fn claim(connection: &Connection) -> rusqlite::Result<()> {
    let application_id: i32 = connection.pragma_query_value(None, "application_id", |row| row.get(0))?;
    if application_id != APPLICATION_ID {
        connection.pragma_update(None, "application_id", APPLICATION_ID)?;
    }
    Ok(())
}

/// The names of the tables (SQLite's own excepted), in order.
fn table_names(connection: &Connection) -> rusqlite::Result<Vec<String>> {
    let sql = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
    let mut statement = connection.prepare(sql)?;
    let names = statement.query_map([], |row| row.get(0))?;
    names.collect()
}

/// "its tables are a, b, c, d and 3 more" (names only, never their SQL).
fn describe(application_id: i32, tables: &[String]) -> String {
    let owner = if application_id == 0 { String::new() } else { format!("application id {application_id:#010x}, ") };
    let shown: Vec<&str> = tables.iter().take(TABLES_NAMED).map(String::as_str).collect();
    let more = tables.len().saturating_sub(TABLES_NAMED);
    let list = match (shown.is_empty(), more) {
        (true, _) => "it has no tables Nurie knows".to_string(),
        (false, 0) => format!("its tables are {}", shown.join(", ")),
        (false, more) => format!("its tables are {} and {more} more", shown.join(", ")),
    };
    format!("{owner}{list}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_is_new_and_a_migrated_one_is_nurie_s_stamped_or_not() {
        let connection = Connection::open_in_memory().unwrap();
        assert_eq!(identify(&connection).unwrap(), Identity::New);
        super::super::migrations::migrate(&connection, super::super::migrations::MIGRATIONS).unwrap();
        assert_eq!(identify(&connection).unwrap(), Identity::Nurie, "written before the stamp existed");
        claim(&connection).unwrap();
        let stamped: i32 = connection.pragma_query_value(None, "application_id", |row| row.get(0)).unwrap();
        assert_eq!((stamped, identify(&connection).unwrap()), (APPLICATION_ID, Identity::Nurie));
    }

    #[test]
    fn other_programs_databases_are_foreign_and_described_by_table_names() {
        let connection = Connection::open_in_memory().unwrap();
        connection.execute_batch("CREATE TABLE images (blob BLOB); CREATE TABLE moz_places (url TEXT);").unwrap();
        let expected = Identity::Foreign("its tables are images, moz_places".to_string());
        assert_eq!(identify(&connection).unwrap(), expected, "version 0 with tables");
        connection.pragma_update(None, "user_version", 3).unwrap();
        assert_eq!(identify(&connection).unwrap(), expected, "a version, but not Nurie's tables");
        connection.pragma_update(None, "application_id", 0x0F055112).unwrap();
        let Identity::Foreign(text) = identify(&connection).unwrap() else { panic!("foreign") };
        assert!(text.starts_with("application id 0x0f055112, its tables are images"), "{text}");

        let named = ["a", "b", "c", "d", "e", "f"].map(String::from);
        assert_eq!(describe(0, &named), "its tables are a, b, c, d and 2 more");
        assert_eq!(describe(0, &[]), "it has no tables Nurie knows");
    }
}
