//! What the history can be narrowed by, for the view's side bar: its import folders, its tags and its
//! models, each with how many pictures it has.

use super::error::Result;
use super::folders::FolderInfo;
use super::library::Library;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    pub folders: Vec<FolderInfo>,
    /// Tag and picture count, alphabetically.
    pub tags: Vec<(String, usize)>,
    /// Model name and picture count, most used first.
    pub models: Vec<(String, usize)>,
}

impl Library {
    pub fn facets(&self) -> Result<Facets> {
        Ok(Facets { folders: self.folders()?, tags: self.all_tags()?, models: self.models()? })
    }

    /// Every model name pictures were made with and how many, most used first.
    pub fn models(&self) -> Result<Vec<(String, usize)>> {
        let sql = "SELECT model_name, count(*) AS n FROM images WHERE coalesce(model_name, '') != ''
                   GROUP BY model_name ORDER BY n DESC, model_name";
        let mut statement = self.connection().prepare_cached(sql)?;
        let models = statement.query_map([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)?.max(0) as usize)))?;
        Ok(models.collect::<rusqlite::Result<_>>()?)
    }
}
