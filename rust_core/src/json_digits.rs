//! Whether a stored JSON text may hold an integer beyond 64 bits.
//!
//! `crs.domain.records.loads` parses with orjson, which reads an integer
//! beyond 64 bits as a float without a word; a text with 19 or more ASCII
//! digits in a row (maybe such an integer, or only a long token or fraction)
//! goes to the standard library's parser instead. Every record read asks, so
//! the scan runs here: one pass, no copy.

/// Digits in a row from which a JSON integer may not fit 64 bits.
pub const LONG_RUN: usize = 19;

/// Whether `data` holds `run` or more ASCII digits in a row.
pub fn has_digit_run(data: &[u8], run: usize) -> bool {
    let mut digits = 0;
    for byte in data {
        if byte.is_ascii_digit() {
            digits += 1;
            if digits >= run {
                return true;
            }
        } else {
            digits = 0;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_ascii_digits_in_a_row_only() {
        assert!(!has_digit_run(b"", LONG_RUN));
        assert!(!has_digit_run(b"{\"n\":999999999999999999}", LONG_RUN)); // 18
        assert!(has_digit_run(b"{\"n\":9999999999999999999}", LONG_RUN)); // 19
        assert!(has_digit_run(b"1234567890123456789", LONG_RUN));
        assert!(!has_digit_run(b"123456789.123456789", LONG_RUN));
        assert!(!has_digit_run("١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧٨٩".as_bytes(), LONG_RUN));
        assert!(has_digit_run(b"x12", 2) && !has_digit_run(b"1x2", 2));
    }
}
