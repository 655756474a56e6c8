//! Text formatting exactly as A1111's Python code produces it: `repr(float)`, `json.dumps(s,
//! ensure_ascii=False)`, A1111's `quote()` and `str.strip()`. The infotext writer and parser are built
//! on these so that Nurie's `parameters` text is the text A1111 1.10 would have written.

use std::borrow::Cow;

/// Python's `repr(x)` for a float: the shortest digits that read back as `x`, in fixed notation when
/// the decimal exponent is in `-4 < e <= 16` (`7.0`, `0.0001`, `1e-05`, `1e+16`), `nan`, `inf`.
pub fn python_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    let (digits, decimal_point) = shortest_digits(x.abs());
    format!("{sign}{}", place_decimal_point(&digits, decimal_point))
}

/// How A1111 shows a number that came from a Gradio slider: the browser sends integral values as
/// JSON integers, so Python prints `7` where the value is whole and `repr(float)` (`7.5`) otherwise.
pub fn ui_number(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e16 { format!("{}", x as i64) } else { python_float_repr(x) }
}

/// `json.dumps(text, ensure_ascii=False)`: quotes, backslashes and control characters escaped, every
/// other character (CJK, emoji, U+2028) kept as is.
pub fn json_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A1111's `quote()`: a value containing `,`, `:` or a newline is written JSON-quoted.
///
/// Nurie also quotes the few values A1111 itself would read back wrongly: empty ones (A1111 drops the
/// pair), ones with leading or trailing whitespace (trimmed by its parser) and ones starting with a
/// double quote (A1111's pattern takes them for quoted values: `"x"` is unquoted to `x`, and `"77` runs
/// on to the next quote in the line, swallowing the following pairs). For every other value the
/// output is A1111's.
pub fn a1111_quote(value: &str) -> Cow<'_, str> {
    let a1111_would_quote = value.contains([',', ':', '\n']);
    let a1111_would_misread =
        value.is_empty() || value.starts_with(is_python_space) || value.ends_with(is_python_space) || value.starts_with('"');
    if a1111_would_quote || a1111_would_misread { Cow::Owned(json_quote(value)) } else { Cow::Borrowed(value) }
}

/// Python's `str.isspace()` for one character (Rust's `char::is_whitespace` plus U+001C..U+001F).
pub fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()` with no argument.
pub fn python_strip(text: &str) -> &str {
    text.trim_matches(is_python_space)
}

/// The shortest decimal digits of a positive finite `x` and where the decimal point goes:
/// `x = 0.d1d2d3... * 10^decimal_point`. Rust's `{:e}` gives the same shortest round-trip digits as
/// Python's `repr`.
fn shortest_digits(x: f64) -> (String, i32) {
    let scientific = format!("{x:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    (digits, exponent + 1)
}

/// CPython's `format_float_short` layout for mode `'r'` with `Py_DTSF_ADD_DOT_0`.
fn place_decimal_point(digits: &str, decimal_point: i32) -> String {
    let length = digits.len() as i32;
    if decimal_point <= -4 || decimal_point > 16 {
        let exponent = decimal_point - 1;
        let (first, rest) = digits.split_at(digits.len().min(1));
        let mantissa = if rest.is_empty() { first.to_string() } else { format!("{first}.{rest}") };
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else if decimal_point <= 0 {
        format!("0.{}{digits}", "0".repeat((-decimal_point) as usize))
    } else if decimal_point >= length {
        format!("{digits}{}.0", "0".repeat((decimal_point - length) as usize))
    } else {
        let (whole, fraction) = digits.split_at(decimal_point as usize);
        format!("{whole}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn python_reference() -> Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metadata/python_reference.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn pairs(reference: &Value, name: &str) -> Vec<(Value, String)> {
        reference[name].as_array().unwrap().iter().map(|pair| (pair[0].clone(), pair[1].as_str().unwrap().to_string())).collect()
    }

    #[test]
    fn float_repr_matches_python_repr() {
        let reference = python_reference();
        let cases = pairs(&reference, "float_repr");
        assert!(cases.len() > 20);
        for (value, expected) in cases {
            let x = value.as_f64().unwrap();
            assert_eq!(python_float_repr(x), expected, "repr({x:?})");
        }
    }

    #[test]
    fn float_repr_of_non_finite_values() {
        assert_eq!(python_float_repr(f64::NAN), "nan");
        assert_eq!(python_float_repr(f64::INFINITY), "inf");
        assert_eq!(python_float_repr(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn ui_number_prints_whole_values_as_integers() {
        assert_eq!(ui_number(7.0), "7");
        assert_eq!(ui_number(7.5), "7.5");
        assert_eq!(ui_number(0.75), "0.75");
        assert_eq!(ui_number(1.0), "1");
        assert_eq!(ui_number(1e20), "1e+20");
    }

    #[test]
    fn json_quote_matches_python_json_dumps_without_ascii_escapes() {
        let reference = python_reference();
        for (value, expected) in pairs(&reference, "json_dumps") {
            let text = value.as_str().unwrap();
            assert_eq!(json_quote(text), expected, "json.dumps({text:?})");
        }
    }

    #[test]
    fn a1111_quote_matches_a1111_where_a1111_reads_its_own_output_back() {
        let reference = python_reference();
        for (value, a1111) in pairs(&reference, "a1111_quote") {
            let text = value.as_str().unwrap();
            let ours = a1111_quote(text);
            let misread_by_a1111 =
                text.is_empty() || text.starts_with(is_python_space) || text.ends_with(is_python_space) || text.starts_with('"');
            if misread_by_a1111 {
                assert_eq!(ours, json_quote(text), "{text:?}");
            } else {
                assert_eq!(ours, a1111, "{text:?}");
            }
        }
    }

    #[test]
    fn python_strip_removes_python_whitespace_only() {
        assert_eq!(python_strip("\u{1f} \u{3000}text\r\n"), "text");
        assert_eq!(python_strip("\u{200b}x"), "\u{200b}x");
    }
}
