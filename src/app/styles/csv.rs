//! The part of Python's `csv` reader `styles.csv` needs: comma-separated fields, `"` quoting with
//! `""` for a quote, line breaks inside quotes, spaces after a comma skipped (A1111 reads with
//! `skipinitialspace=True`), empty lines skipped.

/// The rows of `text`, each a list of fields.
pub fn records(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let (mut quoted, mut field_started) = (false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if !field_started => (quoted, field_started) = (true, true),
            (false, ',') => {
                row.push(std::mem::take(&mut field));
                field_started = false;
            }
            (false, ' ') if !field_started => {}
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n' | '\r') => {
                end_row(&mut rows, &mut row, &mut field, field_started);
                field_started = false;
            }
            (false, c) => {
                field.push(c);
                field_started = true;
            }
        }
    }
    end_row(&mut rows, &mut row, &mut field, field_started);
    rows
}

/// Ends a row; an empty line is no row.
fn end_row(rows: &mut Vec<Vec<String>>, row: &mut Vec<String>, field: &mut String, field_started: bool) {
    if row.is_empty() && field.is_empty() && !field_started {
        return;
    }
    row.push(std::mem::take(field));
    rows.push(std::mem::take(row));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_commas_and_line_ends() {
        assert_eq!(records("a, \"b,c\",\"d\"\"e\"\r\n\r\nf,,\n"), [vec!["a", "b,c", "d\"e"], vec!["f", "", ""]]);
        assert_eq!(records("\"\"\n"), [vec![""]], "an empty quoted field is a row");
        assert_eq!(records("x"), [vec!["x"]], "no final line end");
    }
}
