//! `nurie eval --embeddings-dir DIR`: textual-inversion embeddings in `te.input_ids` rows. The rows are
//! plain CLIP ids of a one-chunk prompt (BOS, tokens, EOS padding); wherever the tokens of an
//! embedding's name appear, A1111 puts one placeholder per vector and the vectors in their places —
//! the same as `tokenize_line` does inside one chunk — and the row is padded again to 77.

use std::sync::Arc;

use anyhow::Context;

use crate::model::clip::TokenFix;
use crate::networks::embedding::{Embedding, EmbeddingLibrary};
use crate::prompt::ClipTokenizer;
use crate::prompt::chunks::{BOS, EOS};
use crate::prompt::embedding_index::EmbeddingIndex;
use crate::prompt::tokenizer::CONTEXT_LENGTH;

/// A row with its embeddings in place: ids, and (position, embedding) of each.
pub struct EmbeddedRow {
    pub ids: Vec<u32>,
    pub fixes: Vec<(usize, Arc<Embedding>)>,
}

impl EmbeddedRow {
    pub fn token_fixes(&self) -> Vec<TokenFix<'_>> {
        self.fixes.iter().map(|(position, embedding)| TokenFix { position: *position, vectors: embedding.values() }).collect()
    }
}

/// Every row of `ids` ([n, 77] row-major) with the embeddings of `library` found in its tokens.
pub fn embed_rows(ids: &[u32], library: &EmbeddingLibrary, width: usize) -> anyhow::Result<Vec<EmbeddedRow>> {
    let tokenizer = ClipTokenizer::shared().context("loading the CLIP tokenizer")?;
    let index = EmbeddingIndex::new(library.names(), &mut |name| tokenizer.ids(name));
    ids.chunks(CONTEXT_LENGTH).map(|row| embed_row(row, &index, library, width)).collect()
}

fn embed_row(row: &[u32], index: &EmbeddingIndex, library: &EmbeddingLibrary, width: usize) -> anyhow::Result<EmbeddedRow> {
    let end = row.iter().skip(1).position(|&id| id == EOS).map_or(row.len(), |i| i + 1);
    let tokens = &row[1.min(end)..end];
    let (mut ids, mut fixes) = (vec![BOS], Vec::new());
    let mut position = 0;
    while position < tokens.len() {
        let Some((name, length)) = index.find_at(tokens, position) else {
            ids.push(tokens[position]);
            position += 1;
            continue;
        };
        let embedding = library.get(name, Some(width))?.with_context(|| format!("the embedding `{name}`"))?;
        fixes.push((ids.len(), Arc::clone(&embedding)));
        ids.extend(std::iter::repeat_n(0, embedding.count()));
        position += length;
    }
    anyhow::ensure!(ids.len() < CONTEXT_LENGTH, "a te.input_ids row does not fit one chunk with its embeddings' vectors");
    ids.resize(CONTEXT_LENGTH, EOS);
    Ok(EmbeddedRow { ids, fixes })
}
