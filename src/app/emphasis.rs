//! A1111's Ctrl+↑/↓ on a prompt selection (its `edit-attention.js`): the selected words become
//! `(words:1.1)`, and pressing again steps the weight by 0.1; reaching 1.0 unwraps them. With no
//! selection the word under the cursor is used. Positions are in characters, not bytes, so Japanese
//! prompts work the same.

use std::ops::Range;

/// Characters that end a word when the selection is empty.
const WORD_DELIMITERS: &[char] = &[' ', '\t', '\n', ',', '(', ')', '[', ']', '<', '>', ':', '、', '，', '　'];

/// The text and the new selection after changing the selected words' weight by `delta`, or `None` when
/// there is nothing to weight.
pub fn adjust_weight(text: &str, selection: Range<usize>, delta: f64) -> Option<(String, Range<usize>)> {
    let chars: Vec<char> = text.chars().collect();
    let selection = word_at(&chars, selection)?;
    match existing_weight(&chars, &selection) {
        Some((weight, number)) => Some(reweight(&chars, selection, number, weight + delta)),
        None => Some(wrap(&chars, selection, 1.0 + delta)),
    }
}

/// The selection, or when empty the word around the cursor; trimmed of surrounding spaces.
fn word_at(chars: &[char], selection: Range<usize>) -> Option<Range<usize>> {
    let (mut start, mut end) = (selection.start.min(chars.len()), selection.end.min(chars.len()));
    if start == end {
        while start > 0 && !WORD_DELIMITERS.contains(&chars[start - 1]) {
            start -= 1;
        }
        while end < chars.len() && !WORD_DELIMITERS.contains(&chars[end]) {
            end += 1;
        }
    }
    while start < end && chars[start].is_whitespace() {
        start += 1;
    }
    while end > start && chars[end - 1].is_whitespace() {
        end -= 1;
    }
    (start < end).then_some(start..end)
}

/// When the selection is the inside of `(words:w)`, its weight and the range of the number.
fn existing_weight(chars: &[char], selection: &Range<usize>) -> Option<(f64, Range<usize>)> {
    if selection.start == 0 || chars[selection.start - 1] != '(' || chars.get(selection.end) != Some(&':') {
        return None;
    }
    let number_start = selection.end + 1;
    let close = (number_start..chars.len()).find(|&i| chars[i] == ')')?;
    let number: String = chars[number_start..close].iter().collect();
    let weight = number.trim().parse().ok()?;
    Some((weight, number_start..close))
}

fn reweight(chars: &[char], selection: Range<usize>, number: Range<usize>, weight: f64) -> (String, Range<usize>) {
    let weight = (weight * 100.0).round() / 100.0;
    if (weight - 1.0).abs() < 1e-9 {
        // `(words:1.0)` means `words`: unwrap.
        let text: String =
            chars[..selection.start - 1].iter().chain(&chars[selection.clone()]).chain(&chars[number.end + 1..]).collect();
        return (text, selection.start - 1..selection.end - 1);
    }
    let text: String = chars[..number.start]
        .iter()
        .copied()
        .chain(format_weight(weight).chars())
        .chain(chars[number.end..].iter().copied())
        .collect();
    (text, selection)
}

fn wrap(chars: &[char], selection: Range<usize>, weight: f64) -> (String, Range<usize>) {
    let inner: String = chars[selection.clone()].iter().collect();
    let wrapped = format!("({inner}:{})", format_weight((weight * 100.0).round() / 100.0));
    let text: String =
        chars[..selection.start].iter().copied().chain(wrapped.chars()).chain(chars[selection.end..].iter().copied()).collect();
    (text, selection.start + 1..selection.end + 1)
}

/// `1.1`, `0.9`, `1.25`: at most two decimals, no trailing zeros.
fn format_weight(weight: f64) -> String {
    let text = format!("{weight:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selection_is_wrapped_then_stepped_then_unwrapped() {
        let (text, sel) = adjust_weight("1girl, long hair, smile", 7..16, 0.1).unwrap();
        assert_eq!((text.as_str(), sel.clone()), ("1girl, (long hair:1.1), smile", 8..17));
        let (text, sel) = adjust_weight(&text, sel, 0.1).unwrap();
        assert_eq!(text, "1girl, (long hair:1.2), smile");
        let (text, sel) = adjust_weight(&text, sel, -0.1).unwrap();
        let (text, sel) = adjust_weight(&text, sel, -0.1).unwrap();
        assert_eq!((text.as_str(), sel), ("1girl, long hair, smile", 7..16));
    }

    #[test]
    fn the_word_under_the_cursor_is_used_without_a_selection() {
        let (text, sel) = adjust_weight("flat color, sky", 2..2, -0.1).unwrap();
        assert_eq!((text.as_str(), sel), ("(flat:0.9) color, sky", 1..5));
    }

    #[test]
    fn japanese_text_is_counted_in_characters() {
        let (text, sel) = adjust_weight("線画、青い空", 3..6, 0.1).unwrap();
        assert_eq!((text.as_str(), sel), ("線画、(青い空:1.1)", 4..7));
    }

    #[test]
    fn nothing_to_weight_gives_none() {
        assert!(adjust_weight("a, , b", 3..3, 0.1).is_none());
        assert!(adjust_weight("", 0..0, 0.1).is_none());
    }
}
