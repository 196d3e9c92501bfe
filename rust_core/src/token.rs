//! Vault token generation.
//!
//! A token has the same length as the PAN it stands for, keeps the PAN's BIN
//! (first six) and last four digits, has uniformly random middle digits, and
//! always FAILS the Luhn check, so a token can never be mistaken for (or be
//! accepted as) a real PAN.
#![forbid(unsafe_code)]

use crate::errors::Result;
use crate::pan::{self, Pan};
use crate::rng::OsRandom;

/// Append `count` uniformly random decimal digits (as ASCII) to `out`, using
/// rejection sampling over OS random bytes (bytes >= 250 are discarded so
/// that `b % 10` is unbiased).
pub fn push_random_digits(count: usize, out: &mut Vec<u8>) -> Result<()> {
    push_random_digits_from(&mut OsRandom::for_one(), count, out)
}

/// [`push_random_digits`] drawing from `rng`.
pub fn push_random_digits_from(rng: &mut OsRandom, count: usize, out: &mut Vec<u8>) -> Result<()> {
    let mut remaining = count;
    while remaining > 0 {
        let b = rng.byte()?;
        if b < 250 {
            out.push(b'0' + b % 10);
            remaining -= 1;
        }
    }
    Ok(())
}

/// Make an all-digit token Luhn-invalid by bumping the last middle digit if
/// needed. Changing any single digit always changes the Luhn sum mod 10 (the
/// doubling map is a permutation of 0..=9), so one bump suffices.
fn force_luhn_invalid(token: &mut [u8]) {
    let as_str = |t: &[u8]| t.iter().map(|&b| char::from(b)).collect::<String>();
    if pan::luhn_valid(&as_str(token)) {
        let idx = token.len() - 5;
        token[idx] = b'0' + (token[idx] - b'0' + 1) % 10;
    }
}

/// Assemble a token from a PAN and the given middle digits (ASCII, exactly
/// `pan.len() - 10` of them). Exposed for deterministic tests.
pub fn assemble(pan: &Pan, middle: &[u8]) -> String {
    debug_assert_eq!(middle.len(), pan.len() - 10);
    let mut token = Vec::with_capacity(pan.len());
    token.extend_from_slice(pan.bin6().as_bytes());
    token.extend_from_slice(middle);
    token.extend_from_slice(pan.last4().as_bytes());
    force_luhn_invalid(&mut token);
    token.into_iter().map(char::from).collect()
}

/// Generate a fresh random token for `pan`.
pub fn generate(pan: &Pan) -> Result<String> {
    generate_from(&mut OsRandom::for_one(), pan)
}

/// [`generate`] drawing from `rng` (a batch's source).
pub fn generate_from(rng: &mut OsRandom, pan: &Pan) -> Result<String> {
    let mut middle = Vec::with_capacity(pan::MAX_LEN);
    push_random_digits_from(rng, pan.len() - 10, &mut middle)?;
    Ok(assemble(pan, &middle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_token(p: &Pan, t: &str) {
        assert_eq!(t.len(), p.len());
        assert!(t.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(&t[..6], p.bin6());
        assert_eq!(&t[t.len() - 4..], p.last4());
        assert!(!pan::luhn_valid(t), "token must fail Luhn: {t}");
        assert!(pan::is_token_shaped(t));
        assert_ne!(t, p.digits());
    }

    #[test]
    fn tokens_are_luhn_invalid_over_many_draws() {
        for pan_str in [
            "123456789015",
            "378282246310005",
            "4111111111111111",
            "4000000000000000006",
        ] {
            let p = Pan::parse(pan_str).unwrap();
            for _ in 0..5000 {
                let t = generate(&p).unwrap();
                check_token(&p, &t);
            }
        }
    }

    #[test]
    fn every_middle_is_fixed_up() {
        // Exhaustively: every 2-digit middle of a 12-digit PAN yields an
        // invalid token, including the middles that would make it valid.
        let p = Pan::parse("123456789015").unwrap();
        let mut seen_fixups = 0;
        for a in b'0'..=b'9' {
            for b in b'0'..=b'9' {
                let middle = [a, b];
                let raw: String = [&b"123456"[..], &middle, b"9015"]
                    .concat()
                    .into_iter()
                    .map(char::from)
                    .collect();
                if pan::luhn_valid(&raw) {
                    seen_fixups += 1;
                }
                let t = assemble(&p, &middle);
                check_token(&p, &t);
            }
        }
        assert!(seen_fixups > 0);
    }

    #[test]
    fn tokens_vary() {
        let p = Pan::parse("4111111111111111").unwrap();
        let a = generate(&p).unwrap();
        let b = generate(&p).unwrap();
        let c = generate(&p).unwrap();
        assert!(a != b || b != c, "random middles should differ");
    }

    #[test]
    fn random_digits_roughly_uniform() {
        let mut out = Vec::new();
        push_random_digits(20_000, &mut out).unwrap();
        assert_eq!(out.len(), 20_000);
        let mut counts = [0usize; 10];
        for d in out {
            counts[usize::from(d - b'0')] += 1;
        }
        for c in counts {
            assert!((1500..2500).contains(&c), "{counts:?}");
        }
    }
}
