//! PackBits, the run-length code of PSD channels (Apple's TN1023): a header byte `n` then either
//! `n + 1` literal bytes (0 ≤ n ≤ 127) or one byte repeated `1 − n` times (−127 ≤ n ≤ −1, as i8).
//! Runs shorter than 3 stay inside literals, as Photoshop writes them: a run of 2 saves nothing.

/// The longest literal or run one header covers.
const MAX_PACKET: usize = 128;
/// Runs at least this long are written as runs.
const MIN_RUN: usize = 3;

/// Appends the PackBits code of `row` to `out`; returns the number of bytes appended.
pub fn pack_row(row: &[u8], out: &mut Vec<u8>) -> usize {
    let start_len = out.len();
    let mut i = 0;
    while i < row.len() {
        let run = run_length(&row[i..]);
        if run >= MIN_RUN {
            out.push((257 - run) as u8);
            out.push(row[i]);
            i += run;
        } else {
            let end = literal_end(row, i);
            out.push((end - i - 1) as u8);
            out.extend_from_slice(&row[i..end]);
            i = end;
        }
    }
    out.len() - start_len
}

/// How many times `bytes[0]` repeats at the start of `bytes` (at most one packet).
fn run_length(bytes: &[u8]) -> usize {
    let first = bytes[0];
    bytes.iter().take(MAX_PACKET).take_while(|&&b| b == first).count()
}

/// Where a literal starting at `start` ends: before the next run worth a run packet, or a packet's length.
fn literal_end(row: &[u8], start: usize) -> usize {
    let mut end = start + 1;
    while end < row.len() && end - start < MAX_PACKET && run_length(&row[end..]) < MIN_RUN {
        end += 1;
    }
    end
}

/// Decodes PackBits (for tests and readers); `None` when the code is cut short.
pub fn unpack(mut code: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    while let Some((&header, rest)) = code.split_first() {
        let n = header as i8;
        if n >= 0 {
            let count = n as usize + 1;
            out.extend_from_slice(rest.get(..count)?);
            code = &rest[count..];
        } else if n != -128 {
            let (&byte, rest) = rest.split_first()?;
            out.extend(std::iter::repeat_n(byte, 1 + n.unsigned_abs() as usize));
            code = rest;
        } else {
            code = rest;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(row: &[u8]) -> Vec<u8> {
        let mut code = Vec::new();
        assert_eq!(pack_row(row, &mut code), code.len());
        assert_eq!(unpack(&code).as_deref(), Some(row), "row {row:?} → {code:?}");
        code
    }

    #[test]
    fn runs_and_literals_round_trip() {
        assert_eq!(round_trip(&[7, 7, 7, 7]), vec![253, 7]);
        assert_eq!(round_trip(&[1, 2, 3]), vec![2, 1, 2, 3]);
        assert_eq!(round_trip(&[1, 1, 2]), vec![2, 1, 1, 2]);
        round_trip(&[]);
        round_trip(&[9]);
        round_trip(&[0; 1000]);
        let noise: Vec<u8> = (0..1000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        round_trip(&noise);
        let mixed: Vec<u8> = (0..3000u32).map(|i| if (i / 5) % 3 == 0 { 200 } else { (i % 7) as u8 }).collect();
        round_trip(&mixed);
    }

    #[test]
    fn the_worst_case_grows_by_one_byte_in_128() {
        let noise: Vec<u8> = (0..30_000u32).map(|i| (i % 2 * 100 + i % 3) as u8).collect();
        let code = round_trip(&noise);
        assert!(code.len() <= 30_000 + 30_000_usize.div_ceil(128), "{}", code.len());
    }
}
