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
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            stmt.query_row(params![pk, ck, now], |row| {
                Ok((bytes_at(row, 0)?, row.get::<_, String>(1)?))
            })
            .optional()
        })
    }

    /// One `get` per `(sql, pk, ck)`, in order, inside one read transaction:
    /// the rows of one snapshot of the file, and SQLite's shared WAL lock taken
    /// once for the batch rather than once per statement.
    pub fn get_each(&self, reads: &[(&str, &str, &str)], now: f64) -> Result<Vec<Option<Found>>> {
        self.with_conn(|conn| {
            conn.prepare_cached("BEGIN")?.execute([])?;
            let mut found = Vec::with_capacity(reads.len());
            let mut outcome = Ok(());
            for (sql, pk, ck) in reads {
                let one = conn.prepare_cached(sql).and_then(|mut stmt| {
                    stmt.query_row(params![pk, ck, now], |row| {
                        Ok((bytes_at(row, 0)?, row.get::<_, String>(1)?))
                    })
                    .optional()
                });
                match one {
                    Ok(row) => found.push(row),
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                }
            }
            // A read transaction has nothing to keep: ending it can only fail if it never began.
            let ended = conn.prepare_cached("COMMIT")?.execute([]);
            outcome?;
            ended?;
            Ok(found)
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
            let mut stmt = conn.prepare_cached(sql)?;
            let mut bound: Vec<&dyn rusqlite::ToSql> = vec![&pk, &now];
            if let Some(a) = after.as_ref() {
                bound.push(a);
            }
            if let Some(b) = before.as_ref() {
                bound.push(b);
            }
            bound.push(&limit);
            let rows = stmt.query_map(bound.as_slice(), |row| {
                Ok(ScanRow {
                    clustering: row.get(0)?,
                    value: bytes_at(row, 1)?,
                    version: row.get(2)?,
                })
            })?;
            rows.collect()
        })
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
        let dir = tempdir::Dir::new();
        let path = dir.path().join("s.db");
        let w = Connection::open(&path).unwrap();
        w.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE t (pk TEXT NOT NULL, ck TEXT NOT NULL, version TEXT NOT NULL, \
             value BLOB NOT NULL, expires_at REAL, PRIMARY KEY (pk, ck)) WITHOUT ROWID; \
             INSERT INTO t VALUES ('p', 'a', 'v1', x'7b7d', NULL), ('p', 'b', 'v2', x'5b5d', 10.0), \
             ('p', 'c', 'v3', x'3132', NULL), ('q', '', 'v4', x'00', NULL);",
        )
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
