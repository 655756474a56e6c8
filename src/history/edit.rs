//! What the user changes on images: the favorite flag, tags, forgetting an image (deleting the
//! file itself, to the OS trash, is the app's job; it then calls [`Library::remove_path`]), and an
//! image moved by the app (a chapter page's earlier picture set aside, [`Library::move_path`]).

use std::path::Path;

use rusqlite::params;

use super::error::{HistoryError, Result};
use super::index::{ImageId, stored_path};
use super::library::Library;

impl Library {
    pub fn set_favorite(&self, id: ImageId, favorite: bool) -> Result<()> {
        self.write(|transaction| {
            let changed = transaction.execute("UPDATE images SET favorite = ?2 WHERE id = ?1", params![id.0, favorite])?;
            if changed == 0 { Err(HistoryError::NoSuchImage(id.0)) } else { Ok(()) }
        })
    }

    /// Adds `tag` (trimmed; tags differing only in ASCII case are the same tag). Adding a tag the
    /// image has is not an error.
    pub fn add_tag(&self, id: ImageId, tag: &str) -> Result<()> {
        let tag = tag.trim();
        if tag.is_empty() {
            return Err(HistoryError::EmptyTag);
        }
        self.write(|transaction| {
            let exists: bool =
                transaction.query_row("SELECT count(*) > 0 FROM images WHERE id = ?1", [id.0], |row| row.get(0))?;
            if !exists {
                return Err(HistoryError::NoSuchImage(id.0));
            }
            let sql = "INSERT INTO tags (image_id, tag) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
            transaction.execute(sql, params![id.0, tag])?;
            Ok(())
        })
    }

    /// Removes `tag`; returns whether the image had it.
    pub fn remove_tag(&self, id: ImageId, tag: &str) -> Result<bool> {
        self.write(|transaction| {
            let sql = "DELETE FROM tags WHERE image_id = ?1 AND tag = ?2";
            Ok(transaction.execute(sql, params![id.0, tag.trim()])? > 0)
        })
    }

    /// The image's tags, alphabetically.
    pub fn tags(&self, id: ImageId) -> Result<Vec<String>> {
        let sql = "SELECT tag FROM tags WHERE image_id = ?1 ORDER BY tag";
        let mut statement = self.connection().prepare_cached(sql)?;
        let tags = statement.query_map([id.0], |row| row.get(0))?;
        Ok(tags.collect::<rusqlite::Result<_>>()?)
    }

    /// Every tag in use with how many images have it, alphabetically (for the tag filter).
    pub fn all_tags(&self) -> Result<Vec<(String, usize)>> {
        let sql = "SELECT tag, count(*) FROM tags GROUP BY tag ORDER BY tag";
        let mut statement = self.connection().prepare_cached(sql)?;
        let tags = statement.query_map([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)?.max(0) as usize)))?;
        Ok(tags.collect::<rusqlite::Result<_>>()?)
    }

    /// Forgets the image at `path` (after the app deleted it); returns whether the history had it.
    pub fn remove_path(&self, path: &Path) -> Result<bool> {
        let path = stored_path(path)?;
        self.write(|transaction| Ok(transaction.execute("DELETE FROM images WHERE path = ?1", [&path])? > 0))
    }

    /// The image at `from` is now at `to` (same folder root, same file): its record, tags and favorite
    /// flag follow it. Returns whether the history had it.
    pub fn move_path(&self, from: &Path, to: &Path) -> Result<bool> {
        let (from, to) = (stored_path(from)?, stored_path(to)?);
        self.write(|transaction| Ok(transaction.execute("UPDATE images SET path = ?2 WHERE path = ?1", [&from, &to])? > 0))
    }
}
