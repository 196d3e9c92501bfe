//! The crate's single error type and its mapping onto Python exceptions.
//!
//! Every message is static text or built only from non-secret metadata (key
//! ids, file paths, I/O error kinds). No message ever contains PAN digits,
//! plaintext, or key material.

use std::fmt;

use pyo3::PyErr;

/// Python exception classes (`crs._core.CoreError` and its subclasses).
///
/// Kept in their own namespace because the Python base class shares its name
/// with the Rust [`CoreError`](super::CoreError) enum.
pub mod exceptions {
    use pyo3::create_exception;
    use pyo3::exceptions::PyValueError;

    create_exception!(
        crs._core,
        CoreError,
        PyValueError,
        "Base class of every error raised by crs._core."
    );
    create_exception!(
        crs._core,
        InvalidPanError,
        CoreError,
        "The input is not a valid PAN; args[0] is a short reason that never contains the PAN."
    );
    create_exception!(
        crs._core,
        KeyRingError,
        CoreError,
        "The key ring could not be loaded, generated or used (messages never contain key material)."
    );
    create_exception!(
        crs._core,
        DecryptionError,
        CoreError,
        "Authenticated decryption failed (wrong key, tenant, token, context, or tampered data)."
    );
    create_exception!(
        crs._core,
        StoreReadError,
        CoreError,
        "A read of the embedded store's file failed (the message names the statement or file, never a value)."
    );
    create_exception!(
        crs._core,
        StoreBusyError,
        StoreReadError,
        "The embedded store's file was locked longer than the reader waits while holding the GIL; retry elsewhere."
    );
    create_exception!(
        crs._core,
        StoreKeyError,
        CoreError,
        "A keyed read's key the reader does not encode (unregistered table, wrong shape, or a part that is \
         neither key text nor a key integer): the store encodes it in Python, which raises the exact error."
    );
    create_exception!(
        crs._core,
        CqlError,
        CoreError,
        "The Cassandra reader could not connect, prepare or submit (the message names the error, never a value)."
    );
    create_exception!(
        crs._core,
        SnapshotError,
        CoreError,
        "A cluster index snapshot could not be written or read (I/O error, truncated, corrupt, or unsupported)."
    );
}

/// `Result` alias used throughout the crate.
pub type Result<T> = std::result::Result<T, CoreError>;

/// Why a string was rejected as a PAN. The reason text is safe to show to
/// callers and to log: it never includes the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PanError {
    /// Something other than ASCII digits, spaces and '-' was present.
    NonDigit,
    /// Fewer than 12 or more than 19 digits.
    Length,
    /// The Luhn (mod 10) check digit does not match.
    Luhn,
}

impl PanError {
    /// Stable reason text (also used as the per-item error in batch results).
    pub const fn message(self) -> &'static str {
        match self {
            PanError::NonDigit => "PAN must contain only digits",
            PanError::Length => "PAN length must be 12 to 19 digits",
            PanError::Luhn => "PAN fails the Luhn check",
        }
    }
}

impl fmt::Display for PanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for PanError {}

/// The one error enum of the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoreError {
    /// Input is not a valid PAN (→ `InvalidPanError`).
    InvalidPan(PanError),
    /// Key file / key ring problem (→ `KeyRingError`). The message carries
    /// only ids, paths and error kinds, never key bytes.
    KeyRing(String),
    /// Authenticated decryption failed (→ `DecryptionError`).
    Decryption,
    /// A caller-supplied argument is malformed (→ `CoreError`).
    InvalidArgument(&'static str),
    /// The operating system random number generator failed (→ `CoreError`).
    Random,
    /// A primitive rejected its input in a way that cannot happen with the
    /// sizes this crate uses (→ `CoreError`).
    Crypto(&'static str),
    /// A cluster index snapshot could not be written or read (→
    /// `SnapshotError`). The message carries only paths, error kinds and
    /// format facts.
    Snapshot(String),
    /// A read of the embedded store failed (→ `StoreReadError`).
    Store(String),
    /// The embedded store was locked past the reader's short wait (→
    /// `StoreBusyError`).
    StoreBusy(String),
    /// The Cassandra reader could not connect, prepare or submit (→
    /// `CqlError`). The message comes from the driver and names the error.
    Cql(String),
    /// A keyed read's key that `store_keys` leaves to Python (→
    /// `StoreKeyError`).
    StoreKey,
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::InvalidPan(reason) => f.write_str(reason.message()),
            CoreError::KeyRing(msg) => f.write_str(msg),
            CoreError::Decryption => f.write_str("decryption failed"),
            CoreError::InvalidArgument(msg) => f.write_str(msg),
            CoreError::Random => f.write_str("operating system random number generator failed"),
            CoreError::Crypto(msg) => write!(f, "cryptographic operation failed: {msg}"),
            CoreError::Snapshot(msg) => f.write_str(msg),
            CoreError::Store(msg) | CoreError::StoreBusy(msg) => write!(f, "store read: {msg}"),
            CoreError::Cql(msg) => write!(f, "cassandra read: {msg}"),
            CoreError::StoreKey => f.write_str("key not encoded by the reader"),
        }
    }
}

impl std::error::Error for CoreError {}

impl From<PanError> for CoreError {
    fn from(reason: PanError) -> Self {
        CoreError::InvalidPan(reason)
    }
}

impl From<getrandom::Error> for CoreError {
    fn from(_: getrandom::Error) -> Self {
        CoreError::Random
    }
}

impl From<aes_gcm::Error> for CoreError {
    /// The AEAD crate's error is opaque; it only arises from a failed tag
    /// check (or absurd lengths), so it maps to a decryption failure.
    fn from(_: aes_gcm::Error) -> Self {
        CoreError::Decryption
    }
}

impl From<serde_json::Error> for CoreError {
    /// serde_json messages can quote fragments of the input (which may be
    /// key material), so only the category and position are kept.
    fn from(err: serde_json::Error) -> Self {
        use serde_json::error::Category;
        let what = match err.classify() {
            Category::Io => "could not be read",
            Category::Syntax | Category::Eof => "is not valid JSON",
            Category::Data => "does not match the key file schema",
        };
        CoreError::KeyRing(format!(
            "key ring JSON {what} (line {}, column {})",
            err.line(),
            err.column()
        ))
    }
}

impl From<CoreError> for PyErr {
    fn from(err: CoreError) -> PyErr {
        let msg = err.to_string();
        match err {
            CoreError::InvalidPan(_) => exceptions::InvalidPanError::new_err(msg),
            CoreError::KeyRing(_) => exceptions::KeyRingError::new_err(msg),
            CoreError::Decryption => exceptions::DecryptionError::new_err(msg),
            CoreError::Snapshot(_) => exceptions::SnapshotError::new_err(msg),
            CoreError::Store(_) => exceptions::StoreReadError::new_err(msg),
            CoreError::StoreBusy(_) => exceptions::StoreBusyError::new_err(msg),
            CoreError::Cql(_) => exceptions::CqlError::new_err(msg),
            CoreError::StoreKey => exceptions::StoreKeyError::new_err(msg),
            CoreError::InvalidArgument(_) | CoreError::Random | CoreError::Crypto(_) => {
                exceptions::CoreError::new_err(msg)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pan_reasons_are_stable() {
        assert_eq!(
            CoreError::from(PanError::NonDigit).to_string(),
            "PAN must contain only digits"
        );
        assert_eq!(
            CoreError::from(PanError::Length).to_string(),
            "PAN length must be 12 to 19 digits"
        );
        assert_eq!(
            CoreError::from(PanError::Luhn).to_string(),
            "PAN fails the Luhn check"
        );
    }

    #[test]
    fn json_errors_do_not_quote_input() {
        let secret = "c2VjcmV0LWtleS1tYXRlcmlhbA==";
        let text = format!("{{\"version\": \"{secret}\"}}");
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct V {
            version: u32,
        }
        let err = serde_json::from_str::<V>(&text).map(|_| ()).unwrap_err();
        let msg = CoreError::from(err).to_string();
        assert!(!msg.contains(secret), "{msg}");
        assert!(msg.contains("schema"), "{msg}");
    }
}
