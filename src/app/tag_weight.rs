//! Ctrl+↑/↓ with the cursor in an extra-network tag (`<lora:NAME:0.8>`) steps the tag's last number by
//! 0.05, as A1111's `edit-attention.js` does with its "extra networks" precision (it selects the tag's
//! inside up to the last `:` and changes the number after it). Elsewhere the keys keep changing
//! emphasis ([`super::emphasis`]). Positions are in characters, not bytes.

use std::ops::Range;

/// A1111's default `keyedit_precision_extra`.
pub const STEP: f64 = 0.05;

/// The text and selection after stepping the weight of the tag around `selection` by `delta`.
/// `None` when the selection is not inside a `<…>` tag (the caller then changes emphasis); the text
/// unchanged when the tag has no number to step (`<lora:NAME>`), so the key does not break the tag.
pub fn adjust_tag_weight(text: &str, selection: Range<usize>, delta: f64) -> Option<(String, Range<usize>)> {
    let chars: Vec<char> = text.chars().collect();
    let (start, end) = (selection.start.min(chars.len()), selection.end.min(chars.len()));
    let (open, close) = (tag_open(&chars, start)?, tag_close(&chars, end)?);
    if chars[start..end].iter().any(|&c| c == '<' || c == '>') {
        return None;
    }
    let unchanged = Some((text.to_string(), start..end));
    let Some(number) = weight_range(&chars, open, close) else { return unchanged };
    let written: String = chars[number.clone()].iter().collect();
    let Some(weight) = written.trim().parse::<f64>().ok().filter(|w| w.is_finite()) else { return unchanged };
    let new_number = format_weight(weight + delta);
    let new_text: String =
        chars[..number.start].iter().copied().chain(new_number.chars()).chain(chars[number.end..].iter().copied()).collect();
    let moved = |position: usize| moved_position(position, &number, new_number.chars().count());
    Some((new_text, moved(start)..moved(end)))
}

/// The `<` before `position` with no `>` between them.
fn tag_open(chars: &[char], position: usize) -> Option<usize> {
    let before = chars[..position].iter().rposition(|&c| c == '<' || c == '>')?;
    (chars[before] == '<').then_some(before)
}

/// The `>` at or after `position` with no `<` between them.
fn tag_close(chars: &[char], position: usize) -> Option<usize> {
    let after = position + chars[position..].iter().position(|&c| c == '<' || c == '>')?;
    (chars[after] == '>').then_some(after)
}

/// The characters after the tag's last `:` (its weight, when it has one). A tag whose only `:` ends
/// its kind (`<lora:NAME>`) has none.
fn weight_range(chars: &[char], open: usize, close: usize) -> Option<Range<usize>> {
    let inside = &chars[open + 1..close];
    let first = inside.iter().position(|&c| c == ':')?;
    let last = inside.iter().rposition(|&c| c == ':')?;
    let (start, end) = (open + 1 + last + 1, close);
    (last != first && start < end).then_some(start..end)
}

/// Where a cursor ends up once `number` is rewritten `new_len` characters long.
fn moved_position(position: usize, number: &Range<usize>, new_len: usize) -> usize {
    if position <= number.start {
        position
    } else if position >= number.end {
        position - number.len() + new_len
    } else {
        position.min(number.start + new_len)
    }
}

/// As A1111 writes it: rounded away from float noise, whole numbers with `.0` (`1.0`, `0.85`, `-0.05`).
fn format_weight(weight: f64) -> String {
    let rounded = (weight * 1e6).round() / 1e6;
    // No `-0.0`.
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    format!("{rounded:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(text: &str, cursor: usize, delta: f64) -> Option<(String, Range<usize>)> {
        adjust_tag_weight(text, cursor..cursor, delta)
    }

    #[test]
    fn the_cursor_in_a_lora_tag_steps_its_weight_by_a1111s_precision() {
        let (text, sel) = step("1girl, <lora:flat:0.8>, smile", 10, STEP).unwrap();
        assert_eq!((text.as_str(), sel), ("1girl, <lora:flat:0.85>, smile", 10..10));
        let (text, _) = step(&text, 10, -STEP).unwrap();
        let (text, _) = step(&text, 10, -STEP).unwrap();
        assert_eq!(text, "1girl, <lora:flat:0.75>, smile");
    }

    #[test]
    fn whole_weights_keep_their_point_and_zero_is_not_negative() {
        assert_eq!(step("<lora:a:1>", 3, STEP).unwrap().0, "<lora:a:1.05>");
        assert_eq!(step("<lora:a:0.95>", 3, STEP).unwrap().0, "<lora:a:1.0>");
        assert_eq!(step("<lora:a:0.05>", 3, -STEP).unwrap().0, "<lora:a:0.0>");
        assert_eq!(step("<lora:a:0>", 3, -STEP).unwrap().0, "<lora:a:-0.05>");
    }

    #[test]
    fn the_last_number_is_stepped_and_the_cursor_follows_it() {
        // te and unet weights: A1111 steps the last one.
        let (text, sel) = step("<lyco:ink:0.5:0.7> cat", 17, STEP).unwrap();
        assert_eq!((text.as_str(), sel), ("<lyco:ink:0.5:0.75> cat", 18..18));
        // A cursor just before `>` stays just before it.
        let (text, sel) = step("<lora:a:1>", 9, STEP).unwrap();
        assert_eq!((text.as_str(), sel), ("<lora:a:1.05>", 12..12));
    }

    #[test]
    fn positions_are_characters_in_japanese_prompts() {
        let (text, sel) = adjust_tag_weight("線画、<lora:塗り:0.6>、空", 6..8, STEP).unwrap();
        assert_eq!((text.as_str(), sel), ("線画、<lora:塗り:0.65>、空", 6..8));
    }

    #[test]
    fn outside_a_tag_is_left_to_emphasis_and_a_tag_without_weight_is_kept() {
        assert_eq!(step("<lora:a:0.5>, cat", 15, STEP), None);
        assert_eq!(step("cat <lora:a:0.5>", 4, STEP), None, "the cursor before `<` is outside");
        assert_eq!(step("a > b", 1, STEP), None);
        assert_eq!(step("<lora:flat>", 4, STEP), Some(("<lora:flat>".into(), 4..4)));
        assert_eq!(step("<lora:flat:x>", 4, STEP), Some(("<lora:flat:x>".into(), 4..4)));
        assert_eq!(adjust_tag_weight("<lora:a:1> <lora:b:1>", 3..14, STEP), None, "a selection across tags");
    }
}
