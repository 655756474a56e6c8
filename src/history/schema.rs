//! The history database's tables, as SQL migration steps (see [`super::migrations`]).
//!
//! * `folders`: the import roots (Nurie's output folder, an A1111/ComfyUI/InvokeAI folder…).
//! * `images`: one row per PNG, with the settings a grid, filters and search need in columns and the
//!   whole [`GenerationRecord`](crate::metadata::GenerationRecord) as JSON in `record_json`. Seeds are
//!   64-bit unsigned (ComfyUI allows up to 2^64 − 1) and stored bit for bit in SQLite's signed INTEGER.
//! * `tags`: the user's tags; they and the favorite flag are the only data not found in the PNGs.
//! * Two FTS5 indexes over `prompt` and `negative_prompt`, kept in sync with `images` by triggers
//!   (external content: the text is stored once, in `images`):
//!   - `images_words`, `unicode61` with diacritics removed: word and prefix search for languages
//!     that separate words with spaces (`water` finds `watercolor`, `cafe` finds `café`);
//!   - `images_trigrams`, `trigram`: substring search for Japanese, Chinese and Korean, which
//!     `unicode61` cannot split (it keeps `線画に色を塗る` as one token, so `色を塗る` would never match).
//!     A trigram index alone would not do: it cannot match terms shorter than three characters and
//!     has no notion of words (`cat` would find `concatenate`); see [`super::fts`] for how a query
//!     picks its index.

/// Version 1: the tables above.
pub const V1: &str = r#"
CREATE TABLE folders (
    path TEXT PRIMARY KEY NOT NULL,
    added_at INTEGER NOT NULL,
    last_scan_at INTEGER
);

CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    folder TEXT NOT NULL REFERENCES folders(path) ON DELETE CASCADE,
    file_size INTEGER NOT NULL,
    modified_ns INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('nurie', 'a1111', 'comfyui', 'invokeai', 'none')),
    prompt TEXT NOT NULL DEFAULT '',
    negative_prompt TEXT NOT NULL DEFAULT '',
    seed INTEGER,
    sampler TEXT,
    steps INTEGER,
    cfg_scale REAL,
    model_name TEXT,
    model_hash TEXT,
    model_sha256 TEXT,
    vae_name TEXT,
    has_controlnet INTEGER NOT NULL DEFAULT 0,
    favorite INTEGER NOT NULL DEFAULT 0,
    record_json TEXT,
    warnings TEXT NOT NULL DEFAULT '',
    line_art_path TEXT,
    init_image_path TEXT,
    indexed_at INTEGER NOT NULL
);
CREATE INDEX images_by_folder ON images(folder);
CREATE INDEX images_by_created ON images(created_at, id);
CREATE INDEX images_by_seed ON images(seed);
CREATE INDEX images_favorites ON images(created_at) WHERE favorite = 1;

CREATE TABLE tags (
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    tag TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (image_id, tag)
) WITHOUT ROWID;
CREATE INDEX tags_by_tag ON tags(tag);

CREATE VIRTUAL TABLE images_words USING fts5(
    prompt, negative_prompt, content = 'images', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE images_trigrams USING fts5(
    prompt, negative_prompt, content = 'images', content_rowid = 'id',
    tokenize = 'trigram remove_diacritics 1'
);

CREATE TRIGGER images_text_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_words(rowid, prompt, negative_prompt) VALUES (new.id, new.prompt, new.negative_prompt);
    INSERT INTO images_trigrams(rowid, prompt, negative_prompt) VALUES (new.id, new.prompt, new.negative_prompt);
END;
CREATE TRIGGER images_text_delete AFTER DELETE ON images BEGIN
    INSERT INTO images_words(images_words, rowid, prompt, negative_prompt)
        VALUES ('delete', old.id, old.prompt, old.negative_prompt);
    INSERT INTO images_trigrams(images_trigrams, rowid, prompt, negative_prompt)
        VALUES ('delete', old.id, old.prompt, old.negative_prompt);
END;
CREATE TRIGGER images_text_update AFTER UPDATE OF prompt, negative_prompt ON images BEGIN
    INSERT INTO images_words(images_words, rowid, prompt, negative_prompt)
        VALUES ('delete', old.id, old.prompt, old.negative_prompt);
    INSERT INTO images_trigrams(images_trigrams, rowid, prompt, negative_prompt)
        VALUES ('delete', old.id, old.prompt, old.negative_prompt);
    INSERT INTO images_words(rowid, prompt, negative_prompt) VALUES (new.id, new.prompt, new.negative_prompt);
    INSERT INTO images_trigrams(rowid, prompt, negative_prompt) VALUES (new.id, new.prompt, new.negative_prompt);
END;
"#;

/// Rebuilds both full-text indexes from `images` (repairs any drift; run by a full rebuild).
pub const REBUILD_TEXT_INDEXES: &str = "
INSERT INTO images_words(images_words) VALUES ('rebuild');
INSERT INTO images_trigrams(images_trigrams) VALUES ('rebuild');
";

/// Fails when a full-text index disagrees with `images` (used by tests).
#[cfg(test)]
pub const CHECK_TEXT_INDEXES: &str = "
INSERT INTO images_words(images_words, rank) VALUES ('integrity-check', 1);
INSERT INTO images_trigrams(images_trigrams, rank) VALUES ('integrity-check', 1);
";

/// Version 2: pictures found by the drawing they color ("every coloring of this drawing"): the line art
/// Nurie keeps is named by its content hash, so one drawing has one `line_art_path`.
pub const V2: &str = "CREATE INDEX images_by_line_art ON images(line_art_path) WHERE line_art_path IS NOT NULL;";
