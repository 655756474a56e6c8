//! Python's `float(str)` and `int(str)` (base 10), for arguments A1111 converts with them: which strings
//! they accept and the values they give.
//!
//! Both strip Unicode whitespace around the number, accept any Unicode decimal digit (`１.５`) and single
//! `_` between digits (`1_000`); `float` also takes `inf`, `infinity` and `nan` in any case, with a sign.

use super::emphasis::{decimal_value, is_py_space};

/// `float(s)`, or `None` where Python raises `ValueError`.
pub fn py_float(s: &str) -> Option<f64> {
    let ascii = normalize(s)?;
    let unsigned = ascii.strip_prefix(['+', '-']).unwrap_or(&ascii);
    let special = ["inf", "infinity", "nan"].iter().any(|word| unsigned.eq_ignore_ascii_case(word));
    // Rust's parser takes the same decimal forms as Python's once the text is ASCII without `_`.
    if special || unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.') { ascii.parse().ok() } else { None }
}

/// `int(s)`, or `None` where Python raises `ValueError`. Python's integers are unbounded; values beyond
/// `i64` saturate here.
pub fn py_int(s: &str) -> Option<i64> {
    let ascii = normalize(s)?;
    let (negative, digits) = match ascii.as_bytes().first() {
        Some(b'-') => (true, &ascii[1..]),
        Some(b'+') => (false, &ascii[1..]),
        _ => (false, ascii.as_str()),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.bytes().fold(0_i64, |value, digit| value.saturating_mul(10).saturating_add(i64::from(digit - b'0')));
    Some(if negative { magnitude.saturating_neg() } else { magnitude })
}

/// The number with surrounding whitespace removed, Unicode digits made ASCII and `_` separators dropped;
/// `None` if an `_` is not between two digits.
fn normalize(s: &str) -> Option<String> {
    let trimmed = s.trim_matches(is_py_space);
    let chars: Vec<char> = trimmed.chars().map(|c| decimal_value(c).map_or(c, |value| char::from(b'0' + value))).collect();
    let mut ascii = String::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        if c != '_' {
            ascii.push(c);
            continue;
        }
        let digit_before = i.checked_sub(1).and_then(|j| chars.get(j)).is_some_and(char::is_ascii_digit);
        let digit_after = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if !(digit_before && digit_after) {
            return None;
        }
    }
    Some(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_accepts_what_python_accepts() {
        let cases = [
            ("0.8", 0.8_f64),
            (" 1 ", 1.0),
            ("+.5", 0.5),
            ("1.", 1.0),
            ("1e-1", 0.1),
            ("1_000.5", 1000.5),
            ("１.５", 1.5),
            ("-0", -0.0),
            ("\t2\n", 2.0),
        ];
        for (text, value) in cases {
            assert_eq!(py_float(text).map(f64::to_bits), Some(value.to_bits()), "{text:?}");
        }
        assert_eq!(py_float("INFINITY"), Some(f64::INFINITY));
        assert_eq!(py_float("-inf"), Some(f64::NEG_INFINITY));
        assert!(py_float("nan").is_some_and(f64::is_nan));
    }

    #[test]
    fn float_rejects_what_python_rejects() {
        for text in ["", " ", "abc", "1_", "_1", "1__0", "1_.5", "1e", ".", "0x10", "1,5", "1.5.5", "in_f", "+-1", "e5"] {
            assert_eq!(py_float(text), None, "{text:?}");
        }
    }

    #[test]
    fn int_is_python_base_ten() {
        assert_eq!(py_int(" 4 "), Some(4));
        assert_eq!(py_int("-1_0"), Some(-10));
        assert_eq!(py_int("９"), Some(9));
        assert_eq!(py_int("99999999999999999999999"), Some(i64::MAX));
        for text in ["4.0", "", "+", "0x4", "4_", "1e3"] {
            assert_eq!(py_int(text), None, "{text:?}");
        }
    }
}
