//! Adding one image to the history: an upsert by path that keeps what the user set on the row (id,
//! favorite, tags, known line art / init image files) when the file is indexed again.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::entry::ImageEntry;
use super::error::{FileError, HistoryError, Result};
use super::file_facts::unix_now;
use super::library::Library;
use crate::metadata::{GenerationRecord, ReadLimits};

/// A row's id in the `images` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageId(pub i64);

/// What [`Library::add_image`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddedImage {
    pub id: ImageId,
    /// `false`: the path was already in the history and its row was refreshed.
    pub new: bool,
}

impl Library {
    /// Adds `entry`, or refreshes the row of its path.
    pub fn add_image(&self, entry: &ImageEntry) -> Result<AddedImage> {
        self.write(|transaction| upsert(transaction, entry))
    }

    /// Reads the PNG at `path` and adds it, as part of the import root `folder`.
    pub fn index_file(&self, path: &Path, folder: &Path) -> Result<AddedImage> {
        let entry = ImageEntry::read(path, folder, &ReadLimits::default())?;
        self.add_image(&entry)
    }
}

const UPSERT: &str = "
INSERT INTO images (path, folder, file_size, modified_ns, created_at, width, height, source, prompt,
    negative_prompt, seed, sampler, steps, cfg_scale, model_name, model_hash, model_sha256, vae_name,
    has_controlnet, record_json, warnings, line_art_path, init_image_path, indexed_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)
ON CONFLICT (path) DO UPDATE SET
    file_size = excluded.file_size, modified_ns = excluded.modified_ns, created_at = excluded.created_at,
    width = excluded.width, height = excluded.height, source = excluded.source, prompt = excluded.prompt,
    negative_prompt = excluded.negative_prompt, seed = excluded.seed, sampler = excluded.sampler,
    steps = excluded.steps, cfg_scale = excluded.cfg_scale, model_name = excluded.model_name,
    model_hash = excluded.model_hash, model_sha256 = excluded.model_sha256, vae_name = excluded.vae_name,
    has_controlnet = excluded.has_controlnet, record_json = excluded.record_json, warnings = excluded.warnings,
    line_art_path = COALESCE(excluded.line_art_path, images.line_art_path),
    init_image_path = COALESCE(excluded.init_image_path, images.init_image_path),
    indexed_at = excluded.indexed_at
RETURNING id";

/// Writes one entry inside the caller's transaction (imports write many per transaction).
pub(super) fn upsert(connection: &Connection, entry: &ImageEntry) -> Result<AddedImage> {
    let path = stored_path(&entry.path)?;
    let folder = stored_path(&entry.folder)?;
    register_folder(connection, &folder)?;
    let existing: Option<i64> =
        connection.prepare_cached("SELECT id FROM images WHERE path = ?1")?.query_row([&path], |row| row.get(0)).optional()?;
    let settings = SettingsColumns::of(entry.record());
    let id: i64 = connection.prepare_cached(UPSERT)?.query_row(
        params![
            path,
            folder,
            i64::try_from(entry.facts.size).unwrap_or(i64::MAX),
            entry.facts.modified_ns,
            entry.facts.modified_seconds(),
            entry.width,
            entry.height,
            entry.source().as_str(),
            settings.prompt,
            settings.negative_prompt,
            settings.seed,
            settings.sampler,
            settings.steps,
            settings.cfg_scale,
            settings.model_name,
            settings.model_hash,
            settings.model_sha256,
            settings.vae_name,
            settings.has_controlnet,
            settings.record_json,
            entry.all_warnings().join("\n"),
            optional_stored_path(entry.line_art_path.as_deref())?,
            optional_stored_path(entry.init_image_path.as_deref())?,
            unix_now(),
        ],
        |row| row.get(0),
    )?;
    Ok(AddedImage { id: ImageId(id), new: existing.is_none() })
}

/// Makes `folder` a known import root (no-op when it is one).
pub(super) fn register_folder(connection: &Connection, folder: &str) -> Result<()> {
    let sql = "INSERT INTO folders (path, added_at) VALUES (?1, ?2) ON CONFLICT (path) DO NOTHING";
    connection.prepare_cached(sql)?.execute(params![folder, unix_now()])?;
    Ok(())
}

/// A path as the history stores it: absolute (without resolving links), UTF-8.
pub(super) fn stored_path(path: &Path) -> Result<String> {
    let absolute = std::path::absolute(path).map_err(|source| FileError::Io { path: path.to_path_buf(), source })?;
    match absolute.into_os_string().into_string() {
        Ok(text) => Ok(text),
        Err(_) => Err(HistoryError::NonUtf8Path { path: path.to_path_buf() }),
    }
}

fn optional_stored_path(path: Option<&Path>) -> Result<Option<String>> {
    path.map(stored_path).transpose()
}

/// A seed as SQLite stores it: the same 64 bits, read as signed (`u64::MAX` is stored as −1).
pub(super) fn seed_to_sql(seed: u64) -> i64 {
    seed as i64
}

pub(super) fn seed_from_sql(stored: i64) -> u64 {
    stored as u64
}

/// The columns taken from the settings (all empty or `NULL` for an image without settings).
#[derive(Default)]
struct SettingsColumns {
    prompt: String,
    negative_prompt: String,
    seed: Option<i64>,
    sampler: Option<String>,
    steps: Option<u32>,
    cfg_scale: Option<f64>,
    model_name: Option<String>,
    model_hash: Option<String>,
    model_sha256: Option<String>,
    vae_name: Option<String>,
    has_controlnet: bool,
    record_json: Option<String>,
}

impl SettingsColumns {
    fn of(record: Option<&GenerationRecord>) -> SettingsColumns {
        let Some(record) = record else { return SettingsColumns::default() };
        let model = &record.model;
        SettingsColumns {
            prompt: record.settings.prompt.clone(),
            negative_prompt: record.settings.negative_prompt.clone(),
            seed: Some(seed_to_sql(record.settings.seed)),
            sampler: Some(sampler_label(record)),
            steps: Some(record.settings.steps),
            cfg_scale: Some(record.settings.cfg_scale),
            model_name: (!model.display_name().is_empty()).then(|| model.display_name().to_string()),
            model_hash: model.a1111_hash().map(|hash| hash.to_ascii_lowercase()),
            model_sha256: model.sha256.as_ref().map(|hash| hash.to_ascii_lowercase()),
            vae_name: record.vae.as_ref().map(|vae| vae.display_name().to_string()),
            has_controlnet: !record.controlnets.is_empty(),
            // Plain data always serializes; were it ever to fail, the row keeps its columns only.
            record_json: serde_json::to_string(record).ok(),
        }
    }
}

/// The sampler as the user knows it: Nurie's id, or another tool's sampler by the name it wrote.
/// (Records read by Nurie 0.1 kept another tool's sampler name among their extras.)
fn sampler_label(record: &GenerationRecord) -> String {
    record.extra.get("Sampler").unwrap_or(record.settings.sampler.stored_name()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_keep_all_64_bits() {
        for seed in [0, 1, 1944526060, i64::MAX as u64, u64::MAX] {
            assert_eq!(seed_from_sql(seed_to_sql(seed)), seed);
        }
        assert_eq!(seed_to_sql(u64::MAX), -1);
    }

    #[test]
    fn an_unsupported_a1111_sampler_is_indexed_under_its_own_name() {
        let mut record = GenerationRecord::default();
        assert_eq!(sampler_label(&record), "dpmpp_2m_karras");
        record.extra.insert("Sampler", "DPM adaptive");
        assert_eq!(sampler_label(&record), "DPM adaptive");
    }
}
