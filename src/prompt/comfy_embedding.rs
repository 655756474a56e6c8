//! ComfyUI's `embedding:NAME` in a prompt (`comfy/sd1_clip.py`): the word after `embedding:` names an
//! embedding file directly. ComfyUI recognizes it at the start of a weighted segment or after a space
//! or newline, the name runs to the next whitespace, and a name not found is tried again without
//! trailing commas (the commas then stay as text).
//!
//! How Nurie maps it onto A1111's chunking: the `embedding:NAME` word becomes one embedding at that
//! point of the token stream, with the weight of the emphasis around it, and is chunked exactly like an
//! A1111 embedding (moved whole to the next chunk when it does not fit). The `embedding:` prefix adds
//! no tokens, as in ComfyUI (A1111 itself would read `embedding` and `:` as two words, then find NAME).
//! An unknown NAME stays text, as A1111 would read it.

const PREFIX: &str = "embedding:";

/// A piece of a part's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'t> {
    Text(&'t str),
    /// `embedding:NAME`: `name` is NAME, `source` the whole word.
    Reference {
        name: &'t str,
        source: &'t str,
    },
}

/// Splits `text` at its `embedding:NAME` words.
pub fn split_references(text: &str) -> Vec<Segment<'_>> {
    let mut segments = Vec::new();
    let mut text_start = 0;
    for (start, _) in text.match_indices(PREFIX) {
        if start < text_start || !starts_a_word(text, start) {
            continue;
        }
        let name_start = start + PREFIX.len();
        let name_end = text[name_start..].find(char::is_whitespace).map_or(text.len(), |end| name_start + end);
        if name_end == name_start {
            continue;
        }
        if start > text_start {
            segments.push(Segment::Text(&text[text_start..start]));
        }
        segments.push(Segment::Reference { name: &text[name_start..name_end], source: &text[start..name_end] });
        text_start = name_end;
    }
    if text_start < text.len() {
        segments.push(Segment::Text(&text[text_start..]));
    }
    segments
}

/// ComfyUI splits on `' embedding:'` and `'\n embedding:'`; a segment may also begin with one.
fn starts_a_word(text: &str, start: usize) -> bool {
    start == 0 || matches!(text.as_bytes()[start - 1], b' ' | b'\n')
}

/// The names to try for NAME, best first: as written, then without trailing commas. A folder part and
/// a file extension are dropped first (ComfyUI accepts `embedding:sub/name.pt`; Nurie's library knows
/// files by stem).
pub fn candidate_names(name: &str) -> [&str; 2] {
    [file_stem(name), file_stem(name.trim_end_matches(','))]
}

/// `sub/name.pt` → `name`.
fn file_stem(name: &str) -> &str {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    [".safetensors", ".pt", ".bin"]
        .iter()
        .find_map(|extension| strip_suffix_ignore_case(file, extension))
        .filter(|stem| !stem.is_empty())
        .unwrap_or(file)
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let split = text.len().checked_sub(suffix.len())?;
    let (head, tail) = (text.get(..split)?, text.get(split..)?);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_out_at_word_starts() {
        assert_eq!(
            split_references("a embedding:foo, b\nembedding:bar"),
            [
                Segment::Text("a "),
                Segment::Reference { name: "foo,", source: "embedding:foo," },
                Segment::Text(" b\n"),
                Segment::Reference { name: "bar", source: "embedding:bar" },
            ]
        );
        assert_eq!(split_references("embedding:x"), [Segment::Reference { name: "x", source: "embedding:x" }]);
        // Not at a word start, or no name: text.
        assert_eq!(split_references("myembedding:x"), [Segment::Text("myembedding:x")]);
        assert_eq!(split_references("embedding: x"), [Segment::Text("embedding: x")]);
        assert_eq!(split_references(""), []);
    }

    #[test]
    fn candidates_drop_folder_extension_and_commas() {
        assert_eq!(candidate_names("foo,,"), ["foo,,", "foo"]);
        assert_eq!(candidate_names("sub/dir\\Foo.PT"), ["Foo", "Foo"]);
        assert_eq!(candidate_names("x.safetensors"), ["x", "x"]);
        assert_eq!(candidate_names(".pt"), [".pt", ".pt"]);
        assert_eq!(candidate_names("foo.pt,"), ["foo.pt,", "foo"]);
    }
}
