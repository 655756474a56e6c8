//! What the history view gets back: [`ImageRow`] for the grid, [`ImageDetails`] for the detail pane.

use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, Row};

use super::error::{HistoryError, Result};
use super::index::{ImageId, seed_from_sql, stored_path};
use super::library::Library;
use super::source::ImageSource;
use crate::metadata::GenerationRecord;

/// One image, as a grid cell and its tooltip show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRow {
    pub id: ImageId,
    pub path: PathBuf,
    pub width: u32,
    pub height: u32,
    pub prompt: String,
    pub seed: Option<u64>,
    pub model_name: Option<String>,
    pub sampler: Option<String>,
    pub favorite: bool,
    /// Unix seconds.
    pub created_at: i64,
    pub has_controlnet: bool,
    pub source: ImageSource,
}

/// The columns [`ImageRow::from_row`] reads, in order.
pub(super) const ROW_COLUMNS: &str = "images.id, images.path, images.width, images.height, images.prompt, \
     images.seed, images.model_name, images.sampler, images.favorite, images.created_at, \
     images.has_controlnet, images.source";

impl ImageRow {
    pub(super) fn from_row(row: &Row) -> rusqlite::Result<ImageRow> {
        let source: String = row.get(11)?;
        Ok(ImageRow {
            id: ImageId(row.get(0)?),
            path: PathBuf::from(row.get::<_, String>(1)?),
            width: row.get(2)?,
            height: row.get(3)?,
            prompt: row.get(4)?,
            seed: row.get::<_, Option<i64>>(5)?.map(seed_from_sql),
            model_name: row.get(6)?,
            sampler: row.get(7)?,
            favorite: row.get(8)?,
            created_at: row.get(9)?,
            has_controlnet: row.get(10)?,
            source: ImageSource::from_stored(&source).unwrap_or(ImageSource::None),
        })
    }
}

/// Everything the history knows about one image.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageDetails {
    pub row: ImageRow,
    pub folder: PathBuf,
    pub file_size: u64,
    pub negative_prompt: String,
    pub model_hash: Option<String>,
    /// Every setting, when the image has any.
    pub record: Option<GenerationRecord>,
    /// What could not be read exactly from the file.
    pub warnings: Vec<String>,
    pub tags: Vec<String>,
    pub line_art_path: Option<PathBuf>,
    pub init_image_path: Option<PathBuf>,
    /// The other pictures made from the same drawing, newest first (at most [`SAME_DRAWING_LIMIT`]).
    pub same_drawing: Vec<ImageRow>,
}

/// How many other colorings of a drawing the details list.
pub const SAME_DRAWING_LIMIT: usize = 200;

impl Library {
    /// The row of the image at `path`, if the history has it.
    pub fn image_at(&self, path: &Path) -> Result<Option<ImageRow>> {
        let sql = format!("SELECT {ROW_COLUMNS} FROM images WHERE path = ?1");
        let mut statement = self.connection().prepare_cached(&sql)?;
        Ok(statement.query_row([stored_path(path)?], ImageRow::from_row).optional()?)
    }

    /// The full settings of image `id` (`None`: a picture without settings).
    pub fn record(&self, id: ImageId) -> Result<Option<GenerationRecord>> {
        let sql = "SELECT record_json FROM images WHERE id = ?1";
        let json: Option<Option<String>> = self.connection().query_row(sql, [id.0], |row| row.get(0)).optional()?;
        let json = json.ok_or(HistoryError::NoSuchImage(id.0))?;
        json.map(|json| serde_json::from_str(&json).map_err(|source| HistoryError::StoredRecord { id: id.0, source })).transpose()
    }

    pub fn details(&self, id: ImageId) -> Result<ImageDetails> {
        let sql = format!(
            "SELECT {ROW_COLUMNS}, folder, file_size, negative_prompt, model_hash, warnings, line_art_path, \
             init_image_path FROM images WHERE id = ?1"
        );
        let details = self
            .connection()
            .query_row(&sql, [id.0], |row| {
                let warnings: String = row.get(16)?;
                Ok(ImageDetails {
                    row: ImageRow::from_row(row)?,
                    folder: PathBuf::from(row.get::<_, String>(12)?),
                    file_size: row.get::<_, i64>(13)?.max(0) as u64,
                    negative_prompt: row.get(14)?,
                    model_hash: row.get(15)?,
                    record: None,
                    warnings: warnings.lines().map(str::to_string).collect(),
                    tags: Vec::new(),
                    line_art_path: row.get::<_, Option<String>>(17)?.map(PathBuf::from),
                    init_image_path: row.get::<_, Option<String>>(18)?.map(PathBuf::from),
                    same_drawing: Vec::new(),
                })
            })
            .optional()?
            .ok_or(HistoryError::NoSuchImage(id.0))?;
        let same_drawing = match &details.line_art_path {
            Some(line_art) => self.colorings_of(line_art, Some(id))?,
            None => Vec::new(),
        };
        Ok(ImageDetails { record: self.record(id)?, tags: self.tags(id)?, same_drawing, ..details })
    }

    /// The pictures made from the drawing kept at `line_art` (but `except`), newest first.
    pub fn colorings_of(&self, line_art: &Path, except: Option<ImageId>) -> Result<Vec<ImageRow>> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM images WHERE line_art_path = ?1 AND id != ?2 ORDER BY created_at DESC, id DESC LIMIT ?3"
        );
        let mut statement = self.connection().prepare_cached(&sql)?;
        let except = except.map_or(-1, |id| id.0);
        let rows = statement
            .query_map(rusqlite::params![stored_path(line_art)?, except, SAME_DRAWING_LIMIT as i64], ImageRow::from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
