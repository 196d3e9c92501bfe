//! PAN handling: normalisation, Luhn, length rules, brand (BIN range)
//! classification, BIN/last-4 extraction.
#![forbid(unsafe_code)]

use std::fmt;

use zeroize::Zeroizing;

use crate::errors::PanError;

/// Shortest accepted PAN (ISO/IEC 7812 allows 8, card networks issue 12+).
pub const MIN_LEN: usize = 12;
/// Longest accepted PAN.
pub const MAX_LEN: usize = 19;

/// Card brands, as reported to Python.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Brand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
    Diners,
    UnionPay,
    Maestro,
    Mir,
    Unknown,
}

impl Brand {
    /// Upper-case brand name used across the service ("VISA", ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Brand::Visa => "VISA",
            Brand::Mastercard => "MASTERCARD",
            Brand::Amex => "AMEX",
            Brand::Discover => "DISCOVER",
            Brand::Jcb => "JCB",
            Brand::Diners => "DINERS",
            Brand::UnionPay => "UNIONPAY",
            Brand::Maestro => "MAESTRO",
            Brand::Mir => "MIR",
            Brand::Unknown => "UNKNOWN",
        }
    }
}

impl fmt::Display for Brand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One inclusive range of IIN prefixes of a fixed number of digits.
struct BinRange {
    digits: usize,
    low: u32,
    high: u32,
    brand: Brand,
}

const fn range(digits: usize, low: u32, high: u32, brand: Brand) -> BinRange {
    BinRange {
        digits,
        low,
        high,
        brand,
    }
}

/// Brand table, ordered from the most specific (longest) prefix to the least
/// specific; the first match wins. Ranges of equal length never overlap.
const BIN_TABLE: &[BinRange] = &[
    // 6 digits: Discover co-branded UnionPay range inside 62.
    range(6, 622_126, 622_925, Brand::Discover),
    // 4 digits
    range(4, 2200, 2204, Brand::Mir),
    range(4, 2221, 2720, Brand::Mastercard),
    range(4, 3528, 3589, Brand::Jcb),
    range(4, 6011, 6011, Brand::Discover),
    range(4, 6304, 6304, Brand::Maestro),
    range(4, 6759, 6759, Brand::Maestro),
    range(4, 6761, 6763, Brand::Maestro),
    // 3 digits
    range(3, 300, 305, Brand::Diners),
    range(3, 644, 649, Brand::Discover),
    // 2 digits
    range(2, 34, 34, Brand::Amex),
    range(2, 36, 36, Brand::Diners),
    range(2, 37, 37, Brand::Amex),
    range(2, 38, 39, Brand::Diners),
    range(2, 50, 50, Brand::Maestro),
    range(2, 51, 55, Brand::Mastercard),
    range(2, 56, 58, Brand::Maestro),
    range(2, 62, 62, Brand::UnionPay),
    range(2, 65, 65, Brand::Discover),
    // 1 digit
    range(1, 4, 4, Brand::Visa),
];

/// Value of the first `n` ASCII digits of `digits` (caller guarantees
/// `digits.len() >= n` and all-digit content).
fn prefix_value(digits: &[u8], n: usize) -> u32 {
    digits[..n]
        .iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
}

/// Classify a PAN or a BIN prefix (any number of leading digits; ASCII spaces
/// and '-' are ignored). Anything that is not all digits is `Unknown`.
pub fn classify_brand(pan_or_bin: &str) -> Brand {
    let mut prefix = [0u8; 6];
    let mut len = 0usize;
    for b in pan_or_bin.bytes() {
        match b {
            b' ' | b'-' => continue,
            b'0'..=b'9' => {
                if len < prefix.len() {
                    prefix[len] = b;
                    len += 1;
                }
            }
            _ => return Brand::Unknown,
        }
    }
    classify_digits(&prefix[..len])
}

/// Classify from already-normalised ASCII digits.
fn classify_digits(digits: &[u8]) -> Brand {
    BIN_TABLE
        .iter()
        .find(|r| {
            digits.len() >= r.digits && {
                let v = prefix_value(digits, r.digits);
                r.low <= v && v <= r.high
            }
        })
        .map_or(Brand::Unknown, |r| r.brand)
}

/// Luhn (mod 10) sum of ASCII digits; `None` if any byte is not a digit.
fn luhn_sum(digits: &[u8]) -> Option<u32> {
    let mut sum = 0u32;
    for (i, b) in digits.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    Some(sum)
}

/// True when `digits` is a non-empty string of ASCII digits whose Luhn check
/// digit is correct. Does not strip separators and does not check length.
pub fn luhn_valid(digits: &str) -> bool {
    !digits.is_empty() && luhn_sum(digits.as_bytes()).is_some_and(|s| s % 10 == 0)
}

/// True when `s` looks like a vault token: 12–19 ASCII digits that FAIL the
/// Luhn check (so a token can never be mistaken for a PAN).
pub fn is_token_shaped(s: &str) -> bool {
    (MIN_LEN..=MAX_LEN).contains(&s.len())
        && luhn_sum(s.as_bytes()).is_some_and(|sum| sum % 10 != 0)
}

/// A validated, normalised PAN (ASCII digits only). The digits are wiped
/// from memory when the value is dropped, and `Debug` never prints them.
pub struct Pan {
    digits: Zeroizing<String>,
}

impl Pan {
    /// Strip ASCII spaces and '-', then check digits-only, length 12..=19
    /// and the Luhn check digit (in that order).
    pub fn parse(input: &str) -> std::result::Result<Pan, PanError> {
        let mut digits = Zeroizing::new(String::with_capacity(MAX_LEN));
        for c in input.chars() {
            match c {
                ' ' | '-' => {}
                '0'..='9' => {
                    if digits.len() == MAX_LEN {
                        // Keep scanning so a non-digit is still reported
                        // as such, but never grow the buffer past 19.
                        continue;
                    }
                    digits.push(c);
                }
                _ => return Err(PanError::NonDigit),
            }
        }
        let count = input.bytes().filter(u8::is_ascii_digit).count();
        if !(MIN_LEN..=MAX_LEN).contains(&count) {
            return Err(PanError::Length);
        }
        if !luhn_valid(&digits) {
            return Err(PanError::Luhn);
        }
        Ok(Pan { digits })
    }

    /// The normalised digits.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// Number of digits (12..=19).
    pub fn len(&self) -> usize {
        self.digits.len()
    }

    /// Always false (a valid PAN has at least 12 digits); provided for API
    /// completeness alongside `len`.
    pub fn is_empty(&self) -> bool {
        self.digits.is_empty()
    }

    /// First six digits (the BIN / IIN).
    pub fn bin6(&self) -> &str {
        &self.digits[..6]
    }

    /// Last four digits.
    pub fn last4(&self) -> &str {
        &self.digits[self.digits.len() - 4..]
    }

    /// Card brand from the BIN table.
    pub fn brand(&self) -> Brand {
        classify_digits(self.digits.as_bytes())
    }

    /// Non-sensitive summary of the PAN.
    pub fn info(&self) -> PanInfo {
        PanInfo {
            bin: self.bin6().to_owned(),
            last4: self.last4().to_owned(),
            brand: self.brand(),
            length: self.len(),
        }
    }
}

impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Pan({}…{}, len={})",
            self.bin6(),
            self.last4(),
            self.len()
        )
    }
}

/// Non-sensitive PAN metadata: BIN, last four, brand, length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanInfo {
    pub bin: String,
    pub last4: String,
    pub brand: Brand,
    pub length: usize,
}

/// Validate `pan` and return its metadata.
pub fn validate(pan: &str) -> std::result::Result<PanInfo, PanError> {
    Pan::parse(pan).map(|p| p.info())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_known_numbers() {
        for ok in [
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "6011111111111117",
            "3530111333300000",
            "79927398713",
            "0",
        ] {
            assert!(luhn_valid(ok), "{ok}");
        }
        for bad in [
            "4111111111111112",
            "79927398710",
            "",
            "4111 1111 1111 1111",
            "41111111111111a1",
            "١٢٣", // non-ASCII digits
        ] {
            assert!(!luhn_valid(bad), "{bad}");
        }
    }

    #[test]
    fn luhn_single_digit_change_always_detected() {
        let base = b"4111111111111111";
        for pos in 0..base.len() {
            for d in b'0'..=b'9' {
                if d == base[pos] {
                    continue;
                }
                let mut v = base.to_vec();
                v[pos] = d;
                let s = String::from_utf8(v).unwrap();
                assert!(!luhn_valid(&s), "{s}");
            }
        }
    }

    #[test]
    fn parse_strips_spaces_and_dashes() {
        let p = Pan::parse(" 4111-1111 1111-1111 ").unwrap();
        assert_eq!(p.digits(), "4111111111111111");
        assert_eq!(p.bin6(), "411111");
        assert_eq!(p.last4(), "1111");
        assert_eq!(p.len(), 16);
        assert!(!p.is_empty());
        assert_eq!(p.brand(), Brand::Visa);
    }

    #[test]
    fn parse_reasons() {
        assert_eq!(
            Pan::parse("4111x11111111111").unwrap_err(),
            PanError::NonDigit
        );
        assert_eq!(
            Pan::parse("4111\t1111111111111").unwrap_err(),
            PanError::NonDigit
        );
        assert_eq!(Pan::parse("").unwrap_err(), PanError::Length);
        assert_eq!(Pan::parse("42424242424").unwrap_err(), PanError::Length);
        assert_eq!(
            Pan::parse("42424242424242424242").unwrap_err(),
            PanError::Length
        );
        assert_eq!(Pan::parse(&"4".repeat(1000)).unwrap_err(), PanError::Length);
        assert_eq!(Pan::parse("4111111111111112").unwrap_err(), PanError::Luhn);
        // 12 and 19 digit boundaries.
        assert_eq!(Pan::parse("123456789015").unwrap().len(), 12);
        assert_eq!(Pan::parse("4000000000000000006").unwrap().len(), 19);
    }

    #[test]
    fn debug_does_not_leak_middle_digits() {
        let p = Pan::parse("4000056655665556").unwrap();
        let dbg = format!("{p:?}");
        assert!(!dbg.contains("4000056655665556"));
        assert!(!dbg.contains("566556"));
    }

    #[test]
    fn brand_table() {
        let cases: &[(&str, Brand)] = &[
            ("4111111111111111", Brand::Visa),
            ("4", Brand::Visa),
            ("5100000000000000", Brand::Mastercard),
            ("5500000000000000", Brand::Mastercard),
            ("2221000000000000", Brand::Mastercard),
            ("2720990000000000", Brand::Mastercard),
            ("2721000000000000", Brand::Unknown),
            ("2220990000000000", Brand::Unknown),
            ("340000000000000", Brand::Amex),
            ("370000000000000", Brand::Amex),
            ("350000000000000", Brand::Unknown),
            ("6011000000000000", Brand::Discover),
            ("6440000000000000", Brand::Discover),
            ("6490000000000000", Brand::Discover),
            ("6500000000000000", Brand::Discover),
            ("3528000000000000", Brand::Jcb),
            ("3589000000000000", Brand::Jcb),
            ("3527000000000000", Brand::Unknown),
            ("3590000000000000", Brand::Unknown),
            ("30000000000000", Brand::Diners),
            ("30500000000000", Brand::Diners),
            ("30600000000000", Brand::Unknown),
            ("36000000000000", Brand::Diners),
            ("38000000000000", Brand::Diners),
            ("39000000000000", Brand::Diners),
            ("6200000000000000", Brand::UnionPay),
            ("6221250000000000", Brand::UnionPay),
            ("6221260000000000", Brand::Discover),
            ("6229250000000000", Brand::Discover),
            ("6229260000000000", Brand::UnionPay),
            ("5000000000000000", Brand::Maestro),
            ("5600000000000000", Brand::Maestro),
            ("5800000000000000", Brand::Maestro),
            ("6304000000000000", Brand::Maestro),
            ("6759000000000000", Brand::Maestro),
            ("6761000000000000", Brand::Maestro),
            ("6763000000000000", Brand::Maestro),
            ("6764000000000000", Brand::Unknown),
            ("6305000000000000", Brand::Unknown),
            ("2200000000000000", Brand::Mir),
            ("2204000000000000", Brand::Mir),
            ("2205000000000000", Brand::Unknown),
            ("1234567890123456", Brand::Unknown),
            ("", Brand::Unknown),
            ("abc", Brand::Unknown),
            ("41x1", Brand::Unknown),
            ("6221-26", Brand::Discover),
            ("62", Brand::UnionPay),
            ("622", Brand::UnionPay),
        ];
        for (input, brand) in cases {
            assert_eq!(classify_brand(input), *brand, "{input}");
        }
    }

    #[test]
    fn brand_table_same_length_ranges_do_not_overlap() {
        for (i, a) in BIN_TABLE.iter().enumerate() {
            assert!(a.low <= a.high);
            for b in &BIN_TABLE[i + 1..] {
                assert!(a.digits >= b.digits, "table must be ordered by length");
                if a.digits == b.digits {
                    assert!(a.high < b.low || b.high < a.low);
                }
            }
        }
    }

    #[test]
    fn token_shape() {
        assert!(is_token_shaped("4111111111111112"));
        assert!(!is_token_shaped("4111111111111111"));
        assert!(!is_token_shaped("41111111112"));
        assert!(!is_token_shaped("4111 1111 1111 1112"));
        assert!(!is_token_shaped("41111111111111111112"));
        assert!(!is_token_shaped(""));
    }

    #[test]
    fn validate_info() {
        let info = validate("378282246310005").unwrap();
        assert_eq!(info.bin, "378282");
        assert_eq!(info.last4, "0005");
        assert_eq!(info.brand, Brand::Amex);
        assert_eq!(info.length, 15);
    }
}
