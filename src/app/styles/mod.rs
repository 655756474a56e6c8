//! A1111's saved styles (`styles.csv` in the webui folder): a name, a prompt and a negative prompt,
//! applied to the user's prompts as A1111's `apply_styles_to_prompt` applies them. Users who keep
//! their favourite looks there find them in the prompt's Styles menu.

mod csv;
mod files;

pub use files::{read_styles, style_files};

/// One row of `styles.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptStyle {
    pub name: String,
    pub prompt: String,
    pub negative_prompt: String,
}

impl PromptStyle {
    /// The prompt and negative prompt with this style applied.
    pub fn apply(&self, prompt: &str, negative_prompt: &str) -> (String, String) {
        (merge_prompts(&self.prompt, prompt), merge_prompts(&self.negative_prompt, negative_prompt))
    }
}

/// A1111's `merge_prompts`: `{prompt}` in the style is replaced by the user's prompt; otherwise the
/// style follows the prompt after `", "` (each stripped, an empty one left out).
pub fn merge_prompts(style: &str, prompt: &str) -> String {
    if style.contains("{prompt}") {
        return style.replace("{prompt}", prompt);
    }
    [prompt.trim(), style.trim()].into_iter().filter(|part| !part.is_empty()).collect::<Vec<_>>().join(", ")
}

/// The styles of a `styles.csv` text, as A1111's `load_from_csv` reads it: columns by header name
/// (`prompt`, or the old `text`), rows without a name or whose name starts with `#` skipped.
pub fn parse_styles(text: &str) -> Vec<PromptStyle> {
    let mut rows = csv::records(text.strip_prefix('\u{feff}').unwrap_or(text)).into_iter();
    let Some(header) = rows.next() else { return Vec::new() };
    let column = |names: &[&str]| names.iter().find_map(|name| header.iter().position(|h| h == name));
    let (Some(name), prompt, negative) = (column(&["name"]), column(&["prompt", "text"]), column(&["negative_prompt"])) else {
        return Vec::new();
    };
    let field = |row: &[String], index: Option<usize>| index.and_then(|i| row.get(i)).cloned().unwrap_or_default();
    rows.filter(|row| row.get(name).is_some_and(|n| !n.is_empty() && !n.starts_with('#')))
        .map(|row| PromptStyle {
            name: field(&row, Some(name)),
            prompt: field(&row, prompt),
            negative_prompt: field(&row, negative),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(prompt: &str, negative_prompt: &str) -> PromptStyle {
        PromptStyle { name: "s".into(), prompt: prompt.into(), negative_prompt: negative_prompt.into() }
    }

    #[test]
    fn a_style_is_appended_with_a_comma_or_takes_the_prompt_in() {
        let watercolor = style("watercolor, soft light", "lowres");
        assert_eq!(watercolor.apply("1girl, smile ", ""), ("1girl, smile, watercolor, soft light".into(), "lowres".into()));
        let framed = style("masterpiece, {prompt}, detailed", "{prompt}, bad hands");
        assert_eq!(framed.apply("1girl", "lowres"), ("masterpiece, 1girl, detailed".into(), "lowres, bad hands".into()));
        assert_eq!(style("", "").apply(" cat ", " dog"), ("cat".into(), "dog".into()), "empty parts are left out");
    }

    #[test]
    fn styles_csv_is_read_as_a1111_reads_it() {
        let text = "\u{feff}name,prompt,negative_prompt\n\
                    Watercolor,\"watercolor, {prompt}\",lowres\n\
                    # old,ignored,\n\
                    \n\
                    \"Ink, \"\"bold\"\"\", \"ink lines,\nthick\",\r\n\
                    Short,flat\n";
        let styles = parse_styles(text);
        let names: Vec<&str> = styles.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Watercolor", "Ink, \"bold\"", "Short"]);
        assert_eq!(styles[0].prompt, "watercolor, {prompt}");
        assert_eq!(styles[1].prompt, "ink lines,\nthick", "a quoted field holds commas and newlines");
        assert_eq!((styles[2].prompt.as_str(), styles[2].negative_prompt.as_str()), ("flat", ""));
    }

    #[test]
    fn the_old_two_column_format_and_a_headerless_file() {
        let old = parse_styles("name,text\nSketch,pencil sketch\n");
        assert_eq!(old, [PromptStyle { name: "Sketch".into(), prompt: "pencil sketch".into(), negative_prompt: String::new() }]);
        assert!(parse_styles("a,b\nc,d\n").is_empty());
        assert!(parse_styles("").is_empty());
    }
}
