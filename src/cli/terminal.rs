//! What the command line prints, made safe for a terminal.
//!
//! Model files, pictures and folders downloaded from the internet carry text Nurie prints: a model's
//! declared title, a prompt, a file name. Escape sequences in such text could clear, recolor or retitle
//! the user's terminal (OSC sequences even set the clipboard on some terminals), and bidirectional
//! overrides can make text read differently than it is. Everything the CLI prints goes through
//! [`printable`], which shows such characters escaped (`\u{1b}`) instead of sending them.

use std::borrow::Cow;
use std::error::Error;

/// `text` with control characters (other than newline and tab) and bidirectional-override characters
/// shown as `\u{…}` escapes.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    let bidi_control = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    (c.is_control() && c != '\n' && c != '\t') || bidi_control
}

/// [`crate::error_report::error_report`], safe to print.
pub fn error_report(error: &(dyn Error + 'static)) -> String {
    printable(&crate::error_report::error_report(error)).into_owned()
}

/// `println!` for text that may carry what a file says (see the module's doc).
macro_rules! outln {
    () => { println!() };
    ($($arg:tt)*) => { println!("{}", $crate::cli::terminal::printable(&format!($($arg)*))) };
}

/// `eprintln!` for text that may carry what a file says (see the module's doc).
macro_rules! errln {
    ($($arg:tt)*) => { eprintln!("{}", $crate::cli::terminal::printable(&format!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_sent() {
        assert_eq!(printable("title\x1b[2J\x1b]0;owned\x07"), "title\\u{1b}[2J\\u{1b}]0;owned\\u{7}");
        assert_eq!(printable("c1 \u{9b}31m and \u{202e}txt.exe"), "c1 \\u{9b}31m and \\u{202e}txt.exe");
        assert!(matches!(printable("日本語の説明\n\tok"), Cow::Borrowed(_)));
    }
}
