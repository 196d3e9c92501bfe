//! Operating-system randomness drawn in blocks: one `getrandom` call serves the
//! token digits and nonces of many PANs of a batch instead of two system calls
//! per PAN. Every byte comes from the OS CSPRNG and is handed out once; the
//! block is zeroised when the source is dropped. A source lives for one batch
//! call on one thread (never global, so a fork cannot duplicate it).
#![forbid(unsafe_code)]

use zeroize::Zeroizing;

use crate::errors::Result;

/// Bytes fetched per `getrandom` call by a batch source.
pub const BATCH_BLOCK: usize = 4096;

/// A buffer of OS random bytes, refilled from `getrandom` when used up.
pub struct OsRandom {
    block: Zeroizing<Vec<u8>>,
    pos: usize,
}

impl OsRandom {
    /// A source that fetches `block` bytes at a time (nothing until first use).
    pub fn with_block(block: usize) -> OsRandom {
        let block = block.max(1);
        OsRandom {
            block: Zeroizing::new(vec![0u8; block]),
            pos: block,
        }
    }

    /// The source of one batch call.
    pub fn for_batch() -> OsRandom {
        OsRandom::with_block(BATCH_BLOCK)
    }

    /// The source of a single PAN: one token's digits and one nonce.
    pub fn for_one() -> OsRandom {
        OsRandom::with_block(64)
    }

    /// The next random byte.
    pub fn byte(&mut self) -> Result<u8> {
        if self.pos == self.block.len() {
            getrandom::fill(&mut self.block)?;
            self.pos = 0;
        }
        let b = self.block[self.pos];
        self.block[self.pos] = 0;
        self.pos += 1;
        Ok(b)
    }

    /// Fill `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) -> Result<()> {
        for slot in out.iter_mut() {
            *slot = self.byte()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_not_repeated_across_refills() {
        let mut rng = OsRandom::with_block(16);
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        rng.fill(&mut a).unwrap();
        rng.fill(&mut b).unwrap();
        assert_ne!(a, b);
        assert_ne!(a[..16], a[16..]);
    }

    #[test]
    fn byte_values_cover_the_range() {
        let mut rng = OsRandom::for_batch();
        let mut seen = [false; 256];
        for _ in 0..20_000 {
            seen[usize::from(rng.byte().unwrap())] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn a_handed_out_byte_is_wiped_from_the_block() {
        let mut rng = OsRandom::with_block(8);
        rng.byte().unwrap();
        assert_eq!(rng.block[0], 0);
    }
}
