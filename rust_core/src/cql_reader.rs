//! Keyed reads of the Cassandra store, off the GIL, on a native CQL client.
//!
//! The Python driver costs 360-510 µs of CPU per keyed read on the benchmark
//! machine over the same read from SQLite (two Python threads, the reactor and
//! the event loop, hand the GIL and the result back and forth for every
//! query); through this client the read costs 160-210 µs, about 60 µs of it on
//! the client's own thread (BENCHMARKS.md §4). The store keeps its writes,
//! lightweight transactions and schema work on the Python driver; only reads
//! come here.
//!
//! Shape: one `scylla` session on a small tokio runtime of its own. The event
//! loop submits a prepared statement, its bound values and a tag, and returns
//! at once; the query runs on the runtime's thread, which never touches Python.
//! Each finished query is pushed onto a completion list, and the first push
//! after a drain writes one byte to a socket pair whose read end the event loop
//! watches (`fileno`). The loop then takes every finished query in one call
//! (`take`) and resolves its futures. So a burst of answers costs one wake-up.
//!
//! Every statement runs with the profile the Python driver's reads use:
//! LOCAL_QUORUM, token-aware routing within the local datacenter (no failover
//! to other datacenters), a client timeout, and one speculative execution
//! after a delay for idempotent statements (every statement prepared here is a
//! read, so all are marked idempotent).
//!
//! Errors are data, not exceptions, once a query is submitted: `Unavailable`
//! for what a retry may cure (timeouts, unavailable or overloaded replicas,
//! broken connections), `Failed` for the rest (a bad statement is a bug). Their
//! messages come from the driver and name the error, never a bound value.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::errors::{ExecutionError, RequestAttemptError};
use scylla::policies::load_balancing::DefaultPolicy;
use scylla::policies::speculative_execution::SimpleSpeculativeExecutionPolicy;
use scylla::statement::Consistency;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::{CqlValue, Row};
use tokio::runtime::Runtime;

use crate::cql_tls::{self, TlsSettings};
use crate::errors::{CoreError, Result};

/// How the reader reaches the cluster.
#[derive(Debug, Clone)]
pub struct CqlConfig {
    /// `host:port` of the contact points.
    pub nodes: Vec<String>,
    /// Reads are routed to replicas in this datacenter only.
    pub local_dc: String,
    /// The keyspace whose replication the session fetches for token-aware routing (the only one it reads).
    pub keyspace: String,
    /// Client-side timeout of one query (all its attempts).
    pub request_timeout: Duration,
    /// Delay before the one speculative execution; `None` disables it.
    pub speculative_delay: Option<Duration>,
    /// Timeout of establishing the session.
    pub connect_timeout: Duration,
    /// Role name and password (PasswordAuthenticator), or `None` to connect without.
    pub credentials: Option<Credentials>,
    /// TLS to every node, or `None` for plaintext.
    pub tls: Option<TlsSettings>,
}

/// A role's name and password; `Debug` never shows the password.
#[derive(Clone)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The result of one submitted query.
#[derive(Debug)]
pub enum Outcome {
    /// The rows, each a list of nullable column values.
    Rows(Vec<Row>),
    /// The query may succeed when retried (timeout, replicas unavailable or overloaded, connection lost).
    Unavailable(String),
    /// The query cannot succeed as written (a bug in the statement or its values).
    Failed(String),
}

/// Finished queries not yet taken by the event loop, and whether the wake-up
/// byte for them has been written.
struct Pending {
    done: Vec<(u64, Outcome)>,
    signalled: bool,
}

struct Completions {
    pending: Mutex<Pending>,
    wake_tx: UnixStream,
    wake_rx: UnixStream,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks leaves plain data behind; keep serving.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Completions {
    fn new() -> std::io::Result<Self> {
        let (wake_tx, wake_rx) = UnixStream::pair()?;
        wake_tx.set_nonblocking(true)?;
        wake_rx.set_nonblocking(true)?;
        Ok(Completions {
            pending: Mutex::new(Pending {
                done: Vec::new(),
                signalled: false,
            }),
            wake_tx,
            wake_rx,
        })
    }

    fn push(&self, tag: u64, outcome: Outcome) {
        let mut p = lock(&self.pending);
        p.done.push((tag, outcome));
        if !p.signalled {
            p.signalled = true;
            // Non-blocking: if the socket buffer were full, a wake-up is already pending.
            let _ = (&self.wake_tx).write(&[1]);
        }
    }

    fn take(&self) -> Vec<(u64, Outcome)> {
        // Drain the wake-up bytes first, then the list: a query finishing in between either lands in this
        // take or, finding `signalled` cleared, writes a fresh byte.
        let mut buf = [0u8; 256];
        loop {
            match (&self.wake_rx).read(&mut buf) {
                Ok(0) => break,
                Ok(n) if n < buf.len() => break,
                Ok(_) => continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break, // WouldBlock: nothing (more) to read
            }
        }
        let mut p = lock(&self.pending);
        p.signalled = false;
        std::mem::take(&mut p.done)
    }
}

/// A CQL session for keyed reads, with a completion list the event loop drains.
pub struct CqlReader {
    runtime: Mutex<Option<Runtime>>,
    session: RwLock<Option<Arc<Session>>>,
    statements: RwLock<Vec<Arc<PreparedStatement>>>,
    completions: Arc<Completions>,
}

/// Whether a failed query may succeed on a retry.
fn classify(err: &ExecutionError) -> Outcome {
    use scylla::errors::DbError;
    let msg = err.to_string();
    let retryable = match err {
        ExecutionError::BadQuery(_) | ExecutionError::PrepareError(_) => false,
        ExecutionError::LastAttemptError(RequestAttemptError::DbError(db, _)) => matches!(
            db,
            DbError::Unavailable { .. }
                | DbError::Overloaded
                | DbError::IsBootstrapping
                | DbError::ReadTimeout { .. }
                | DbError::WriteTimeout { .. }
                | DbError::ReadFailure { .. }
                | DbError::WriteFailure { .. }
                | DbError::ServerError
                | DbError::RateLimitReached { .. }
        ),
        ExecutionError::LastAttemptError(
            RequestAttemptError::SerializationError(_)
            | RequestAttemptError::CqlRequestSerialization(_),
        ) => false,
        _ => true,
    };
    if retryable {
        Outcome::Unavailable(msg)
    } else {
        Outcome::Failed(msg)
    }
}

impl CqlReader {
    /// Connects to the cluster (blocks until the session is up or fails).
    pub fn connect(config: &CqlConfig) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("crs-cql")
            .enable_all()
            .build()
            .map_err(|e| CoreError::Cql(format!("cannot start the CQL runtime: {e}")))?;
        let policy = DefaultPolicy::builder()
            .prefer_datacenter(config.local_dc.clone())
            .token_aware(true)
            .permit_dc_failover(false)
            .build();
        let speculative = config.speculative_delay.map(|delay| {
            Arc::new(SimpleSpeculativeExecutionPolicy {
                max_retry_count: 1,
                retry_interval: delay,
            })
                as Arc<dyn scylla::policies::speculative_execution::SpeculativeExecutionPolicy>
        });
        let profile = ExecutionProfile::builder()
            .consistency(Consistency::LocalQuorum)
            .request_timeout(Some(config.request_timeout))
            .load_balancing_policy(policy)
            .speculative_execution_policy(speculative)
            .build();
        let tls = config
            .tls
            .as_ref()
            .map(cql_tls::client_config)
            .transpose()?;
        let mut builder = SessionBuilder::new()
            .known_nodes(&config.nodes)
            .connection_timeout(config.connect_timeout)
            // Routing needs the keyspace's replication and its tables' partitioners, not every keyspace's
            // columns and types (a test node holds hundreds of keyspaces).
            .keyspaces_to_fetch([config.keyspace.clone()])
            .fetch_full_schema_metadata(false)
            .default_execution_profile_handle(profile.into_handle())
            .tls_context(tls);
        if let Some(c) = &config.credentials {
            builder = builder.user(c.username.clone(), c.password.clone());
        }
        let session = runtime
            .block_on(builder.build())
            .map_err(|e| CoreError::Cql(format!("cannot connect: {e}")))?;
        let completions = Completions::new().map_err(|e| {
            CoreError::Cql(format!("cannot create the wake-up socket: {}", e.kind()))
        })?;
        Ok(CqlReader {
            runtime: Mutex::new(Some(runtime)),
            session: RwLock::new(Some(Arc::new(session))),
            statements: RwLock::new(Vec::new()),
            completions: Arc::new(completions),
        })
    }

    fn session(&self) -> Result<Arc<Session>> {
        self.session
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| CoreError::Cql("the reader is closed".into()))
    }

    /// Prepares a read statement (blocks); returns its number for `submit`.
    pub fn prepare(&self, cql: &str) -> Result<usize> {
        let session = self.session()?;
        let guard = lock(&self.runtime);
        let runtime = guard
            .as_ref()
            .ok_or_else(|| CoreError::Cql("the reader is closed".into()))?;
        let mut prepared = runtime
            .block_on(session.prepare(cql))
            .map_err(|e| CoreError::Cql(format!("cannot prepare a statement: {e}")))?;
        prepared.set_is_idempotent(true);
        let mut statements = self
            .statements
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        statements.push(Arc::new(prepared));
        Ok(statements.len() - 1)
    }

    /// Starts statement `statement` with `values`; its outcome is taken later under `tag`.
    pub fn submit(&self, statement: usize, values: Vec<CqlValue>, tag: u64) -> Result<()> {
        let prepared = self
            .statements
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(statement)
            .cloned()
            .ok_or(CoreError::InvalidArgument("unknown statement number"))?;
        let session = self.session()?;
        let completions = Arc::clone(&self.completions);
        let guard = lock(&self.runtime);
        let runtime = guard
            .as_ref()
            .ok_or_else(|| CoreError::Cql("the reader is closed".into()))?;
        runtime.spawn(async move {
            let outcome = match session.execute_unpaged(&prepared, values).await {
                Ok(result) => match result.into_rows_result() {
                    Ok(rows) => match rows.rows::<Row>() {
                        Ok(iter) => match iter.collect::<std::result::Result<Vec<Row>, _>>() {
                            Ok(rows) => Outcome::Rows(rows),
                            Err(e) => Outcome::Failed(format!("cannot decode a row: {e}")),
                        },
                        Err(e) => Outcome::Failed(format!("unexpected columns: {e}")),
                    },
                    Err(e) => Outcome::Failed(format!("not a rows result: {e}")),
                },
                Err(e) => classify(&e),
            };
            completions.push(tag, outcome);
        });
        Ok(())
    }

    /// The descriptor that becomes readable when finished queries are waiting.
    pub fn fileno(&self) -> i32 {
        self.completions.wake_rx.as_raw_fd()
    }

    /// Every finished query not taken yet, in completion order.
    pub fn take(&self) -> Vec<(u64, Outcome)> {
        self.completions.take()
    }

    /// Stops the session and its runtime; queries still running are abandoned (their outcome never
    /// arrives). Later calls fail with `CoreError::Cql`.
    pub fn close(&self) {
        let session = self
            .session
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let runtime = lock(&self.runtime).take();
        if let Some(runtime) = runtime {
            {
                let _inside = runtime.enter();
                drop(session);
            }
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

impl Drop for CqlReader {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wake_up_byte_is_written_once_per_drain() {
        let c = Completions::new().unwrap();
        // Bytes waiting on the read end (consumed here; `take` drains whatever is left).
        let bytes = |c: &Completions| (&c.wake_rx).read(&mut [0u8; 8]).unwrap_or(0);
        c.push(1, Outcome::Rows(Vec::new()));
        c.push(2, Outcome::Unavailable("x".into()));
        assert_eq!(bytes(&c), 1);
        let taken = c.take();
        assert_eq!(taken.iter().map(|(t, _)| *t).collect::<Vec<_>>(), [1, 2]);
        assert!(c.take().is_empty());
        c.push(3, Outcome::Failed("y".into()));
        c.push(4, Outcome::Failed("z".into()));
        let taken = c.take(); // drains the byte itself
        assert_eq!(taken.iter().map(|(t, _)| *t).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(bytes(&c), 0);
        c.push(5, Outcome::Rows(Vec::new()));
        assert_eq!(bytes(&c), 1);
    }

    #[test]
    fn connecting_to_nothing_fails_with_a_message() {
        let config = CqlConfig {
            nodes: vec!["127.0.0.1:1".into()],
            local_dc: "dc1".into(),
            keyspace: "crs".into(),
            request_timeout: Duration::from_secs(1),
            speculative_delay: None,
            connect_timeout: Duration::from_millis(500),
            credentials: None,
            tls: None,
        };
        match CqlReader::connect(&config) {
            Err(CoreError::Cql(msg)) => assert!(msg.starts_with("cannot connect"), "{msg}"),
            Err(other) => panic!("unexpected error {other:?}"),
            Ok(_) => panic!("connected to a closed port"),
        }
    }
}
