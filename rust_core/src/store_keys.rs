//! Table keys of the embedded store's keyed reads, encoded in `_core`.
//!
//! The encoding is `crs.storage.keys.encode_key`'s: the parts joined by
//! [`SEPARATOR`], text as it is (it must hold no character below the
//! separator's), integers in `[0, 10**20)` zero-padded to 20 digits, so keys
//! compare like their tuples. This module encodes the parts it can check
//! cheaply and answers `None` for anything else (a control character, an
//! integer out of range): the store then encodes the key in Python, which
//! raises the exact error, so the two encoders never have to agree on one.
//!
//! [`Tables`] holds each table's keyed-read plan (its SQL, and how many key
//! parts make the partition key), registered once by the store, so a read
//! names its table and passes its key tuple as it is.

use std::collections::HashMap;
use std::fmt::Write as _;

/// The separator of an encoded key's parts (`crs.storage.keys.SEPARATOR`).
pub const SEPARATOR: char = '\x1f';
/// Digits of an encoded integer part.
const INT_WIDTH: usize = 20;
/// Integer parts must be below this (`10**INT_WIDTH`).
const INT_LIMIT: u128 = 100_000_000_000_000_000_000;

/// Builds one encoded key, part by part.
#[derive(Debug, Default)]
pub struct KeyWriter {
    out: String,
    parts: usize,
}

impl KeyWriter {
    pub fn new() -> Self {
        KeyWriter::default()
    }

    fn separate(&mut self) {
        if self.parts > 0 {
            self.out.push(SEPARATOR);
        }
        self.parts += 1;
    }

    /// Appends a text part; false (nothing appended) for text holding a
    /// character below the separator's, which Python refuses.
    pub fn text(&mut self, part: &str) -> bool {
        if part.bytes().any(|b| b < b' ') {
            return false;
        }
        self.separate();
        self.out.push_str(part);
        true
    }

    /// Appends an integer part; false (nothing appended) outside
    /// `[0, 10**20)`, which Python refuses.
    pub fn int(&mut self, part: u128) -> bool {
        if part >= INT_LIMIT {
            return false;
        }
        self.separate();
        let _ = write!(self.out, "{part:0INT_WIDTH$}");
        true
    }

    /// The encoded key.
    pub fn finish(self) -> String {
        self.out
    }
}

/// One table's keyed reads: the single-row read's SQL (binds pk, ck, now),
/// the partition scan's SQL without bounds (binds pk, now, limit), the parts
/// of its partition key and of its whole key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePlan {
    pub get_sql: String,
    pub scan_sql: String,
    pub partition_parts: usize,
    pub key_parts: usize,
}

/// Every table's [`TablePlan`], by table name.
#[derive(Debug, Default)]
pub struct Tables(HashMap<String, TablePlan>);

impl Tables {
    pub fn new(plans: impl IntoIterator<Item = (String, TablePlan)>) -> Self {
        Tables(plans.into_iter().collect())
    }

    /// The plan of `name`, if registered.
    pub fn plan(&self, name: &str) -> Option<&TablePlan> {
        self.0.get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(parts: &[Result<&str, u128>]) -> Option<String> {
        let mut w = KeyWriter::new();
        for part in parts {
            let ok = match part {
                Ok(text) => w.text(text),
                Err(n) => w.int(*n),
            };
            if !ok {
                return None;
            }
        }
        Some(w.finish())
    }

    #[test]
    fn parts_are_joined_by_the_separator_and_integers_padded() {
        assert_eq!(key(&[]), Some(String::new()));
        assert_eq!(key(&[Ok("acme")]), Some("acme".into()));
        assert_eq!(key(&[Ok("acme"), Ok("")]), Some("acme\x1f".into()));
        assert_eq!(
            key(&[Ok("t"), Err(42), Ok("é \u{7f}")]),
            Some("t\x1f00000000000000000042\x1fé \u{7f}".into())
        );
        assert_eq!(
            key(&[Err(INT_LIMIT - 1)]),
            Some("99999999999999999999".into())
        );
    }

    #[test]
    fn control_characters_and_large_integers_are_left_to_python() {
        assert_eq!(key(&[Ok("a\nb")]), None);
        assert_eq!(key(&[Ok("ok"), Ok("\x1f")]), None);
        assert_eq!(key(&[Ok("\0")]), None);
        assert_eq!(key(&[Err(INT_LIMIT)]), None);
    }

    #[test]
    fn tables_find_plans_by_name() {
        let plan = TablePlan {
            get_sql: "g".into(),
            scan_sql: "s".into(),
            partition_parts: 1,
            key_parts: 2,
        };
        let tables = Tables::new([("t".to_owned(), plan.clone())]);
        assert_eq!(tables.plan("t"), Some(&plan));
        assert_eq!(tables.plan("u"), None);
    }
}
