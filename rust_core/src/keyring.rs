//! Key material: the key ring (AES-256-GCM encryption keys plus one index
//! key), loading it from JSON text / a file / an environment variable,
//! generating a fresh key file, and HKDF-SHA256 derivation of per-tenant and
//! per-purpose HMAC keys from the index key.
//!
//! Key bytes live in [`SecretKey`] (zeroised on drop, redacted `Debug`).
//! Error messages carry key ids, paths and error kinds only.
//!
//! Key file format (version 1):
//!
//! ```json
//! {"version": 1, "active_key_id": "k2",
//!  "encryption_keys": {"k1": "<base64 32 bytes>", "k2": "<base64 32 bytes>"},
//!  "index_key": {"id": "i1", "key": "<base64 32 bytes>"}}
//! ```
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::errors::{CoreError, Result};

/// Length of every key in the ring.
pub const KEY_LEN: usize = 32;
/// Only key file version understood.
pub const KEY_FILE_VERSION: u32 = 1;
/// HKDF salt for all derivations.
pub const HKDF_SALT: &[u8] = b"crs-v1";
/// Longest accepted key id.
pub const MAX_KEY_ID_LEN: usize = 32;
/// Longest accepted tenant id (bytes).
pub const MAX_TENANT_LEN: usize = 128;
/// Derived keys cached per ring before the cache is flushed.
const MAX_CACHED_DERIVATIONS: usize = 4096;

/// 32 bytes of key material, wiped on drop, never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; KEY_LEN]);

impl SecretKey {
    /// Wrap raw key bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> SecretKey {
        SecretKey(bytes)
    }

    /// Fresh key from the OS random number generator.
    pub fn random() -> Result<SecretKey> {
        let mut key = SecretKey([0u8; KEY_LEN]);
        getrandom::fill(&mut key.0)?;
        Ok(key)
    }

    /// Borrow the key bytes.
    pub fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Decode a base64 (standard alphabet, padded) key of exactly 32 bytes.
    /// `what` names the key in the error message (e.g. "encryption key 'k1'").
    fn from_base64(encoded: &str, what: &str) -> Result<SecretKey> {
        let decoded = Zeroizing::new(
            B64.decode(encoded.trim())
                .map_err(|_| CoreError::KeyRing(format!("{what} is not valid base64")))?,
        );
        let bytes: &[u8; KEY_LEN] = decoded.as_slice().try_into().map_err(|_| {
            CoreError::KeyRing(format!(
                "{what} must be exactly {KEY_LEN} bytes (got {})",
                decoded.len()
            ))
        })?;
        Ok(SecretKey(*bytes))
    }

    fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(B64.encode(self.0))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// True if `id` matches `^[A-Za-z0-9_.-]{1,32}$`.
pub fn is_valid_key_id(id: &str) -> bool {
    (1..=MAX_KEY_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Tenant ids are part of HKDF `info` strings and of AEAD associated data,
/// where '|' is the field separator; rejecting '|' (and control characters)
/// keeps every encoding unambiguous, so no two tenants can share a key or
/// an AAD.
pub fn validate_tenant(tenant: &str) -> Result<()> {
    if tenant.is_empty() || tenant.len() > MAX_TENANT_LEN {
        return Err(CoreError::InvalidArgument(
            "tenant id must be 1 to 128 bytes",
        ));
    }
    if tenant.chars().any(|c| c == '|' || c.is_control()) {
        return Err(CoreError::InvalidArgument(
            "tenant id must not contain '|' or control characters",
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileIn {
    version: u32,
    active_key_id: String,
    encryption_keys: BTreeMap<String, Zeroizing<String>>,
    index_key: IndexKeyIn,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexKeyIn {
    id: String,
    key: Zeroizing<String>,
}

#[derive(Serialize)]
struct KeyFileOut<'a> {
    version: u32,
    active_key_id: &'a str,
    encryption_keys: BTreeMap<&'a str, Zeroizing<String>>,
    index_key: IndexKeyOut<'a>,
}

#[derive(Serialize)]
struct IndexKeyOut<'a> {
    id: &'a str,
    key: Zeroizing<String>,
}

/// The service's key ring. Immutable after loading apart from the cache of
/// HKDF-derived keys; `Send + Sync`, so it is shared freely across threads.
pub struct KeyRing {
    active_key_id: String,
    encryption_keys: BTreeMap<String, SecretKey>,
    index_key_id: String,
    index_key: SecretKey,
    derived: RwLock<HashMap<Vec<u8>, Arc<SecretKey>>>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("active_key_id", &self.active_key_id)
            .field("key_ids", &self.key_ids())
            .field("index_key_id", &self.index_key_id)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// Build a ring from parts, validating ids and the active key.
    pub fn new(
        active_key_id: &str,
        encryption_keys: BTreeMap<String, SecretKey>,
        index_key_id: &str,
        index_key: SecretKey,
    ) -> Result<KeyRing> {
        if encryption_keys.is_empty() {
            return Err(CoreError::KeyRing(
                "key ring has no encryption keys".to_owned(),
            ));
        }
        for id in encryption_keys.keys() {
            if !is_valid_key_id(id) {
                return Err(CoreError::KeyRing(
                    "encryption key ids must match ^[A-Za-z0-9_.-]{1,32}$".to_owned(),
                ));
            }
        }
        if !is_valid_key_id(index_key_id) {
            return Err(CoreError::KeyRing(
                "index key id must match ^[A-Za-z0-9_.-]{1,32}$".to_owned(),
            ));
        }
        if !is_valid_key_id(active_key_id) {
            return Err(CoreError::KeyRing(
                "active_key_id must match ^[A-Za-z0-9_.-]{1,32}$".to_owned(),
            ));
        }
        if !encryption_keys.contains_key(active_key_id) {
            return Err(CoreError::KeyRing(format!(
                "active_key_id '{active_key_id}' is not one of the encryption keys"
            )));
        }
        Ok(KeyRing {
            active_key_id: active_key_id.to_owned(),
            encryption_keys,
            index_key_id: index_key_id.to_owned(),
            index_key,
            derived: RwLock::new(HashMap::new()),
        })
    }

    /// Parse and validate key file JSON.
    pub fn from_json(data: &str) -> Result<KeyRing> {
        let file: KeyFileIn = serde_json::from_str(data)?;
        if file.version != KEY_FILE_VERSION {
            return Err(CoreError::KeyRing(format!(
                "unsupported key file version {} (expected {KEY_FILE_VERSION})",
                file.version
            )));
        }
        let mut keys = BTreeMap::new();
        for (id, encoded) in &file.encryption_keys {
            if !is_valid_key_id(id) {
                return Err(CoreError::KeyRing(
                    "encryption key ids must match ^[A-Za-z0-9_.-]{1,32}$".to_owned(),
                ));
            }
            let key = SecretKey::from_base64(encoded, &format!("encryption key '{id}'"))?;
            keys.insert(id.clone(), key);
        }
        if !is_valid_key_id(&file.index_key.id) {
            return Err(CoreError::KeyRing(
                "index key id must match ^[A-Za-z0-9_.-]{1,32}$".to_owned(),
            ));
        }
        let index_key = SecretKey::from_base64(
            &file.index_key.key,
            &format!("index key '{}'", file.index_key.id),
        )?;
        KeyRing::new(&file.active_key_id, keys, &file.index_key.id, index_key)
    }

    /// Read and parse a key file.
    pub fn from_file(path: &Path) -> Result<KeyRing> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CoreError::KeyRing(format!(
                "cannot read key file {}: {}",
                path.display(),
                io_kind(&e)
            ))
        })?;
        let text = Zeroizing::new(text);
        KeyRing::from_json(&text)
    }

    /// Parse the key file JSON held in environment variable `var`.
    pub fn from_env(var: &str) -> Result<KeyRing> {
        match std::env::var(var) {
            Ok(text) => KeyRing::from_json(&Zeroizing::new(text)),
            Err(std::env::VarError::NotPresent) => Err(CoreError::KeyRing(format!(
                "environment variable {var} is not set"
            ))),
            Err(std::env::VarError::NotUnicode(_)) => Err(CoreError::KeyRing(format!(
                "environment variable {var} is not valid UTF-8"
            ))),
        }
    }

    /// Write a new key file with fresh random keys: encryption key "k1"
    /// (active) and index key "i1". The file is created with mode 0600 and
    /// an existing file is never overwritten.
    pub fn generate(path: &Path) -> Result<()> {
        let k1 = SecretKey::random()?;
        let i1 = SecretKey::random()?;
        let mut encryption_keys = BTreeMap::new();
        encryption_keys.insert("k1", k1.to_base64());
        let out = KeyFileOut {
            version: KEY_FILE_VERSION,
            active_key_id: "k1",
            encryption_keys,
            index_key: IndexKeyOut {
                id: "i1",
                key: i1.to_base64(),
            },
        };
        let mut buf = Zeroizing::new(Vec::with_capacity(1024));
        serde_json::to_writer_pretty(&mut *buf, &out)
            .map_err(|_| CoreError::KeyRing("cannot serialise key file".to_owned()))?;
        buf.push(b'\n');

        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                CoreError::KeyRing(format!(
                    "key file {} already exists; refusing to overwrite it",
                    path.display()
                ))
            } else {
                CoreError::KeyRing(format!(
                    "cannot create key file {}: {}",
                    path.display(),
                    io_kind(&e)
                ))
            }
        })?;
        file.write_all(&buf)
            .and_then(|()| file.sync_all())
            .map_err(|e| {
                CoreError::KeyRing(format!(
                    "cannot write key file {}: {}",
                    path.display(),
                    io_kind(&e)
                ))
            })
    }

    /// Id of the key new ciphertexts are sealed under.
    pub fn active_key_id(&self) -> &str {
        &self.active_key_id
    }

    /// All encryption key ids, sorted.
    pub fn key_ids(&self) -> Vec<String> {
        self.encryption_keys.keys().cloned().collect()
    }

    /// Id of the index (HMAC root) key.
    pub fn index_key_id(&self) -> &str {
        &self.index_key_id
    }

    /// The active encryption key and its id.
    pub fn active_key(&self) -> Result<(&str, &SecretKey)> {
        let key = self.encryption_key(&self.active_key_id)?;
        Ok((self.active_key_id.as_str(), key))
    }

    /// Encryption key by id; `KeyRing` error (without echoing the id) if absent.
    pub fn encryption_key(&self, key_id: &str) -> Result<&SecretKey> {
        self.encryption_keys
            .get(key_id)
            .ok_or_else(|| CoreError::KeyRing("unknown encryption key id".to_owned()))
    }

    /// HKDF-SHA256(salt = "crs-v1", ikm = index key, info) → 32 bytes,
    /// memoised per `info`.
    pub fn derive(&self, info: &[u8]) -> Result<Arc<SecretKey>> {
        if let Ok(cache) = self.derived.read()
            && let Some(key) = cache.get(info)
        {
            return Ok(Arc::clone(key));
        }
        let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), self.index_key.bytes());
        let mut okm = SecretKey([0u8; KEY_LEN]);
        hk.expand(info, &mut okm.0)
            .map_err(|_| CoreError::Crypto("HKDF expand"))?;
        let key = Arc::new(okm);
        // A poisoned lock only means another thread panicked mid-insert; the
        // map is still a valid cache, so keep using it.
        let mut cache = self
            .derived
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if cache.len() >= MAX_CACHED_DERIVATIONS {
            cache.clear();
        }
        cache.insert(info.to_vec(), Arc::clone(&key));
        Ok(key)
    }

    /// Per-tenant PAN fingerprint key: info = "fingerprint|" + tenant.
    pub fn fingerprint_key(&self, tenant: &str) -> Result<Arc<SecretKey>> {
        validate_tenant(tenant)?;
        self.derive(&[b"fingerprint|", tenant.as_bytes()].concat())
    }

    /// Per-tenant, per-kind blind index key: info = "blind|" + tenant + "|" + kind.
    pub fn blind_index_key(&self, tenant: &str, kind: &str) -> Result<Arc<SecretKey>> {
        validate_tenant(tenant)?;
        if kind.is_empty() {
            return Err(CoreError::InvalidArgument(
                "blind index kind must not be empty",
            ));
        }
        self.derive(&[b"blind|", tenant.as_bytes(), b"|", kind.as_bytes()].concat())
    }

    /// Per-purpose MAC key: info = "mac|" + purpose.
    pub fn mac_key(&self, purpose: &str) -> Result<Arc<SecretKey>> {
        if purpose.is_empty() {
            return Err(CoreError::InvalidArgument("MAC purpose must not be empty"));
        }
        self.derive(&[b"mac|", purpose.as_bytes()].concat())
    }
}

/// I/O error description without OS-supplied free text.
fn io_kind(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "file not found".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::InvalidData => "file is not valid UTF-8".to_owned(),
        kind => kind.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn b64(bytes: &[u8]) -> String {
        B64.encode(bytes)
    }

    /// A two-key ring (k1 old, k2 active) for tests across modules.
    pub(crate) fn test_ring_json(active: &str) -> String {
        format!(
            r#"{{"version": 1, "active_key_id": "{active}",
                "encryption_keys": {{"k1": "{}", "k2": "{}"}},
                "index_key": {{"id": "i1", "key": "{}"}}}}"#,
            b64(&[1u8; 32]),
            b64(&[2u8; 32]),
            b64(&[3u8; 32])
        )
    }

    pub(crate) fn test_ring(active: &str) -> KeyRing {
        KeyRing::from_json(&test_ring_json(active)).unwrap()
    }

    fn keyring_err(json: &str) -> String {
        match KeyRing::from_json(json) {
            Err(CoreError::KeyRing(msg)) => msg,
            other => panic!("expected KeyRing error, got {other:?}"),
        }
    }

    #[test]
    fn loads_valid_json() {
        let ring = test_ring("k2");
        assert_eq!(ring.active_key_id(), "k2");
        assert_eq!(ring.key_ids(), vec!["k1".to_owned(), "k2".to_owned()]);
        assert_eq!(ring.index_key_id(), "i1");
        let (active_id, active) = ring.active_key().unwrap();
        assert_eq!(active_id, "k2");
        assert_eq!(active.bytes(), &[2u8; 32]);
        assert_eq!(ring.encryption_key("k1").unwrap().bytes(), &[1u8; 32]);
        assert!(matches!(
            ring.encryption_key("k9"),
            Err(CoreError::KeyRing(_))
        ));
    }

    #[test]
    fn rejects_bad_files_without_leaking_keys() {
        let short = b64(&[9u8; 31]);
        let long = b64(&[9u8; 33]);
        let good = b64(&[9u8; 32]);
        let cases = [
            (
                format!(
                    r#"{{"version":1,"active_key_id":"k1","encryption_keys":{{"k1":"{short}"}},"index_key":{{"id":"i1","key":"{good}"}}}}"#
                ),
                "exactly 32 bytes",
            ),
            (
                format!(
                    r#"{{"version":1,"active_key_id":"k1","encryption_keys":{{"k1":"{good}"}},"index_key":{{"id":"i1","key":"{long}"}}}}"#
                ),
                "exactly 32 bytes",
            ),
            (
                format!(
                    r#"{{"version":1,"active_key_id":"k1","encryption_keys":{{"k1":"{good}!"}},"index_key":{{"id":"i1","key":"{good}"}}}}"#
                ),
                "not valid base64",
            ),
            (
                format!(
                    r#"{{"version":1,"active_key_id":"k2","encryption_keys":{{"k1":"{good}"}},"index_key":{{"id":"i1","key":"{good}"}}}}"#
                ),
                "not one of the encryption keys",
            ),
            (
                format!(
                    r#"{{"version":2,"active_key_id":"k1","encryption_keys":{{"k1":"{good}"}},"index_key":{{"id":"i1","key":"{good}"}}}}"#
                ),
                "unsupported key file version",
            ),
            (
                format!(
                    r#"{{"version":1,"active_key_id":"k 1","encryption_keys":{{"k 1":"{good}"}},"index_key":{{"id":"i1","key":"{good}"}}}}"#
                ),
                "must match",
            ),
            (
                format!(
                    r#"{{"version":1,"active_key_id":"k1","encryption_keys":{{"k1":"{good}"}},"index_key":{{"id":"{}","key":"{good}"}}}}"#,
                    "i".repeat(33)
                ),
                "must match",
            ),
            (
                format!(
                    r#"{{"version":1,"active_key_id":"k1","encryption_keys":{{}},"index_key":{{"id":"i1","key":"{good}"}}}}"#
                ),
                "no encryption keys",
            ),
            (
                format!(
                    r#"{{"version":1,"active_key_id":"k1","encryption_keys":{{"k1":"{good}"}},"index_key":{{"id":"i1","key":"{good}"}},"extra":"{good}"}}"#
                ),
                "schema",
            ),
            (
                format!(r#"{{"version":1,"active_key_id":"{good}""#),
                "not valid JSON",
            ),
            (format!(r#"{{"version":"{good}"}}"#), "schema"),
        ];
        for (json, expected) in &cases {
            let msg = keyring_err(json);
            assert!(
                msg.contains(expected),
                "{msg:?} should contain {expected:?}"
            );
            for secret in [&short, &long, &good] {
                assert!(!msg.contains(secret.as_str()), "{msg:?} leaks key material");
                assert!(!msg.contains(&secret[..8]), "{msg:?} leaks key material");
            }
        }
    }

    #[test]
    fn key_id_rules() {
        assert!(is_valid_key_id("k1"));
        assert!(is_valid_key_id("A-z_0.9"));
        assert!(is_valid_key_id(&"x".repeat(32)));
        assert!(!is_valid_key_id(&"x".repeat(33)));
        assert!(!is_valid_key_id(""));
        assert!(!is_valid_key_id("k/1"));
        assert!(!is_valid_key_id("k|1"));
        assert!(!is_valid_key_id("ké"));
    }

    #[test]
    fn tenant_rules() {
        assert!(validate_tenant("acme").is_ok());
        assert!(validate_tenant("tenant-0b5e/é").is_ok());
        assert!(validate_tenant("").is_err());
        assert!(validate_tenant("a|b").is_err());
        assert!(validate_tenant("a\nb").is_err());
        assert!(validate_tenant(&"t".repeat(129)).is_err());
    }

    #[test]
    fn derivations_match_rfc5869_construction() {
        let ring = test_ring("k1");
        let hk = Hkdf::<Sha256>::new(Some(b"crs-v1"), &[3u8; 32]);
        let mut expected = [0u8; 32];
        hk.expand(b"fingerprint|acme", &mut expected).unwrap();
        assert_eq!(ring.fingerprint_key("acme").unwrap().bytes(), &expected);
        // Cached value is identical.
        assert_eq!(ring.fingerprint_key("acme").unwrap().bytes(), &expected);
        hk.expand(b"blind|acme|email", &mut expected).unwrap();
        assert_eq!(
            ring.blind_index_key("acme", "email").unwrap().bytes(),
            &expected
        );
        hk.expand(b"mac|page-token", &mut expected).unwrap();
        assert_eq!(ring.mac_key("page-token").unwrap().bytes(), &expected);
    }

    #[test]
    fn derivations_are_domain_separated() {
        let ring = test_ring("k1");
        let a = ring.fingerprint_key("acme").unwrap();
        let b = ring.fingerprint_key("globex").unwrap();
        let c = ring.blind_index_key("acme", "email").unwrap();
        let d = ring.blind_index_key("acme", "phone").unwrap();
        let e = ring.mac_key("acme").unwrap();
        let all = [a.bytes(), b.bytes(), c.bytes(), d.bytes(), e.bytes()];
        for i in 0..all.len() {
            for j in i + 1..all.len() {
                assert_ne!(all[i], all[j]);
            }
        }
    }

    #[test]
    fn cache_is_bounded() {
        let ring = test_ring("k1");
        for i in 0..(MAX_CACHED_DERIVATIONS + 10) {
            ring.mac_key(&format!("p{i}")).unwrap();
        }
        assert!(ring.derived.read().unwrap().len() <= MAX_CACHED_DERIVATIONS);
    }

    #[test]
    fn debug_shows_only_ids() {
        let ring = test_ring("k2");
        let dbg = format!("{ring:?}");
        assert!(dbg.contains("k2") && dbg.contains("i1"));
        assert!(!dbg.contains(&b64(&[2u8; 32])));
        assert_eq!(
            format!("{:?}", SecretKey::from_bytes([1; 32])),
            "SecretKey(<redacted>)"
        );
    }

    #[test]
    fn generate_then_load() {
        let dir = std::env::temp_dir().join(format!(
            "crs-core-keyring-test-{}-{}",
            std::process::id(),
            crate::mac::to_hex(SecretKey::random().unwrap().bytes())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.json");
        KeyRing::generate(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let ring = KeyRing::from_file(&path).unwrap();
        assert_eq!(ring.active_key_id(), "k1");
        assert_eq!(ring.key_ids(), vec!["k1".to_owned()]);
        assert_eq!(ring.index_key_id(), "i1");
        assert_ne!(ring.active_key().unwrap().1.bytes(), &[0u8; 32]);
        let before = std::fs::read(&path).unwrap();
        match KeyRing::generate(&path) {
            Err(CoreError::KeyRing(msg)) => assert!(msg.contains("already exists")),
            other => panic!("expected refusal, got {other:?}"),
        }
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "file must be untouched"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        match KeyRing::from_file(&path) {
            Err(CoreError::KeyRing(msg)) => assert!(msg.contains("not found"), "{msg}"),
            other => panic!("expected not found, got {other:?}"),
        }
    }

    #[test]
    fn from_env_missing() {
        match KeyRing::from_env("CRS_CORE_TEST_SURELY_UNSET_VARIABLE") {
            Err(CoreError::KeyRing(msg)) => assert!(msg.contains("is not set")),
            other => panic!("expected error, got {other:?}"),
        }
    }
}
