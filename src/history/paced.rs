//! Long writes (an import, a re-scan, a rebuild) in short transactions, so that other writers get in
//! between: a window setting a favorite, `nurie generate` recording the picture it just saved, a
//! second import. One transaction holds at most [`MAX_ROWS`] changes and ends after about
//! [`MAX_TRANSACTION_TIME`] even short of them (a slow disk, long prompts in the text indexes), and
//! the next one starts no sooner than [`GAP_BETWEEN_TRANSACTIONS`] after it: a write lock taken back at
//! once would leave waiting writers only a window too short to find.

use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::error::Result;
use super::library::Library;

/// Changes written per transaction at most.
pub const MAX_ROWS: usize = 200;

/// A transaction ends once it has run this long (after the change at hand), so that another writer
/// waits about this long at most.
pub(super) const MAX_TRANSACTION_TIME: Duration = Duration::from_millis(200);

/// The least time the lock is left free between two transactions, several times the waiting writers'
/// poll interval ([`super::library`]'s `BUSY_POLL`) so that one of them gets its turn.
pub(super) const GAP_BETWEEN_TRANSACTIONS: Duration = Duration::from_millis(20);

/// Writes series of changes for one long job, pacing its transactions.
pub(super) struct PacedWriter<'a> {
    library: &'a Library,
    last_commit: Option<Instant>,
}

impl<'a> PacedWriter<'a> {
    pub fn new(library: &'a Library) -> Self {
        Self { library, last_commit: None }
    }

    /// Applies `apply` to each of `items`, in as many transactions as the limits ask for; each
    /// transaction is committed whole or not at all (what earlier ones wrote stays).
    pub fn write_all<T>(&mut self, items: &[T], mut apply: impl FnMut(&Connection, &T) -> Result<()>) -> Result<()> {
        let mut rest = items;
        while !rest.is_empty() {
            self.wait_for_gap();
            let done = self.library.write(|transaction| {
                let started = Instant::now();
                let mut done = 0;
                for item in rest.iter().take(MAX_ROWS) {
                    if done > 0 && started.elapsed() >= MAX_TRANSACTION_TIME {
                        break;
                    }
                    apply(transaction, item)?;
                    done += 1;
                }
                Ok(done)
            })?;
            self.last_commit = Some(Instant::now());
            rest = rest.get(done..).unwrap_or_default();
        }
        Ok(())
    }

    /// Sleeps until [`GAP_BETWEEN_TRANSACTIONS`] has passed since the last commit (at once when other
    /// work, such as reading files, took longer).
    fn wait_for_gap(&self) {
        if let Some(last) = self.last_commit {
            let since = last.elapsed();
            if since < GAP_BETWEEN_TRANSACTIONS {
                std::thread::sleep(GAP_BETWEEN_TRANSACTIONS - since);
            }
        }
    }
}
