//! HMAC-SHA256: PAN fingerprints, blind indexes and generic MACs.
#![forbid(unsafe_code)]

use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::errors::{CoreError, Result};
use crate::keyring::{KeyRing, SecretKey};
use crate::pan::Pan;

type HmacSha256 = Hmac<Sha256>;

/// Length of an HMAC-SHA256 tag in bytes.
pub const TAG_LEN: usize = 32;

fn keyed(key: &[u8]) -> Result<HmacSha256> {
    <HmacSha256 as KeyInit>::new_from_slice(key).map_err(|_| CoreError::Crypto("HMAC key"))
}

/// HMAC-SHA256(key, data). Any key length is accepted (RFC 2104).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Result<[u8; TAG_LEN]> {
    let mut mac = keyed(key)?;
    mac.update(data);
    Ok(mac.finalize().into_bytes().into())
}

/// Constant-time check that `tag` is HMAC-SHA256(key, data). Tags of the
/// wrong length are rejected.
pub fn verify_hmac_sha256(key: &[u8], data: &[u8], tag: &[u8]) -> Result<bool> {
    let mut mac = keyed(key)?;
    mac.update(data);
    Ok(mac.verify_slice(tag).is_ok())
}

/// Lower-case hex encoding.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Lower-case hex of HMAC-SHA256(key, data): the format of fingerprints and
/// blind indexes.
pub fn hmac_sha256_hex(key: &[u8], data: &[u8]) -> Result<String> {
    hmac_sha256(key, data).map(|t| to_hex(&t))
}

/// PAN fingerprinting for one tenant: the tenant key is derived once and
/// reused (e.g. across a batch).
pub struct PanFingerprinter {
    key: Arc<SecretKey>,
}

impl PanFingerprinter {
    /// Derive the tenant's fingerprint key (HKDF info "fingerprint|" + tenant).
    pub fn new(ring: &KeyRing, tenant: &str) -> Result<PanFingerprinter> {
        Ok(PanFingerprinter {
            key: ring.fingerprint_key(tenant)?,
        })
    }

    /// Lower-case hex HMAC-SHA256(tenant key, normalised PAN digits).
    pub fn fingerprint(&self, pan: &Pan) -> Result<String> {
        hmac_sha256_hex(self.key.bytes(), pan.digits().as_bytes())
    }
}

/// Validate `pan` and return its per-tenant fingerprint.
pub fn fingerprint_pan(ring: &KeyRing, tenant: &str, pan: &str) -> Result<String> {
    let fingerprinter = PanFingerprinter::new(ring, tenant)?;
    fingerprinter.fingerprint(&Pan::parse(pan)?)
}

/// Deterministic blind index: lower-case hex HMAC-SHA256 of the (already
/// normalised) value under the tenant's key for `kind`.
pub fn blind_index(
    ring: &KeyRing,
    tenant: &str,
    kind: &str,
    normalized_value: &str,
) -> Result<String> {
    let key = ring.blind_index_key(tenant, kind)?;
    hmac_sha256_hex(key.bytes(), normalized_value.as_bytes())
}

/// 32-byte HMAC-SHA256 of `data` under the key derived for `purpose`.
pub fn mac(ring: &KeyRing, purpose: &str, data: &[u8]) -> Result<[u8; TAG_LEN]> {
    let key = ring.mac_key(purpose)?;
    hmac_sha256(key.bytes(), data)
}

/// Constant-time verification of a tag produced by [`mac`].
pub fn verify_mac(ring: &KeyRing, purpose: &str, data: &[u8], tag: &[u8]) -> Result<bool> {
    let key = ring.mac_key(purpose)?;
    verify_hmac_sha256(key.bytes(), data, tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::tests::test_ring;

    #[test]
    fn fingerprints_are_deterministic_and_tenant_scoped() {
        let ring = test_ring("k1");
        let a1 = fingerprint_pan(&ring, "acme", "4111111111111111").unwrap();
        let a2 = fingerprint_pan(&ring, "acme", "4111 1111-1111 1111").unwrap();
        let b = fingerprint_pan(&ring, "globex", "4111111111111111").unwrap();
        let other = fingerprint_pan(&ring, "acme", "5555555555554444").unwrap();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
        assert_ne!(a1, other);
        assert_eq!(a1.len(), 64);
        // Independent of the active encryption key.
        let rotated = test_ring("k2");
        assert_eq!(
            fingerprint_pan(&rotated, "acme", "4111111111111111").unwrap(),
            a1
        );
        // Matches the documented construction.
        let key = ring.fingerprint_key("acme").unwrap();
        assert_eq!(
            a1,
            hmac_sha256_hex(key.bytes(), b"4111111111111111").unwrap()
        );
    }

    #[test]
    fn fingerprint_rejects_invalid_pan() {
        let ring = test_ring("k1");
        assert_eq!(
            fingerprint_pan(&ring, "acme", "4111111111111112"),
            Err(CoreError::InvalidPan(crate::errors::PanError::Luhn))
        );
        assert!(matches!(
            fingerprint_pan(&ring, "a|b", "4111111111111111"),
            Err(CoreError::InvalidArgument(_))
        ));
    }

    #[test]
    fn blind_indexes() {
        let ring = test_ring("k1");
        let e1 = blind_index(&ring, "acme", "email", "a@example.com").unwrap();
        assert_eq!(
            e1,
            blind_index(&ring, "acme", "email", "a@example.com").unwrap()
        );
        assert_ne!(
            e1,
            blind_index(&ring, "acme", "phone", "a@example.com").unwrap()
        );
        assert_ne!(
            e1,
            blind_index(&ring, "globex", "email", "a@example.com").unwrap()
        );
        assert_ne!(
            e1,
            blind_index(&ring, "acme", "email", "b@example.com").unwrap()
        );
        assert!(blind_index(&ring, "acme", "", "x").is_err());
    }

    #[test]
    fn generic_mac() {
        let ring = test_ring("k1");
        let tag = mac(&ring, "page-token", b"offset=10").unwrap();
        assert!(verify_mac(&ring, "page-token", b"offset=10", &tag).unwrap());
        assert!(!verify_mac(&ring, "etag", b"offset=10", &tag).unwrap());
        assert!(!verify_mac(&ring, "page-token", b"offset=11", &tag).unwrap());
        assert!(mac(&ring, "", b"x").is_err());
    }

    #[test]
    fn hex_encoding() {
        assert_eq!(to_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(to_hex(&[]), "");
    }

    #[test]
    fn verify_roundtrip_and_rejections() {
        let key = [7u8; 32];
        let tag = hmac_sha256(&key, b"page:42").unwrap();
        assert!(verify_hmac_sha256(&key, b"page:42", &tag).unwrap());
        assert!(!verify_hmac_sha256(&key, b"page:43", &tag).unwrap());
        assert!(!verify_hmac_sha256(&[8u8; 32], b"page:42", &tag).unwrap());
        assert!(!verify_hmac_sha256(&key, b"page:42", &tag[..31]).unwrap());
        assert!(!verify_hmac_sha256(&key, b"page:42", &[]).unwrap());
        let mut bad = tag;
        bad[0] ^= 1;
        assert!(!verify_hmac_sha256(&key, b"page:42", &bad).unwrap());
    }

    #[test]
    fn hex_tag_shape() {
        let h = hmac_sha256_hex(b"k", b"d").unwrap();
        assert_eq!(h.len(), 64);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }
}
