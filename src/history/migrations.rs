//! Schema versions: the database's `PRAGMA user_version` counts the migration steps applied to it.
//!
//! Each step runs in its own `BEGIN IMMEDIATE` transaction together with the version bump, so a crash
//! leaves the database at the previous version, and two Nurie windows opening a new database at once
//! apply each step exactly once (the second waits for the first and then finds nothing to do). A
//! database from a newer Nurie is refused, never downgraded.

use rusqlite::{Connection, TransactionBehavior};

use super::schema;

/// The migration steps, in order; step `i` takes the database to version `i + 1`. Append only.
pub const MIGRATIONS: &[&str] = &[schema::V1, schema::V2];

/// The schema version this Nurie writes.
pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// What [`migrate`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrated {
    /// The database was at `from` and now is at the latest version (`from == to`: nothing to do).
    Upgraded { from: i64, to: i64 },
    /// The database is at version `found`, newer than `supported`: left untouched.
    TooNew { found: i64, supported: i64 },
}

/// Brings the database up to the last of `steps`.
pub fn migrate(connection: &Connection, steps: &[&str]) -> rusqlite::Result<Migrated> {
    let supported = steps.len() as i64;
    let from = user_version(connection)?;
    if from > supported {
        return Ok(Migrated::TooNew { found: from, supported });
    }
    let mut version = from;
    while version < supported {
        let transaction = rusqlite::Transaction::new_unchecked(connection, TransactionBehavior::Immediate)?;
        // Another window may have migrated since we looked: read again under the write lock.
        version = user_version(&transaction)?;
        if version > supported {
            return Ok(Migrated::TooNew { found: version, supported });
        }
        if let Some(step) = steps.get(version as usize) {
            transaction.execute_batch(step)?;
            version += 1;
            transaction.pragma_update(None, "user_version", version)?;
        }
        transaction.commit()?;
    }
    Ok(Migrated::Upgraded { from, to: version })
}

pub fn user_version(connection: &Connection) -> rusqlite::Result<i64> {
    connection.pragma_query_value(None, "user_version", |row| row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP_TWO: &str = "ALTER TABLE images ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;";

    fn table_columns(connection: &Connection, table: &str) -> Vec<String> {
        let mut statement = connection.prepare(&format!("PRAGMA table_info({table})")).unwrap();
        statement.query_map([], |row| row.get(1)).unwrap().map(|c| c.unwrap()).collect()
    }

    #[test]
    fn a_new_database_gets_every_step_and_a_second_run_does_nothing() {
        let connection = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&connection, MIGRATIONS).unwrap(), Migrated::Upgraded { from: 0, to: 2 });
        assert_eq!(user_version(&connection).unwrap(), 2);
        assert!(table_columns(&connection, "images").contains(&"record_json".to_string()));
        assert_eq!(migrate(&connection, MIGRATIONS).unwrap(), Migrated::Upgraded { from: 2, to: 2 });
    }

    #[test]
    fn a_later_step_applies_on_top_of_an_existing_database() {
        let connection = Connection::open_in_memory().unwrap();
        migrate(&connection, &[schema::V1]).unwrap();
        let steps = [schema::V1, STEP_TWO];
        assert_eq!(migrate(&connection, &steps).unwrap(), Migrated::Upgraded { from: 1, to: 2 });
        assert!(table_columns(&connection, "images").contains(&"rating".to_string()));
    }

    #[test]
    fn a_failing_step_leaves_the_previous_version() {
        let connection = Connection::open_in_memory().unwrap();
        migrate(&connection, &[schema::V1]).unwrap();
        let broken = "ALTER TABLE images ADD COLUMN rating INTEGER; ALTER TABLE no_such_table ADD COLUMN x;";
        assert!(migrate(&connection, &[schema::V1, broken]).is_err());
        assert_eq!(user_version(&connection).unwrap(), 1);
        assert!(!table_columns(&connection, "images").contains(&"rating".to_string()));
    }

    #[test]
    fn a_newer_database_is_left_alone() {
        let connection = Connection::open_in_memory().unwrap();
        connection.pragma_update(None, "user_version", 7).unwrap();
        assert_eq!(migrate(&connection, MIGRATIONS).unwrap(), Migrated::TooNew { found: 7, supported: current_version() });
        assert!(table_columns(&connection, "images").is_empty());
    }
}
