//! Running a [`Query`]: one SQL `WHERE` clause built from fixed fragments, every user value bound as a
//! parameter; pages of rows for a virtualized grid ([`Library::search`]) and their total
//! ([`Library::count`]).

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::error::Result;
use super::fts::{TermCondition, TextColumn, term_condition};
use super::index::seed_to_sql;
use super::library::Library;
use super::query::{Query, Sort};
use super::rows::{ImageRow, ROW_COLUMNS};
use super::sampler_names::sampler_candidates;

impl Library {
    /// Rows `offset..offset + limit` of the images that match `query`, in its sort order.
    pub fn search(&self, query: &Query, offset: usize, limit: usize) -> Result<Vec<ImageRow>> {
        let mut filter = Filter::of(query);
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM images WHERE {} ORDER BY {} LIMIT ? OFFSET ?",
            filter.where_clause(),
            order_by(query.sort)
        );
        filter.values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        filter.values.push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
        let mut statement = self.connection().prepare_cached(&sql)?;
        let rows = statement.query_map(params_from_iter(filter.values), ImageRow::from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many images match `query`.
    pub fn count(&self, query: &Query) -> Result<usize> {
        let filter = Filter::of(query);
        let sql = format!("SELECT count(*) FROM images WHERE {}", filter.where_clause());
        let mut statement = self.connection().prepare_cached(&sql)?;
        let count: i64 = statement.query_row(params_from_iter(filter.values), |row| row.get(0))?;
        Ok(count.max(0) as usize)
    }
}

fn order_by(sort: Sort) -> &'static str {
    match sort {
        Sort::Newest => "images.created_at DESC, images.id DESC",
        Sort::Oldest => "images.created_at ASC, images.id ASC",
        Sort::Prompt => "images.prompt COLLATE NOCASE ASC, images.id ASC",
    }
}

/// SQL conditions (joined with `AND`) and the values of their `?` parameters, in order.
#[derive(Default)]
struct Filter {
    conditions: Vec<String>,
    values: Vec<Value>,
}

impl Filter {
    fn of(query: &Query) -> Filter {
        let mut filter = Filter::default();
        filter.text(query);
        filter.settings(query);
        filter.marks(query);
        filter
    }

    fn where_clause(&self) -> String {
        if self.conditions.is_empty() { "1".to_string() } else { self.conditions.join(" AND ") }
    }

    fn push(&mut self, condition: &str, values: impl IntoIterator<Item = Value>) {
        self.conditions.push(condition.to_string());
        self.values.extend(values);
    }

    /// All word terms go into one `MATCH`, all trigram terms into another.
    fn text(&mut self, query: &Query) {
        let prompt = query.words.iter().map(|w| (w, TextColumn::Prompt));
        let negative = query.negative_words.iter().map(|w| (w, TextColumn::NegativePrompt));
        let (mut words, mut trigrams) = (Vec::new(), Vec::new());
        for condition in prompt.chain(negative).filter_map(|(term, column)| term_condition(term, column)) {
            match condition {
                TermCondition::Words(expression) => words.push(expression),
                TermCondition::Trigrams(expression) => trigrams.push(expression),
                TermCondition::Substring { column, text } => {
                    let sql = format!("instr(images.{}, ?) > 0", column.name());
                    self.push(&sql, [Value::Text(text)]);
                }
            }
        }
        for (table, expressions) in [("images_words", words), ("images_trigrams", trigrams)] {
            if !expressions.is_empty() {
                let sql = format!("images.id IN (SELECT rowid FROM {table} WHERE {table} MATCH ?)");
                self.push(&sql, [Value::Text(expressions.join(" AND "))]);
            }
        }
    }

    fn settings(&mut self, query: &Query) {
        if let Some(model) = &query.model {
            self.model(model.trim());
        }
        if let Some(name) = &query.exact_model {
            self.push("images.model_name = ?", [Value::Text(name.clone())]);
        }
        if let Some(seed) = query.seed {
            self.push("images.seed = ?", [Value::Integer(seed_to_sql(seed))]);
        }
        if let Some(sampler) = &query.sampler {
            let names = sampler_candidates(sampler);
            let placeholders = vec!["?"; names.len()].join(", ");
            let sql = format!("lower(images.sampler) IN ({placeholders})");
            self.push(&sql, names.into_iter().map(Value::Text));
        }
        if let Some(with) = query.with_controlnet {
            self.push("images.has_controlnet = ?", [Value::Integer(i64::from(with))]);
        }
    }

    /// Part of the model's name, or the start of its AutoV2 hash or SHA-256.
    fn model(&mut self, model: &str) {
        let mut sql = "instr(lower(coalesce(images.model_name, '')), lower(?)) > 0".to_string();
        let mut values = vec![Value::Text(model.to_string())];
        if looks_like_hash_prefix(model) {
            sql = format!("({sql} OR substr(images.model_hash, 1, ?) = ? OR substr(images.model_sha256, 1, ?) = ?)");
            let (length, prefix) = (Value::Integer(model.len() as i64), Value::Text(model.to_ascii_lowercase()));
            values.extend([length.clone(), prefix.clone(), length, prefix]);
        }
        self.push(&sql, values);
    }

    fn marks(&mut self, query: &Query) {
        if query.favorites_only {
            self.push("images.favorite = 1", []);
        }
        for tag in &query.tags {
            let sql = "EXISTS (SELECT 1 FROM tags WHERE tags.image_id = images.id AND tags.tag = ?)";
            self.push(sql, [Value::Text(tag.trim().to_string())]);
        }
        if let Some(from) = query.created_from {
            self.push("images.created_at >= ?", [Value::Integer(from)]);
        }
        if let Some(before) = query.created_before {
            self.push("images.created_at < ?", [Value::Integer(before)]);
        }
        if let Some(folder) = &query.folder {
            self.push("images.folder = ?", [Value::Text(folder.to_string_lossy().into_owned())]);
        }
    }
}

/// Hashes are hex; a short or non-hex text is only a name.
fn looks_like_hash_prefix(text: &str) -> bool {
    text.len() >= 4 && text.chars().all(|c| c.is_ascii_hexdigit())
}
