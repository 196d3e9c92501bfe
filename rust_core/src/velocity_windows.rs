//! A cluster's velocity windows at one time, from its stored state: every
//! GetAuthorizationContext of a cluster computes them.
//!
//! The state is the JSON of `crs.domain.risk.windows.VelocityState`, written by
//! the Python side (`apply_event`): per level, bucket index (a decimal string)
//! -> currency -> `[count, amount_minor]`. A window of `n` buckets of
//! granularity `g` at time `t` counts the buckets `t / g - n + 1 ..= t / g`,
//! queried at `max(at, watermark)` (docs/risk.md "Velocity"). The ids of
//! recently seen transactions, kept in the same row for de-duplication, are
//! skipped unread. `tests/property/test_velocity.py` holds these totals equal
//! to the Python ones (`windows.all_totals`, the path for a row this module
//! refuses) and to a brute-force recount.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, Error as _, MapAccess, Visitor};

use crate::errors::{CoreError, Result};
use crate::lookup_response::parse;

const SECOND_US: i64 = 1_000_000;
const MINUTE_US: i64 = 60 * SECOND_US;
const HOUR_US: i64 = 60 * MINUTE_US;
const DAY_US: i64 = 24 * HOUR_US;

/// `(name, granularity in µs, buckets)` of each level, as `windows.LEVELS`.
pub const LEVELS: [(&str, i64, i64); 4] = [
    ("1m", SECOND_US, 60),
    ("1h", MINUTE_US, 60),
    ("24h", HOUR_US, 24),
    ("30d", DAY_US, 30),
];

/// A JSON object's entries in their stored order, keys borrowed from the
/// stored text: a few entries each, read once, so a vector rather than a hash
/// map. A key with a JSON escape (which no level name, bucket index or
/// currency code has) or a repeated key fails the parse.
struct Entries<'a, V>(Vec<(&'a str, V)>);

impl<'de: 'a, 'a, V: Deserialize<'de>> Deserialize<'de> for Entries<'a, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Visit<'a, V>(PhantomData<(&'a str, V)>);

        impl<'de: 'a, 'a, V: Deserialize<'de>> Visitor<'de> for Visit<'a, V> {
            type Value = Entries<'a, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<M: MapAccess<'de>>(
                self,
                mut map: M,
            ) -> std::result::Result<Self::Value, M::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((key, value)) = map.next_entry::<&'de str, V>()? {
                    // Python keeps the last of two equal keys; `encode` never writes two: refused.
                    if out.iter().any(|(k, _)| *k == key) {
                        return Err(M::Error::custom("duplicate key"));
                    }
                    out.push((key, value));
                }
                Ok(Entries(out))
            }
        }

        deserializer.deserialize_map(Visit(PhantomData))
    }
}

impl<V> Default for Entries<'_, V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

/// One level's buckets: bucket index (decimal) -> currency -> (count, amount).
type Buckets<'a> = Entries<'a, Entries<'a, (i64, i64)>>;

/// The parts of the stored state the windows read (other fields are skipped).
#[derive(Deserialize, Default)]
#[serde(default)]
struct State<'a> {
    watermark_us: i64,
    #[serde(borrow)]
    levels: Entries<'a, Buckets<'a>>,
    late_dropped: i64,
    duplicates: i64,
}

/// One window's totals: its count and, per currency in order, (count, amount).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub name: &'static str,
    pub count: i64,
    pub by_currency: Vec<(String, i64, i64)>,
}

/// Every level's window at one time, and the state's acceptance counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Windows {
    pub at_us: i64,
    pub watermark_us: i64,
    pub late_dropped: i64,
    pub duplicates: i64,
    pub windows: Vec<Window>,
}

const NOT_A_STATE: &str = "stored velocity state is not valid";
const TOO_LARGE: &str = "velocity totals exceed 64 bits";

/// The windows of `state` (None: a cluster without a velocity row) at
/// `max(at_us, watermark)`. `InvalidArgument` for a state that is not valid
/// JSON of the expected shape, or whose numbers or totals exceed 64 bits.
pub fn windows(state: Option<&[u8]>, at_us: i64) -> Result<Windows> {
    let state: State<'_> = match state {
        Some(data) => parse(data, NOT_A_STATE)?,
        None => State::default(),
    };
    let t = at_us.max(state.watermark_us);
    let windows = LEVELS
        .iter()
        .map(|&(name, granularity, n)| {
            let buckets = state.levels.0.iter().find(|(level, _)| *level == name);
            window(buckets.map(|(_, b)| b), name, granularity, n, t)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Windows {
        at_us: t,
        watermark_us: state.watermark_us,
        late_dropped: state.late_dropped,
        duplicates: state.duplicates,
        windows,
    })
}

fn window(
    buckets: Option<&Buckets<'_>>,
    name: &'static str,
    granularity: i64,
    n: i64,
    t: i64,
) -> Result<Window> {
    let newest = t.div_euclid(granularity);
    let oldest = newest - n + 1;
    let mut count: i64 = 0;
    let mut per: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for (key, cells) in buckets.into_iter().flat_map(|b| &b.0) {
        let index: i64 = key
            .parse()
            .map_err(|_| CoreError::InvalidArgument(NOT_A_STATE))?;
        if !(oldest..=newest).contains(&index) {
            continue;
        }
        for &(currency, (k, amount)) in &cells.0 {
            let acc = per.entry(currency).or_insert((0, 0));
            acc.0 = add(acc.0, k)?;
            acc.1 = add(acc.1, amount)?;
            count = add(count, k)?;
        }
    }
    Ok(Window {
        name,
        count,
        by_currency: per
            .into_iter()
            .map(|(c, (k, amount))| (c.to_owned(), k, amount))
            .collect(),
    })
}

fn add(a: i64, b: i64) -> Result<i64> {
    a.checked_add(b)
        .ok_or(CoreError::InvalidArgument(TOO_LARGE))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_764_000_000_000_000; // 2025-11-24, µs: a whole minute, hour and day

    fn state(json: &str) -> Windows {
        windows(Some(json.as_bytes()), T).unwrap()
    }

    #[test]
    fn no_row_is_every_window_empty_at_the_query_time() {
        let w = windows(None, T).unwrap();
        assert_eq!(
            (w.at_us, w.watermark_us, w.late_dropped, w.duplicates),
            (T, 0, 0, 0)
        );
        let names: Vec<&str> = w.windows.iter().map(|x| x.name).collect();
        assert_eq!(names, ["1m", "1h", "24h", "30d"]);
        assert!(
            w.windows
                .iter()
                .all(|x| x.count == 0 && x.by_currency.is_empty())
        );
    }

    #[test]
    fn buckets_count_inside_their_window_only_and_currencies_sort() {
        let now_min = T / MINUTE_US;
        let json = format!(
            r#"{{"watermark_us": {T}, "late_dropped": 2, "duplicates": 3, "seen": {{"tx1": {T}}},
                "levels": {{"1h": {{"{a}": {{"USD": [1, 500], "EUR": [2, 100]}}, "{b}": {{"EUR": [1, 7]}},
                                    "{c}": {{"EUR": [9, 9]}}}}}}}}"#,
            a = now_min,
            b = now_min - 59,
            c = now_min - 60,
        );
        let w = state(&json);
        assert_eq!((w.late_dropped, w.duplicates), (2, 3));
        let hour = &w.windows[1];
        assert_eq!(
            hour.count, 4,
            "the bucket 60 minutes back is outside the hour"
        );
        assert_eq!(
            hour.by_currency,
            vec![("EUR".to_owned(), 3, 107), ("USD".to_owned(), 1, 500)]
        );
        assert_eq!(w.windows[0].count, 0, "no 1m level in the state");
    }

    #[test]
    fn the_query_time_is_never_before_the_watermark() {
        let later = T + 5 * MINUTE_US;
        let json = format!(
            r#"{{"watermark_us": {later}, "levels": {{"1m": {{"{b}": {{"EUR": [1, 1]}}}}}}}}"#,
            b = later / SECOND_US
        );
        let w = state(&json);
        assert_eq!(w.at_us, later);
        assert_eq!(w.windows[0].count, 1);
    }

    #[test]
    fn refuses_what_is_not_a_state_or_exceeds_64_bits() {
        for bad in [
            "1",
            "{",
            r#"{"levels": {"1m": {"x": {}}}}"#,
            r#"{"levels": {"1m": {"1": {"EUR": [1]}}}}"#,
            r#"{"watermark_us": 1e3}"#,
            r#"{"levels": {"1m": {"1": {"EUR": [1, 99999999999999999999]}}}}"#,
            r#"{"levels": {"1m": {"1": {"E\u0055R": [1, 1]}}}}"#, // an escape: not borrowed, refused
            r#"{"levels": {"1m": {"1": {"EUR": [1, 1]}, "1": {"EUR": [1, 1]}}}}"#,
        ] {
            let err = windows(Some(bad.as_bytes()), T).unwrap_err();
            assert!(
                matches!(err, CoreError::InvalidArgument(NOT_A_STATE)),
                "{bad}: {err:?}"
            );
        }
        let max = i64::MAX;
        let b = T / SECOND_US;
        let json = format!(
            r#"{{"levels": {{"1m": {{"{b}": {{"EUR": [1, {max}]}}, "{p}": {{"EUR": [1, 1]}}}}}}}}"#,
            p = b - 1
        );
        let err = windows(Some(json.as_bytes()), T).unwrap_err();
        assert!(
            matches!(err, CoreError::InvalidArgument(TOO_LARGE)),
            "{err:?}"
        );
    }
}
