//! The bytes of one block, from its 64-bit content key and the compression factor.
//!
//! Random bytes are a 1 MiB pool (made once from the seed) read from a key-dependent offset
//! and XORed with the key. For `C > 1` each 4 KiB segment keeps only `≈4096/C` random bytes
//! and fills the rest by repeating them, which every LZ compressor (zstd, lz4, gzip) encodes as
//! back-references to bytes it has just seen.

/// Bytes in the random pool (fits a core's L2 cache).
pub const POOL_BYTES: usize = 1 << 20;
/// Segment length of the compressibility pattern.
pub const SEGMENT: usize = 4096;
/// Bytes a back-reference costs a compressor, subtracted from each segment's random bytes
/// so the compressed size lands on `segment / C` (measured: zstd -1, lz4, gzip -1).
const MATCH_COST: usize = 8;

const POOL_WORDS: usize = POOL_BYTES / 8;

/// The random pool: `POOL_WORDS` words, stored twice in a row so any read of up to a pool's
/// length from any offset is contiguous.
#[derive(Debug)]
pub struct Pool {
    words: Vec<u64>,
}

/// SplitMix64's finaliser: a fast bijective mixer of 64-bit values.
pub fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Pool {
    pub fn new(seed: u64) -> Pool {
        let base = mix(seed ^ 0x706f_6f6c);
        let mut words: Vec<u64> = (0..POOL_WORDS as u64)
            .map(|i| mix(base.wrapping_add(i)))
            .collect();
        words.extend_from_within(..);
        Pool { words }
    }

    /// `len` words starting at word `start` (< POOL_WORDS), contiguous thanks to the copy.
    fn words(&self, start: usize, len: usize) -> &[u64] {
        &self.words[start..start + len]
    }
}

/// Writes `dst.len()` random bytes: pool words from word `start` XOR `key`.
/// Returns the pool word position after them.
fn random_bytes(pool: &Pool, start: usize, key: u64, dst: &mut [u8]) -> usize {
    let mut pos = start;
    for piece in dst.chunks_mut(POOL_BYTES / 2) {
        let n = piece.len().div_ceil(8);
        let src = pool.words(pos, n);
        let mut chunks = piece.chunks_exact_mut(8);
        for (d, w) in (&mut chunks).zip(src) {
            d.copy_from_slice(&(w ^ key).to_le_bytes());
        }
        let tail = chunks.into_remainder();
        if !tail.is_empty() {
            let w = (src[n - 1] ^ key).to_le_bytes();
            tail.copy_from_slice(&w[..tail.len()]);
        }
        pos = (pos + n) % POOL_WORDS;
    }
    pos
}

/// Random bytes per segment of `len` bytes for compression factor `c` (a multiple of 8, at
/// least 8, at most `len`).
fn literal_len(len: usize, c: f64) -> usize {
    if c <= 1.0 {
        return len;
    }
    let want = (len as f64 / c).round() as usize;
    let want = want.saturating_sub(MATCH_COST * len / SEGMENT).max(8);
    (want / 8 * 8).clamp(8.min(len), len)
}

/// Fills `out` with the first `out.len()` bytes of the block with content key `key`.
/// A shorter `out` gets a prefix of the same bytes a longer one would get.
pub fn fill_block(pool: &Pool, key: u64, compress: f64, out: &mut [u8]) {
    let k = mix(key);
    let mut word = (mix(k ^ 0x6f66_6673) % POOL_WORDS as u64) as usize;
    if compress <= 1.0 {
        random_bytes(pool, word, k, out);
        return;
    }
    // The same split for every segment, also a final partial one, so prefixes agree.
    let literals = literal_len(SEGMENT, compress);
    let mut p = 0;
    while p < out.len() {
        let len = SEGMENT.min(out.len() - p);
        let r = literals.min(len);
        word = random_bytes(pool, word, k, &mut out[p..p + r]);
        // The rest of the segment repeats its random bytes (period `r`): one back-reference
        // to an LZ compressor, and every byte it needs was just emitted as a literal.
        let mut filled = r;
        while filled < len {
            let m = filled.min(len - filled);
            out.copy_within(p..p + m, p + filled);
            filled += m;
        }
        p += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_consistent() {
        let pool = Pool::new(1);
        for c in [1.0, 1.5, 3.0, 8.0] {
            let mut full = vec![0u8; 100_000];
            fill_block(&pool, 42, c, &mut full);
            for len in [0, 1, 7, 4095, 4096, 4097, 50_001] {
                let mut part = vec![0u8; len];
                fill_block(&pool, 42, c, &mut part);
                assert!(part[..] == full[..len], "c={c} len={len}: not a prefix");
            }
        }
    }

    #[test]
    fn keys_give_different_bytes() {
        let pool = Pool::new(1);
        let (mut a, mut b) = (vec![0u8; 4096], vec![0u8; 4096]);
        fill_block(&pool, 1, 1.0, &mut a);
        fill_block(&pool, 2, 1.0, &mut b);
        assert_ne!(a, b);
        let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        assert!(same < 64, "about 1/256 of bytes equal by chance, got {same}");
    }

    #[test]
    fn literal_share_follows_c() {
        assert_eq!(literal_len(4096, 1.0), 4096);
        assert_eq!(literal_len(4096, 2.0), 2040);
        assert!(literal_len(4096, 512.0) >= 8);
        assert_eq!(literal_len(5, 3.0), 5);
    }
}
