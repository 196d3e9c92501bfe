//! Keyed reads of the embedded store's SQLite file, for the event loop.
//!
//! Python's `sqlite3` module releases the GIL around every `sqlite3_step` and
//! `sqlite3_reset`: about four releases per single-row read, each a hand-off
//! and a wake-up whenever another thread is waiting for the GIL (with one such
//! thread, a lookup's reads took twice as long in-process). In the loaded
//! server that is rarer, since gRPC's poller seldom needs the GIL: measured at a
//! fixed rate, this reader cut server CPU per lookup by about 3%. The reads
//! served from SQLite's page cache take microseconds, so this reader keeps the
//! GIL: nothing in this module calls back into Python or releases it.
//!
//! The connection is the process's own `libsqlite3` (linked dynamically, the
//! library Python's `sqlite3` module loads), so one copy of SQLite owns the
//! file's POSIX locks. It is read-only (`PRAGMA query_only`), waits at most
//! [`BUSY_TIMEOUT`] for a lock (a caller that gets [`CoreError::StoreBusy`]
//! retries on a path that waits without the GIL), and serves the SQL text the
//! store passes in (one prepared statement per text, cached).

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, params};

use crate::errors::{CoreError, Result};

/// How long a read waits for a lock before it gives up with `StoreBusy`.
pub const BUSY_TIMEOUT: Duration = Duration::from_millis(20);
/// Prepared statements kept: one per table's keyed read and scan shapes.
const STATEMENT_CACHE: usize = 512;

/// One row of a partition scan: its encoded clustering key, value and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRow {
    pub clustering: String,
    pub value: Vec<u8>,
    pub version: String,
}

/// A keyed read's row: its value and version.
pub type Found = (Vec<u8>, String);

/// A read-only connection to the store's file, closed by [`StoreReader::close`].
pub struct StoreReader {
    conn: Mutex<Option<Connection>>,
}

fn store_error(err: rusqlite::Error) -> CoreError {
    // SQLite's messages name the statement or the file, never the bound values.
    match err.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            CoreError::StoreBusy(err.to_string())
        }
        _ => CoreError::Store(err.to_string()),
    }
}

/// A BLOB as stored (TEXT read as its bytes).
fn bytes_at(row: &Row<'_>, i: usize) -> rusqlite::Result<Vec<u8>> {
    match row.get_ref(i)? {
        ValueRef::Blob(b) | ValueRef::Text(b) => Ok(b.to_vec()),
        other => Err(rusqlite::Error::InvalidColumnType(
            i,
            "value".into(),
            other.data_type(),
        )),
    }
}

/// The separator of an encoded key's parts (`crs.storage.keys.SEPARATOR`).
const SEPARATOR: char = '\x1f';

/// The key of the row an index row names: `sql` reads it; the index row's
/// value is appended as the last part of the partition key (`in_partition`)
/// or of the clustering key, after `head` (the encoded parts before it, empty
/// for none); `other` is the other half of the key, already encoded.
#[derive(Debug, Clone, Copy)]
pub struct NamedKey<'a> {
    pub sql: &'a str,
    pub head: &'a str,
    pub other: &'a str,
    pub in_partition: bool,
}

impl NamedKey<'_> {
    /// `(pk, ck)` of the row whose last key part is `id`.
    fn key(&self, id: &str) -> (String, String) {
        let joined = if self.head.is_empty() {
            id.to_owned()
        } else {
            format!("{}{SEPARATOR}{id}", self.head)
        };
        if self.in_partition {
            (joined, self.other.to_owned())
        } else {
            (self.other.to_owned(), joined)
        }
    }
}

/// An index row's value as a key part: UTF-8 text without control characters.
fn key_text(value: &[u8]) -> rusqlite::Result<&str> {
    match std::str::from_utf8(value) {
        Ok(text) if !text.chars().any(|c| c < ' ') => Ok(text),
        _ => Err(rusqlite::Error::InvalidColumnType(
            0,
            "index value that is not key text".into(),
            rusqlite::types::Type::Blob,
        )),
    }
}

/// The `(value, version)` of the one row `sql` selects for `(pk, ck, now)`.
fn one(
    conn: &Connection,
    sql: &str,
    pk: &str,
    ck: &str,
    now: f64,
) -> rusqlite::Result<Option<Found>> {
    conn.prepare_cached(sql)?
        .query_row(params![pk, ck, now], |row| {
            Ok((bytes_at(row, 0)?, row.get::<_, String>(1)?))
        })
        .optional()
}

/// [`one`] for each `(sql, pk, ck)`, in order.
fn each(
    conn: &Connection,
    reads: &[(&str, &str, &str)],
    now: f64,
) -> rusqlite::Result<Vec<Option<Found>>> {
    reads
        .iter()
        .map(|(sql, pk, ck)| one(conn, sql, pk, ck, now))
        .collect()
}

/// The `(clustering, value, version)` rows `sql` selects for `bound`.
fn rows(
    conn: &Connection,
    sql: &str,
    bound: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<Vec<ScanRow>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let found = stmt.query_map(bound, |row| {
        Ok(ScanRow {
            clustering: row.get(0)?,
            value: bytes_at(row, 1)?,
            version: row.get(2)?,
        })
    })?;
    found.collect()
}

/// `f` inside one read transaction: one snapshot of the file, and SQLite's
/// shared WAL lock taken once rather than once per statement. The transaction
/// ends whether `f` succeeds or not (a read transaction has nothing to keep:
/// ending it can only fail if it never began).
///
/// Inside a snapshot ([`StoreReader::begin`]) `f` runs in the snapshot's
/// transaction, which [`StoreReader::end`] ends.
fn in_transaction<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    if !conn.is_autocommit() {
        return f(conn);
    }
    conn.prepare_cached("BEGIN")?.execute([])?;
    let outcome = f(conn);
    let ended = conn.prepare_cached("COMMIT")?.execute([]);
    let value = outcome?;
    ended?;
    Ok(value)
}

impl StoreReader {
    /// Opens the existing store file `path` with a page cache of `cache_kib` KiB.
    pub fn open(path: &Path, cache_kib: u32) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(store_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(store_error)?;
        conn.pragma_update(None, "query_only", true)
            .map_err(store_error)?;
        conn.pragma_update(None, "cache_size", -i64::from(cache_kib))
            .map_err(store_error)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(StoreReader {
            conn: Mutex::new(Some(conn)),
        })
    }

    fn with_conn<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let guard = self
            .conn
            .lock()
            .map_err(|_| CoreError::Store("store reader lock poisoned".into()))?;
        let conn = guard
            .as_ref()
            .ok_or_else(|| CoreError::Store("store reader is closed".into()))?;
        f(conn).map_err(store_error)
    }

    /// The `(value, version)` of the one row `sql` selects for `(pk, ck, now)`.
    pub fn get(
        &self,
        sql: &str,
        pk: &str,
        ck: &str,
        now: f64,
    ) -> Result<Option<(Vec<u8>, String)>> {
        self.with_conn(|conn| one(conn, sql, pk, ck, now))
    }

    /// One `get` per `(sql, pk, ck)`, in order, inside one read transaction:
    /// the rows of one snapshot of the file, and SQLite's shared WAL lock taken
    /// once for the batch rather than once per statement.
    pub fn get_each(&self, reads: &[(&str, &str, &str)], now: f64) -> Result<Vec<Option<Found>>> {
        self.with_conn(|conn| in_transaction(conn, |conn| each(conn, reads, now)))
    }

    /// The keyed reads of `reads` and the rows of one partition scan (`scan`,
    /// bound as for [`StoreReader::scan`] without bounds: pk, now, limit), in
    /// one read transaction: two independent reads of one step of a lookup,
    /// from one snapshot.
    pub fn get_each_scan(
        &self,
        reads: &[(&str, &str, &str)],
        scan: (&str, &str, i64),
        now: f64,
    ) -> Result<(Vec<Option<Found>>, Vec<ScanRow>)> {
        let (sql, pk, limit) = scan;
        self.with_conn(|conn| {
            in_transaction(conn, |conn| {
                let found = each(conn, reads, now)?;
                Ok((found, rows(conn, sql, &[&pk, &now, &limit])?))
            })
        })
    }

    /// An index row (`index`: sql, pk, ck) and the row it names (`named`), in
    /// one read transaction. The index row's value is the UTF-8 text of the
    /// named row's last key part; `Ok((None, None))` when there is no index
    /// row, `Ok((Some(_), None))` when the named row is missing. An index
    /// value that is not key text (not UTF-8, or a control character, which no
    /// encoded key part holds) is a `Store` error.
    pub fn get_through(
        &self,
        index: (&str, &str, &str),
        named: &NamedKey<'_>,
        now: f64,
    ) -> Result<(Option<Found>, Option<Found>)> {
        self.with_conn(|conn| {
            in_transaction(conn, |conn| {
                let (sql, pk, ck) = index;
                let Some(found) = one(conn, sql, pk, ck, now)? else {
                    return Ok((None, None));
                };
                let id = key_text(&found.0)?;
                let (pk, ck) = named.key(id);
                let row = one(conn, named.sql, &pk, &ck, now)?;
                Ok((Some(found), row))
            })
        })
    }

    /// The `(clustering, value, version)` rows `sql` selects for its
    /// parameters: `pk`, `now`, then `after` and `before` when given, then
    /// `limit`.
    pub fn scan(
        &self,
        sql: &str,
        pk: &str,
        now: f64,
        after: Option<&str>,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ScanRow>> {
        self.with_conn(|conn| {
            let mut bound: Vec<&dyn rusqlite::ToSql> = vec![&pk, &now];
            if let Some(a) = after.as_ref() {
                bound.push(a);
            }
            if let Some(b) = before.as_ref() {
                bound.push(b);
            }
            bound.push(&limit);
            rows(conn, sql, &bound)
        })
    }

    /// Starts a snapshot: every read until [`StoreReader::end`] comes from one
    /// read transaction, so from one state of the file (the state when the
    /// first of them ran; `BEGIN` is deferred). A read that fails leaves the
    /// snapshot open. Starting one while one is open changes nothing.
    pub fn begin(&self) -> Result<()> {
        self.with_conn(|conn| {
            if conn.is_autocommit() {
                conn.prepare_cached("BEGIN")?.execute([])?;
            }
            Ok(())
        })
    }

    /// Ends the snapshot [`StoreReader::begin`] started, if one is open.
    pub fn end(&self) -> Result<()> {
        self.with_conn(|conn| {
            if !conn.is_autocommit() {
                conn.prepare_cached("COMMIT")?.execute([])?;
            }
            Ok(())
        })
    }

    /// Whether a snapshot is open.
    pub fn in_snapshot(&self) -> Result<bool> {
        self.with_conn(|conn| Ok(!conn.is_autocommit()))
    }

    /// Closes the connection; later reads fail with `Store("... closed")`.
    pub fn close(&self) {
        if let Ok(mut guard) = self.conn.lock() {
            guard.take();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GET: &str = "SELECT value, version FROM t WHERE pk=? AND ck=? AND (expires_at IS NULL OR expires_at > ?)";
    const SCAN: &str = "SELECT ck, value, version FROM t WHERE pk=? AND (expires_at IS NULL OR expires_at > ?) \
                        AND ck > ? ORDER BY ck LIMIT ?";

    fn store() -> (tempdir::Dir, StoreReader) {
        store_with(
            "('p', 'a', 'v1', x'7b7d', NULL), ('p', 'b', 'v2', x'5b5d', 10.0), \
             ('p', 'c', 'v3', x'3132', NULL), ('q', '', 'v4', x'00', NULL)",
        )
    }

    /// A store file with one table `t` (the embedded store's shape) holding `rows` (SQL VALUES).
    fn store_with(rows: &str) -> (tempdir::Dir, StoreReader) {
        let dir = tempdir::Dir::new();
        let path = dir.path().join("s.db");
        let w = Connection::open(&path).unwrap();
        w.execute_batch(&format!(
            "PRAGMA journal_mode=WAL; CREATE TABLE t (pk TEXT NOT NULL, ck TEXT NOT NULL, version TEXT NOT NULL, \
             value BLOB NOT NULL, expires_at REAL, PRIMARY KEY (pk, ck)) WITHOUT ROWID; \
             INSERT INTO t VALUES {rows};"
        ))
        .unwrap();
        let reader = StoreReader::open(&path, 1024).unwrap();
        (dir, reader)
    }

    #[test]
    fn get_reads_one_row_and_honours_expiry() {
        let (_dir, r) = store();
        assert_eq!(
            r.get(GET, "p", "a", 5.0).unwrap(),
            Some((b"{}".to_vec(), "v1".into()))
        );
        assert_eq!(
            r.get(GET, "p", "b", 5.0).unwrap(),
            Some((b"[]".to_vec(), "v2".into()))
        );
        assert_eq!(r.get(GET, "p", "b", 11.0).unwrap(), None, "expired");
        assert_eq!(r.get(GET, "p", "z", 5.0).unwrap(), None);
        assert_eq!(
            r.get(GET, "q", "", 5.0).unwrap(),
            Some((vec![0], "v4".into()))
        );
    }

    #[test]
    fn scan_binds_optional_bounds_in_order() {
        let (_dir, r) = store();
        let rows = r.scan(SCAN, "p", 11.0, Some("a"), None, 10).unwrap();
        let cks: Vec<&str> = rows.iter().map(|x| x.clustering.as_str()).collect();
        assert_eq!(cks, ["c"], "b expired, a excluded by the bound");
        let all = "SELECT ck, value, version FROM t WHERE pk=? AND (expires_at IS NULL OR expires_at > ?) \
                   ORDER BY ck LIMIT ?";
        assert_eq!(r.scan(all, "p", 5.0, None, None, 2).unwrap().len(), 2);
    }

    #[test]
    fn get_each_answers_in_order_from_one_transaction() {
        let (_dir, r) = store();
        let reads = [
            (GET, "p", "c"),
            (GET, "p", "z"),
            (GET, "p", "b"),
            (GET, "q", ""),
        ];
        assert_eq!(
            r.get_each(&reads, 11.0).unwrap(),
            vec![
                Some((b"12".to_vec(), "v3".into())),
                None,
                None, // expired at 11.0
                Some((vec![0], "v4".into())),
            ]
        );
        assert_eq!(r.get_each(&[], 1.0).unwrap(), vec![]);
        // a failing statement ends the transaction: the next batch and reads still work
        assert!(
            r.get_each(&[(GET, "p", "a"), ("SELECT nope", "p", "a")], 1.0)
                .is_err()
        );
        assert_eq!(r.get_each(&reads[..1], 1.0).unwrap().len(), 1);
        assert!(r.get(GET, "p", "a", 1.0).unwrap().is_some());
    }

    #[test]
    fn get_each_scan_reads_both_from_one_transaction() {
        let (_dir, r) = store();
        let all = "SELECT ck, value, version FROM t WHERE pk=? AND (expires_at IS NULL OR expires_at > ?) \
                   ORDER BY ck LIMIT ?";
        let (found, rows) = r
            .get_each_scan(&[(GET, "q", ""), (GET, "p", "z")], (all, "p", 10), 11.0)
            .unwrap();
        assert_eq!(found, vec![Some((vec![0], "v4".into())), None]);
        let cks: Vec<&str> = rows.iter().map(|x| x.clustering.as_str()).collect();
        assert_eq!(cks, ["a", "c"], "b expired at 11.0");
        assert!(r.get_each_scan(&[], ("SELECT nope", "p", 1), 1.0).is_err());
        assert!(
            r.get(GET, "p", "a", 1.0).unwrap().is_some(),
            "the failed read ended its transaction"
        );
    }

    #[test]
    fn get_through_follows_an_index_row_to_the_row_it_names() {
        let (_dir, r) = store_with(
            "('ix\x1ftok', '', 'i1', CAST('c7' AS BLOB), NULL), \
             ('ix\x1fgone', '', 'i2', CAST('c9' AS BLOB), NULL), \
             ('ix\x1fbad', '', 'i3', x'63ff', NULL), ('ix\x1fctl', '', 'i4', x'630a', NULL), \
             ('ten\x1fc7', '', 'v7', x'7b7d', NULL), ('acct', 'ten\x1fc7', 'v8', x'5b5d', NULL)",
        );
        let by_id = NamedKey {
            sql: GET,
            head: "ten",
            other: "",
            in_partition: true,
        };
        let (index, row) = r.get_through((GET, "ix\x1ftok", ""), &by_id, 1.0).unwrap();
        assert_eq!(index, Some((b"c7".to_vec(), "i1".into())));
        assert_eq!(row, Some((b"{}".to_vec(), "v7".into())));
        let clustered = NamedKey {
            sql: GET,
            head: "ten",
            other: "acct",
            in_partition: false,
        };
        let (_, row) = r
            .get_through((GET, "ix\x1ftok", ""), &clustered, 1.0)
            .unwrap();
        assert_eq!(row, Some((b"[]".to_vec(), "v8".into())));
        let bare = NamedKey { head: "", ..by_id };
        assert_eq!(
            r.get_through((GET, "ix\x1ftok", ""), &bare, 1.0).unwrap().1,
            None
        );
        assert_eq!(
            r.get_through((GET, "ix\x1fnone", ""), &by_id, 1.0).unwrap(),
            (None, None)
        );
        let (index, row) = r.get_through((GET, "ix\x1fgone", ""), &by_id, 1.0).unwrap();
        assert_eq!(
            (index.map(|f| f.1), row),
            (Some("i2".into()), None),
            "index row without its row"
        );
        for not_text in ["ix\x1fbad", "ix\x1fctl"] {
            let err = r.get_through((GET, not_text, ""), &by_id, 1.0).unwrap_err();
            assert!(
                matches!(&err, CoreError::Store(m) if m.contains("not key text")),
                "{err:?}"
            );
        }
        assert!(
            r.get(GET, "ten\x1fc7", "", 1.0).unwrap().is_some(),
            "transactions ended"
        );
    }

    #[test]
    fn a_snapshot_reads_one_state_of_the_file_until_it_ends() {
        let (dir, r) = store();
        let w = Connection::open(dir.path().join("s.db")).unwrap();
        let set = |value: &str| {
            w.execute("UPDATE t SET version=? WHERE pk='p' AND ck='a'", [value])
                .unwrap();
        };
        let version = |r: &StoreReader| r.get(GET, "p", "a", 1.0).unwrap().unwrap().1;
        assert!(!r.in_snapshot().unwrap());
        r.begin().unwrap();
        r.begin().unwrap(); // nested: the same snapshot
        assert!(r.in_snapshot().unwrap());
        assert_eq!(version(&r), "v1", "the first read fixes the snapshot");
        set("w1");
        assert_eq!(version(&r), "v1", "get");
        assert_eq!(
            r.get_each(&[(GET, "p", "a")], 1.0).unwrap()[0]
                .as_ref()
                .unwrap()
                .1,
            "v1"
        );
        let (found, rows) = r
            .get_each_scan(
                &[(GET, "p", "a")],
                (
                    "SELECT ck, value, version FROM t WHERE pk=? AND \
              (expires_at IS NULL OR expires_at > ?) ORDER BY ck LIMIT ?",
                    "p",
                    1,
                ),
                1.0,
            )
            .unwrap();
        assert_eq!(
            (
                found[0].as_ref().unwrap().1.as_str(),
                rows[0].version.as_str()
            ),
            ("v1", "v1")
        );
        assert!(r.get_each(&[("SELECT nope", "p", "a")], 1.0).is_err());
        assert!(
            r.in_snapshot().unwrap(),
            "a failed read leaves the snapshot open"
        );
        assert_eq!(version(&r), "v1");
        r.end().unwrap();
        assert!(!r.in_snapshot().unwrap());
        assert_eq!(version(&r), "w1", "after the snapshot: the latest state");
        r.end().unwrap(); // no snapshot: nothing to end
        r.close();
        assert!(r.begin().is_err() && r.end().is_err() && r.in_snapshot().is_err());
    }

    #[test]
    fn reader_cannot_write_and_fails_after_close() {
        let (_dir, r) = store();
        let err = r.get(
            "INSERT INTO t VALUES (?, ?, 'x', x'00', ?) RETURNING value, version",
            "p",
            "n",
            1.0,
        );
        assert!(matches!(err, Err(CoreError::Store(_))), "{err:?}");
        r.close();
        assert!(matches!(
            r.get(GET, "p", "a", 5.0),
            Err(CoreError::Store(_))
        ));
    }

    /// A temporary directory removed on drop (no extra dev-dependency).
    mod tempdir {
        use std::path::{Path, PathBuf};
        use std::sync::atomic::{AtomicUsize, Ordering};

        static NEXT: AtomicUsize = AtomicUsize::new(0);

        pub struct Dir(PathBuf);

        impl Dir {
            pub fn new() -> Dir {
                let n = NEXT.fetch_add(1, Ordering::Relaxed);
                let p = std::env::temp_dir()
                    .join(format!("crs-core-reader-{}-{n}", std::process::id()));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
            pub fn path(&self) -> &Path {
                &self.0
            }
        }

        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}
