//! Batch PAN operations. Per-item PAN validation failures are returned in
//! place (as the [`PanError`] reason); anything else (bad tenant, RNG
//! failure) fails the whole batch. Large batches are spread over all cores
//! with rayon; callers release the GIL around these functions.
#![forbid(unsafe_code)]

use rayon::prelude::*;

use crate::aead::{PanVault, SealedPan};
use crate::errors::{CoreError, PanError, Result};
use crate::keyring::KeyRing;
use crate::mac::PanFingerprinter;
use crate::pan::Pan;
use crate::rng::OsRandom;

/// Batches at least this long are processed in parallel.
pub const PARALLEL_THRESHOLD: usize = 256;

/// One batch element: the value, or why the input was not a valid PAN.
pub type Item<T> = std::result::Result<T, PanError>;

/// Split a per-item result into "keep in the output" vs "abort the batch".
fn per_item<T>(r: Result<T>) -> Result<Item<T>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(CoreError::InvalidPan(reason)) => Ok(Err(reason)),
        Err(other) => Err(other),
    }
}

/// Apply `f` to every input, in order, in parallel when the batch is large.
/// Each thread gets a random source of its own (see [`OsRandom::for_batch`]).
fn map_batch<S, T, F>(inputs: &[S], f: F) -> Result<Vec<Item<T>>>
where
    S: AsRef<str> + Sync,
    T: Send,
    F: Fn(&mut OsRandom, &str) -> Result<T> + Sync,
{
    if inputs.len() >= PARALLEL_THRESHOLD {
        inputs
            .par_iter()
            .with_min_len(64)
            .map_init(OsRandom::for_batch, |rng, s| per_item(f(rng, s.as_ref())))
            .collect()
    } else {
        let mut rng = OsRandom::for_batch();
        inputs
            .iter()
            .map(|s| per_item(f(&mut rng, s.as_ref())))
            .collect()
    }
}

/// Seal every PAN for `tenant` under the active key.
pub fn seal_pans<S: AsRef<str> + Sync>(
    ring: &KeyRing,
    tenant: &str,
    pans: &[S],
) -> Result<Vec<Item<SealedPan>>> {
    let vault = PanVault::new(ring, tenant)?;
    map_batch(pans, |rng, pan| vault.seal_from(rng, pan))
}

/// Fingerprint every PAN for `tenant`.
pub fn fingerprint_pans<S: AsRef<str> + Sync>(
    ring: &KeyRing,
    tenant: &str,
    pans: &[S],
) -> Result<Vec<Item<String>>> {
    let fingerprinter = PanFingerprinter::new(ring, tenant)?;
    map_batch(pans, |_rng, pan| {
        fingerprinter.fingerprint(&Pan::parse(pan)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aead::open_pan;
    use crate::keyring::tests::test_ring;
    use crate::mac::fingerprint_pan;

    /// `n` distinct valid 16-digit PANs.
    fn valid_pans(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                let payload = format!("4{:014}", i * 7919);
                (0..10u8)
                    .map(|d| format!("{payload}{d}"))
                    .find(|p| crate::pan::luhn_valid(p))
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn mixed_batch_keeps_order_and_reasons() {
        let ring = test_ring("k2");
        let inputs = [
            "4111111111111111",
            "4111111111111112",
            "41x1",
            "123",
            "5555 5555 5555 4444",
        ];
        let out = seal_pans(&ring, "acme", &inputs).unwrap();
        assert_eq!(out.len(), 5);
        let first = out[0].as_ref().unwrap();
        assert_eq!(
            open_pan(
                &ring,
                "acme",
                &first.token,
                &first.key_id,
                &first.ciphertext
            )
            .unwrap()
            .as_str(),
            inputs[0]
        );
        assert_eq!(out[1].as_ref().unwrap_err(), &PanError::Luhn);
        assert_eq!(out[2].as_ref().unwrap_err(), &PanError::NonDigit);
        assert_eq!(out[3].as_ref().unwrap_err(), &PanError::Length);
        assert_eq!(out[4].as_ref().unwrap().info.last4, "4444");
    }

    #[test]
    fn large_parallel_batch_matches_single_calls() {
        let ring = test_ring("k1");
        let mut pans = valid_pans(3000);
        pans[1234] = "not a pan".to_owned();
        let sealed = seal_pans(&ring, "acme", &pans).unwrap();
        let fps = fingerprint_pans(&ring, "acme", &pans).unwrap();
        assert_eq!(sealed.len(), pans.len());
        assert_eq!(fps.len(), pans.len());
        for (i, pan) in pans.iter().enumerate() {
            if i == 1234 {
                assert_eq!(sealed[i].as_ref().unwrap_err(), &PanError::NonDigit);
                assert_eq!(fps[i].as_ref().unwrap_err(), &PanError::NonDigit);
                continue;
            }
            let s = sealed[i].as_ref().unwrap();
            let fp = fps[i].as_ref().unwrap();
            assert_eq!(&s.fingerprint, fp);
            if i % 97 == 0 {
                assert_eq!(fp, &fingerprint_pan(&ring, "acme", pan).unwrap());
                assert_eq!(
                    open_pan(&ring, "acme", &s.token, "k1", &s.ciphertext)
                        .unwrap()
                        .as_str(),
                    pan
                );
            }
        }
    }

    #[test]
    fn bad_tenant_fails_whole_batch() {
        let ring = test_ring("k1");
        assert!(matches!(
            seal_pans(&ring, "", &["4111111111111111"]),
            Err(CoreError::InvalidArgument(_))
        ));
        assert!(matches!(
            fingerprint_pans(&ring, "a|b", &["4111111111111111"]),
            Err(CoreError::InvalidArgument(_))
        ));
        assert!(seal_pans::<&str>(&ring, "acme", &[]).unwrap().is_empty());
    }
}
