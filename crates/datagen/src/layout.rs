//! Which content each block of a run gets: the dedup mapping.
//!
//! Blocks are numbered across the run, `g = object_id × blocks_per_object + block`, and laid
//! out in rows of `S` blocks, `S·block_size ≥ 1 MiB`. Rows are grouped `D` at a time (row `a`
//! is in group `⌊a/D⌋`); every row of a group repeats the group's first row, column by
//! column: block `g` gets content `⌊⌊g/S⌋ / D⌋·S + g mod S`. So among `n` blocks there are
//! `n/D` distinct contents (exact for every whole group of rows, i.e. every `D` MiB), and each
//! copy sits exactly one row, ≥ 1 MiB, after the previous one: beyond the windows of gzip,
//! lz4 and zstd -1, so dedup does not leak into compression. With `D = 1` the key comes from
//! (object, block) directly, so objects never share a block whatever their sizes.

use crate::Params;
use crate::block::mix;

/// Blocks per row: enough for a row to span at least 1 MiB.
pub fn row_blocks(block_size: usize) -> u64 {
    (1u64 << 20).div_ceil(block_size as u64).max(1)
}

/// The content key of block `block` of object `object_id`, which has `nblocks` blocks.
pub fn content_key(p: &Params, object_id: u64, nblocks: u64, block: u64) -> u64 {
    let seed = mix(p.seed ^ 0x6b65_7973);
    if p.dedup <= 1.0 {
        return mix(mix(seed ^ mix(object_id)) ^ block);
    }
    let g = object_id.wrapping_mul(nblocks).wrapping_add(block);
    let row_len = row_blocks(p.block_size);
    let (row, column) = (g / row_len, g % row_len);
    let group = (row as f64 / p.dedup).floor() as u64;
    let source = group.wrapping_mul(row_len).wrapping_add(column);
    mix(mix(seed ^ 0x0064_7570) ^ source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn distinct(p: &Params, objects: u64, nblocks: u64) -> usize {
        let keys: HashSet<u64> = (0..objects)
            .flat_map(|o| (0..nblocks).map(move |b| (o, b)))
            .map(|(o, b)| content_key(p, o, nblocks, b))
            .collect();
        keys.len()
    }

    #[test]
    fn exact_unique_share() {
        for d in [1.0, 1.5, 2.0, 3.0, 4.0, 8.0] {
            let p = Params {
                dedup: d,
                ..Params::default()
            };
            for (objects, nblocks) in [(1, 960), (960, 1), (40, 24)] {
                let n = objects * nblocks;
                let got = distinct(&p, objects, nblocks);
                let want = (n as f64 / d).ceil() as usize;
                assert!(
                    got.abs_diff(want) <= 1,
                    "D={d} {objects}x{nblocks}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn exact_with_small_blocks_across_objects() {
        for d in [1.5, 2.0, 3.0, 8.0] {
            let p = Params {
                dedup: d,
                block_size: 64 << 10,
                ..Params::default()
            };
            let got = distinct(&p, 1536, 1);
            let want = (1536.0 / d).round() as usize;
            assert!(got.abs_diff(want) <= 16, "D={d}: {got} vs {want}");
        }
    }

    #[test]
    fn duplicates_are_far_from_their_original() {
        let p = Params {
            dedup: 2.0,
            block_size: 4096,
            ..Params::default()
        };
        let keys: Vec<u64> = (0..4096).map(|b| content_key(&p, 0, 4096, b)).collect();
        for (i, k) in keys.iter().enumerate() {
            if let Some(j) = keys[..i].iter().position(|x| x == k) {
                assert!((i - j) * 4096 >= 1 << 20, "copy {i} of {j} is within 1 MiB");
            }
        }
    }

    #[test]
    fn no_dedup_means_no_sharing_across_sizes() {
        let p = Params::default();
        let mut seen = HashSet::new();
        for (o, n) in [(0u64, 3u64), (1, 1), (2, 7), (3, 1)] {
            for b in 0..n {
                assert!(seen.insert(content_key(&p, o, n, b)));
            }
        }
    }
}
