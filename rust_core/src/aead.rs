//! AES-256-GCM sealing with the layout `nonce(12) || ciphertext || tag(16)`.
#![forbid(unsafe_code)]

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Nonce, Payload};
use zeroize::Zeroizing;

use crate::errors::{CoreError, Result};
use crate::keyring::{self, KeyRing};
use crate::mac::PanFingerprinter;
use crate::pan::{self, Pan, PanInfo};
use crate::rng::OsRandom;
use crate::token;

/// AES-256 key length.
pub const KEY_LEN: usize = 32;
/// GCM nonce length (96 bits).
pub const NONCE_LEN: usize = 12;
/// GCM tag length.
pub const TAG_LEN: usize = 16;
/// Smallest possible sealed message (empty plaintext).
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// A keyed AES-256-GCM instance (key schedule computed once; zeroised on drop
/// via the `zeroize` feature of `aes-gcm`). Reused across a batch.
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    pub fn new(key: &[u8; KEY_LEN]) -> Result<Sealer> {
        let cipher =
            Aes256Gcm::new_from_slice(key).map_err(|_| CoreError::Crypto("AES-256 key"))?;
        Ok(Sealer { cipher })
    }

    /// Encrypt with an explicit nonce; returns `nonce || ct || tag`.
    pub fn seal_with_nonce(
        &self,
        nonce: &[u8; NONCE_LEN],
        aad: &[u8],
        pt: &[u8],
    ) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(NONCE_LEN + pt.len() + TAG_LEN);
        out.extend_from_slice(nonce);
        let ct = self
            .cipher
            .encrypt(&Nonce::<Aes256Gcm>::from(*nonce), Payload { msg: pt, aad })
            .map_err(|_| CoreError::Crypto("AES-GCM encryption"))?;
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Encrypt under a fresh random 96-bit nonce; returns `nonce || ct || tag`.
    pub fn seal(&self, aad: &[u8], pt: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce)?;
        self.seal_with_nonce(&nonce, aad, pt)
    }

    /// [`Sealer::seal`] with the nonce drawn from `rng` (a batch's source).
    pub fn seal_from(&self, rng: &mut OsRandom, aad: &[u8], pt: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce)?;
        self.seal_with_nonce(&nonce, aad, pt)
    }

    /// Decrypt `nonce || ct || tag`. Any failure (short input, wrong key or
    /// AAD, tampering) is `CoreError::Decryption`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
        if sealed.len() < OVERHEAD {
            return Err(CoreError::Decryption);
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CoreError::Decryption)?;
        self.cipher
            .decrypt(&Nonce::<Aes256Gcm>::from(nonce), Payload { msg: ct, aad })
            .map_err(|_| CoreError::Decryption)
    }
}

/// One-shot `Sealer::seal_with_nonce` (used by the known-answer tests).
pub fn seal_with_nonce(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    pt: &[u8],
) -> Result<Vec<u8>> {
    Sealer::new(key)?.seal_with_nonce(nonce, aad, pt)
}

/// One-shot `Sealer::seal`.
pub fn seal(key: &[u8; KEY_LEN], aad: &[u8], pt: &[u8]) -> Result<Vec<u8>> {
    Sealer::new(key)?.seal(aad, pt)
}

/// One-shot `Sealer::open`.
pub fn open(key: &[u8; KEY_LEN], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
    Sealer::new(key)?.open(aad, sealed)
}

// ---------------------------------------------------------------------------
// PAN vault
// ---------------------------------------------------------------------------

/// Associated data binding a PAN ciphertext to its tenant, token and key:
/// `"crs/pan/v1|" + tenant + "|" + token + "|" + key_id`.
pub fn pan_aad(tenant: &str, token: &str, key_id: &str) -> Vec<u8> {
    [
        b"crs/pan/v1|",
        tenant.as_bytes(),
        b"|",
        token.as_bytes(),
        b"|",
        key_id.as_bytes(),
    ]
    .concat()
}

/// Associated data for an encrypted field:
/// `"crs/field/v1|" + tenant + "|" + context + "|" + key_id`.
pub fn field_aad(tenant: &str, context: &str, key_id: &str) -> Vec<u8> {
    [
        b"crs/field/v1|",
        tenant.as_bytes(),
        b"|",
        context.as_bytes(),
        b"|",
        key_id.as_bytes(),
    ]
    .concat()
}

/// Result of sealing one PAN. Contains no plaintext PAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedPan {
    pub token: String,
    pub fingerprint: String,
    pub key_id: String,
    /// `nonce(12) || ct || tag(16)`.
    pub ciphertext: Vec<u8>,
    pub info: PanInfo,
}

/// Seals PANs for one tenant under the ring's active key. Derives the
/// tenant's fingerprint key and the AES key schedule once, so one instance
/// serves a whole batch (it is `Sync`).
pub struct PanVault<'r> {
    tenant: &'r str,
    key_id: &'r str,
    sealer: Sealer,
    fingerprinter: PanFingerprinter,
}

impl<'r> PanVault<'r> {
    pub fn new(ring: &'r KeyRing, tenant: &'r str) -> Result<PanVault<'r>> {
        keyring::validate_tenant(tenant)?;
        let (key_id, key) = ring.active_key()?;
        Ok(PanVault {
            tenant,
            key_id,
            sealer: Sealer::new(key.bytes())?,
            fingerprinter: PanFingerprinter::new(ring, tenant)?,
        })
    }

    /// Validate, fingerprint, tokenise and encrypt one PAN.
    pub fn seal(&self, pan: &str) -> Result<SealedPan> {
        self.seal_from(&mut OsRandom::for_one(), pan)
    }

    /// [`PanVault::seal`] with the token digits and nonce drawn from `rng`.
    pub fn seal_from(&self, rng: &mut OsRandom, pan: &str) -> Result<SealedPan> {
        let pan = Pan::parse(pan)?;
        let fingerprint = self.fingerprinter.fingerprint(&pan)?;
        let token = token::generate_from(rng, &pan)?;
        let aad = pan_aad(self.tenant, &token, self.key_id);
        let ciphertext = self.sealer.seal_from(rng, &aad, pan.digits().as_bytes())?;
        Ok(SealedPan {
            token,
            fingerprint,
            key_id: self.key_id.to_owned(),
            ciphertext,
            info: pan.info(),
        })
    }

    /// Encrypt `pan` under the active key for an existing `token`.
    pub fn reseal(&self, pan: &str, token: &str) -> Result<(String, Vec<u8>)> {
        let pan = Pan::parse(pan)?;
        if !pan::is_token_shaped(token) {
            return Err(CoreError::InvalidArgument(
                "token must be 12 to 19 digits and fail the Luhn check",
            ));
        }
        Ok((self.key_id.to_owned(), self.encrypt(&pan, token)?))
    }

    fn encrypt(&self, pan: &Pan, token: &str) -> Result<Vec<u8>> {
        let aad = pan_aad(self.tenant, token, self.key_id);
        self.sealer.seal(&aad, pan.digits().as_bytes())
    }
}

/// Seal one PAN for `tenant` (see [`PanVault::seal`]).
pub fn seal_pan(ring: &KeyRing, tenant: &str, pan: &str) -> Result<SealedPan> {
    PanVault::new(ring, tenant)?.seal(pan)
}

/// Re-encrypt a PAN under the active key for an existing token; returns
/// `(key_id, nonce || ct || tag)`.
pub fn reseal_pan(
    ring: &KeyRing,
    tenant: &str,
    pan: &str,
    token: &str,
) -> Result<(String, Vec<u8>)> {
    PanVault::new(ring, tenant)?.reseal(pan, token)
}

/// Decrypt a PAN sealed by [`seal_pan`] / [`reseal_pan`] with any key still
/// in the ring. Unknown key id → `CoreError::KeyRing`; every other failure
/// (wrong tenant, token or key id, tampering) → `CoreError::Decryption`.
pub fn open_pan(
    ring: &KeyRing,
    tenant: &str,
    token: &str,
    key_id: &str,
    ciphertext: &[u8],
) -> Result<Zeroizing<String>> {
    keyring::validate_tenant(tenant)?;
    let key = ring.encryption_key(key_id)?;
    let plaintext = Zeroizing::new(open(
        key.bytes(),
        &pan_aad(tenant, token, key_id),
        ciphertext,
    )?);
    let text = std::str::from_utf8(&plaintext).map_err(|_| CoreError::Decryption)?;
    Ok(Zeroizing::new(text.to_owned()))
}

// ---------------------------------------------------------------------------
// Encrypted fields (national identifiers etc.)
// ---------------------------------------------------------------------------

/// Encrypt a text field under the active key; returns `(key_id, nonce || ct || tag)`.
pub fn encrypt_field(
    ring: &KeyRing,
    tenant: &str,
    context: &str,
    plaintext: &str,
) -> Result<(String, Vec<u8>)> {
    keyring::validate_tenant(tenant)?;
    let (key_id, key) = ring.active_key()?;
    let sealed = seal(
        key.bytes(),
        &field_aad(tenant, context, key_id),
        plaintext.as_bytes(),
    )?;
    Ok((key_id.to_owned(), sealed))
}

/// Decrypt a field sealed by [`encrypt_field`] (same error mapping as
/// [`open_pan`]).
pub fn decrypt_field(
    ring: &KeyRing,
    tenant: &str,
    context: &str,
    key_id: &str,
    ciphertext: &[u8],
) -> Result<Zeroizing<String>> {
    keyring::validate_tenant(tenant)?;
    let key = ring.encryption_key(key_id)?;
    let plaintext = Zeroizing::new(open(
        key.bytes(),
        &field_aad(tenant, context, key_id),
        ciphertext,
    )?);
    let text = std::str::from_utf8(&plaintext).map_err(|_| CoreError::Decryption)?;
    Ok(Zeroizing::new(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::tests::test_ring;

    const PAN: &str = "4111111111111111";

    #[test]
    fn seal_open_pan_roundtrip() {
        let ring = test_ring("k2");
        let s = seal_pan(&ring, "acme", "4111-1111-1111-1111").unwrap();
        assert_eq!(s.key_id, "k2");
        assert_eq!(s.info.bin, "411111");
        assert_eq!(s.info.last4, "1111");
        assert_eq!(s.info.brand, pan::Brand::Visa);
        assert!(pan::is_token_shaped(&s.token));
        assert_eq!(s.ciphertext.len(), OVERHEAD + 16);
        assert_eq!(
            s.fingerprint,
            crate::mac::fingerprint_pan(&ring, "acme", PAN).unwrap()
        );
        let opened = open_pan(&ring, "acme", &s.token, &s.key_id, &s.ciphertext).unwrap();
        assert_eq!(opened.as_str(), PAN);
        // Layout: decryptable by the primitive with the documented AAD.
        let raw = open(&[2u8; 32], &pan_aad("acme", &s.token, "k2"), &s.ciphertext).unwrap();
        assert_eq!(raw, PAN.as_bytes());
    }

    #[test]
    fn open_pan_rejects_wrong_binding() {
        let ring = test_ring("k2");
        let s = seal_pan(&ring, "acme", PAN).unwrap();
        let other_token = token::generate(&Pan::parse(PAN).unwrap()).unwrap();
        assert_eq!(
            open_pan(&ring, "globex", &s.token, "k2", &s.ciphertext),
            Err(CoreError::Decryption)
        );
        if other_token != s.token {
            assert_eq!(
                open_pan(&ring, "acme", &other_token, "k2", &s.ciphertext),
                Err(CoreError::Decryption)
            );
        }
        assert_eq!(
            open_pan(&ring, "acme", &s.token, "k1", &s.ciphertext),
            Err(CoreError::Decryption)
        );
        assert!(matches!(
            open_pan(&ring, "acme", &s.token, "k9", &s.ciphertext),
            Err(CoreError::KeyRing(_))
        ));
        let mut tampered = s.ciphertext.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 0x80;
        assert_eq!(
            open_pan(&ring, "acme", &s.token, "k2", &tampered),
            Err(CoreError::Decryption)
        );
        assert_eq!(
            open_pan(&ring, "acme", &s.token, "k2", &s.ciphertext[..10]),
            Err(CoreError::Decryption)
        );
    }

    #[test]
    fn old_key_still_decrypts_after_rotation() {
        let before = test_ring("k1");
        let s = seal_pan(&before, "acme", PAN).unwrap();
        assert_eq!(s.key_id, "k1");
        let after = test_ring("k2");
        let opened = open_pan(&after, "acme", &s.token, "k1", &s.ciphertext).unwrap();
        assert_eq!(opened.as_str(), PAN);
        let (kid, ct) = reseal_pan(&after, "acme", PAN, &s.token).unwrap();
        assert_eq!(kid, "k2");
        assert_eq!(
            open_pan(&after, "acme", &s.token, &kid, &ct)
                .unwrap()
                .as_str(),
            PAN
        );
    }

    #[test]
    fn reseal_validates_inputs() {
        let ring = test_ring("k1");
        assert!(matches!(
            reseal_pan(&ring, "acme", PAN, PAN),
            Err(CoreError::InvalidArgument(_))
        ));
        assert!(matches!(
            reseal_pan(&ring, "acme", "411111111111111x", "4111111111111112"),
            Err(CoreError::InvalidPan(_))
        ));
    }

    #[test]
    fn field_roundtrip_and_binding() {
        let ring = test_ring("k2");
        let (kid, ct) = encrypt_field(&ring, "acme", "national_id", "AB 12 34 56 C ✓").unwrap();
        assert_eq!(kid, "k2");
        assert_eq!(
            decrypt_field(&ring, "acme", "national_id", &kid, &ct)
                .unwrap()
                .as_str(),
            "AB 12 34 56 C ✓"
        );
        assert_eq!(
            decrypt_field(&ring, "acme", "tax_id", &kid, &ct),
            Err(CoreError::Decryption)
        );
        assert_eq!(
            decrypt_field(&ring, "globex", "national_id", &kid, &ct),
            Err(CoreError::Decryption)
        );
        // A PAN ciphertext is not a field ciphertext (distinct AAD prefix).
        let s = seal_pan(&ring, "acme", PAN).unwrap();
        assert_eq!(
            decrypt_field(&ring, "acme", &s.token, "k2", &s.ciphertext),
            Err(CoreError::Decryption)
        );
        // Tenant ids containing the separator are rejected, so
        // ("a|b", "c") can never alias ("a", "b|c").
        let (kid, ct) = encrypt_field(&ring, "a", "b|c", "x").unwrap();
        assert!(matches!(
            decrypt_field(&ring, "a|b", "c", &kid, &ct),
            Err(CoreError::InvalidArgument(_))
        ));
    }

    const KEY: [u8; 32] = [0x42; 32];

    #[test]
    fn roundtrip() {
        let sealed = seal(&KEY, b"aad", b"4111111111111111").unwrap();
        assert_eq!(sealed.len(), OVERHEAD + 16);
        assert_eq!(open(&KEY, b"aad", &sealed).unwrap(), b"4111111111111111");
    }

    #[test]
    fn empty_plaintext() {
        let sealed = seal(&KEY, b"", b"").unwrap();
        assert_eq!(sealed.len(), OVERHEAD);
        assert_eq!(open(&KEY, b"", &sealed).unwrap(), b"");
    }

    #[test]
    fn nonces_are_fresh() {
        let a = seal(&KEY, b"", b"x").unwrap();
        let b = seal(&KEY, b"", b"x").unwrap();
        assert_ne!(a[..NONCE_LEN], b[..NONCE_LEN]);
        assert_ne!(a, b);
    }

    #[test]
    fn wrong_aad_fails() {
        let sealed = seal(&KEY, b"tenant-a", b"secret").unwrap();
        assert_eq!(open(&KEY, b"tenant-b", &sealed), Err(CoreError::Decryption));
        assert_eq!(open(&KEY, b"", &sealed), Err(CoreError::Decryption));
    }

    #[test]
    fn wrong_key_fails() {
        let sealed = seal(&KEY, b"aad", b"secret").unwrap();
        assert_eq!(
            open(&[0x43; 32], b"aad", &sealed),
            Err(CoreError::Decryption)
        );
    }

    #[test]
    fn every_bit_flip_fails() {
        let sealed = seal(&KEY, b"aad", b"secret!").unwrap();
        for i in 0..sealed.len() {
            for bit in 0..8 {
                let mut t = sealed.clone();
                t[i] ^= 1 << bit;
                assert_eq!(
                    open(&KEY, b"aad", &t),
                    Err(CoreError::Decryption),
                    "byte {i} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn truncation_fails() {
        let sealed = seal(&KEY, b"aad", b"secret").unwrap();
        for n in 0..sealed.len() {
            assert_eq!(open(&KEY, b"aad", &sealed[..n]), Err(CoreError::Decryption));
        }
        let mut longer = sealed.clone();
        longer.push(0);
        assert_eq!(open(&KEY, b"aad", &longer), Err(CoreError::Decryption));
    }
}
