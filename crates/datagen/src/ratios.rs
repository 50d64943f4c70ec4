//! Measuring what generated data looks like to storage: dedup ratio by block hashing and
//! compression ratios of zstd -1, lz4 and gzip -1.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;

/// Achieved ratios of one buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratios {
    /// Blocks ÷ distinct blocks, hashing `chunk`-byte chunks.
    pub dedup: f64,
    pub zstd: f64,
    pub lz4: f64,
    pub gzip: f64,
}

/// Chunks ÷ distinct chunks of `data` cut into `chunk`-byte pieces (128-bit hashes).
pub fn dedup_ratio(data: &[u8], chunk: usize) -> f64 {
    if data.is_empty() {
        return 1.0;
    }
    let state = std::hash::RandomState::new();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut n = 0usize;
    for c in data.chunks(chunk.max(1)) {
        let mut a = state.build_hasher();
        a.write(c);
        let mut b = state.build_hasher();
        b.write_u8(0x5a);
        b.write(c);
        seen.insert((a.finish(), b.finish()));
        n += 1;
    }
    n as f64 / seen.len() as f64
}

/// Compresses `data` in `piece`-byte pieces (as storage compresses records or chunks) and
/// returns original ÷ compressed for zstd level 1, lz4 (block format) and gzip level 1.
pub fn compression_ratios(data: &[u8], piece: usize) -> (f64, f64, f64) {
    let (mut z, mut l, mut g) = (0usize, 0usize, 0usize);
    for p in data.chunks(piece.max(1)) {
        z += zstd::bulk::compress(p, 1).map(|v| v.len()).unwrap_or(p.len());
        l += lz4_flex::block::compress(p).len();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(1));
        g += enc
            .write_all(p)
            .and_then(|_| enc.finish())
            .map(|v| v.len())
            .unwrap_or(p.len());
    }
    let r = |c: usize| if c == 0 { 1.0 } else { data.len() as f64 / c as f64 };
    (r(z), r(l), r(g))
}

/// Dedup ratio at `chunk` bytes and compression ratios over 32 MiB pieces.
pub fn measure(data: &[u8], chunk: usize) -> Ratios {
    let (zstd, lz4, gzip) = compression_ratios(data, 32 << 20);
    Ratios {
        dedup: dedup_ratio(data, chunk),
        zstd,
        lz4,
        gzip,
    }
}
