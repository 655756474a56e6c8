//! Putting a network's tag or name into a prompt where the user's cursor was, as A1111's extra-network
//! cards do (they separate it with a space, `extra_networks_add_text_separator`), and taking it out
//! again when its card is clicked a second time.

/// `text` with `snippet` at character position `at` (clamped to the end), a space put between it and
/// any word it would touch; and the character position just after the snippet.
pub fn insert_at(text: &str, at: usize, snippet: &str) -> (String, usize) {
    let chars: Vec<char> = text.chars().collect();
    let at = at.min(chars.len());
    let space_before = at > 0 && !chars[at - 1].is_whitespace();
    let space_after = chars.get(at).is_some_and(|c| !c.is_whitespace());
    let mut inserted = String::new();
    if space_before {
        inserted.push(' ');
    }
    inserted.push_str(snippet);
    let cursor = at + inserted.chars().count();
    if space_after {
        inserted.push(' ');
    }
    let result = chars[..at].iter().copied().chain(inserted.chars()).chain(chars[at..].iter().copied()).collect();
    (result, cursor)
}

/// `text` without its `<lora:NAME…>` and `<lyco:NAME…>` tags for `name` (and the space each leaves),
/// or `None` when it has none: A1111's cards remove their tag when it is in the prompt already.
pub fn remove_lora_tags(text: &str, name: &str) -> Option<String> {
    let parsed = crate::prompt::extra_networks::parse_prompt(text);
    let spans: Vec<_> = parsed
        .tags
        .iter()
        .filter(|tag| tag.network_kind() == crate::prompt::extra_networks::NetworkKind::Lora)
        .filter(|tag| tag.args.first().is_some_and(|first| first == name))
        .map(|tag| tag.span.clone())
        .collect();
    if spans.is_empty() {
        return None;
    }
    let mut result = String::with_capacity(text.len());
    let mut cursor = 0;
    for span in spans {
        result.push_str(&text[cursor..span.start]);
        cursor = span.end;
        // One separating space goes with the tag.
        if text[cursor..].starts_with(' ') && (result.is_empty() || result.ends_with(char::is_whitespace)) {
            cursor += 1;
        } else if text[cursor..].is_empty() && result.ends_with(' ') {
            result.pop();
        }
    }
    result.push_str(&text[cursor..]);
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_goes_where_the_cursor_was_with_spaces_around_it() {
        assert_eq!(insert_at("", 0, "<lora:a:1>"), ("<lora:a:1>".into(), 10));
        assert_eq!(insert_at("1girl, smile", 12, "<lora:a:1>"), ("1girl, smile <lora:a:1>".into(), 23));
        assert_eq!(insert_at("1girl, smile", 6, "<lora:a:1>"), ("1girl, <lora:a:1> smile".into(), 17));
        assert_eq!(insert_at("1girl,smile", 6, "x"), ("1girl, x smile".into(), 8));
        assert_eq!(insert_at("cat", 99, "x"), ("cat x".into(), 5), "past the end means the end");
    }

    #[test]
    fn positions_are_characters() {
        assert_eq!(insert_at("青い空、", 4, "sksdog"), ("青い空、 sksdog".into(), 11));
    }

    #[test]
    fn a_second_click_takes_the_tag_out_again() {
        assert_eq!(remove_lora_tags("1girl, smile <lora:a:1>", "a").as_deref(), Some("1girl, smile"));
        assert_eq!(remove_lora_tags("1girl, <lora:a:0.6> smile", "a").as_deref(), Some("1girl, smile"));
        assert_eq!(remove_lora_tags("<lora:a:1> cat", "a").as_deref(), Some("cat"));
        assert_eq!(remove_lora_tags("<lora:ab:1> cat", "a"), None);
        assert_eq!(remove_lora_tags("<hypernet:a:1> cat", "a"), None);
    }
}
