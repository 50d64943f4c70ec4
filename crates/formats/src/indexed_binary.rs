//! DLIO's indexed binary format: a data file of samples back to back, and two index files
//! beside it, `<file>.off.idx` and `<file>.sz.idx`, each a little-endian `u64` per sample
//! (offset, size). The `mmap_indexed_binary` format has the same layout. A sample is one
//! ranged read once the index is known.

use crate::{Error, Result};

/// The offset and size index files for samples of the given sizes.
pub fn index(sizes: &[u64]) -> (Vec<u8>, Vec<u8>) {
    let (mut off, mut sz) = (
        Vec::with_capacity(sizes.len() * 8),
        Vec::with_capacity(sizes.len() * 8),
    );
    let mut at = 0u64;
    for &s in sizes {
        off.extend_from_slice(&at.to_le_bytes());
        sz.extend_from_slice(&s.to_le_bytes());
        at += s;
    }
    (off, sz)
}

/// `(offset, size)` of sample `index` from the two index files.
pub fn locate(off_idx: &[u8], sz_idx: &[u8], index: u64) -> Result<(u64, u64)> {
    if !off_idx.len().is_multiple_of(8) || off_idx.len() != sz_idx.len() {
        return Err(Error::Corrupt {
            format: "indexed_binary",
            reason: format!("index files of {} and {} bytes", off_idx.len(), sz_idx.len()),
        });
    }
    let have = off_idx.len() as u64 / 8;
    if index >= have {
        return Err(Error::NoSuchSample {
            format: "indexed_binary",
            index,
            have,
        });
    }
    let at = index as usize * 8;
    let word = |b: &[u8]| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default());
    Ok((word(off_idx), word(sz_idx)))
}

/// Sample `index` from the data file and its index files.
pub fn sample(data: &[u8], off_idx: &[u8], sz_idx: &[u8], index: u64) -> Result<Vec<u8>> {
    let (off, size) = locate(off_idx, sz_idx, index)?;
    let end = off
        .checked_add(size)
        .filter(|e| *e <= data.len() as u64)
        .ok_or_else(|| Error::Corrupt {
            format: "indexed_binary",
            reason: format!(
                "sample {index} at {off}+{size} runs past the {}-byte data file",
                data.len()
            ),
        })?;
    Ok(data[off as usize..end as usize].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption() {
        let data: Vec<u8> = (0..30).collect();
        let (off, sz) = index(&[10, 10, 10]);
        assert_eq!(
            sample(&data, &off, &sz, 2).expect("s2"),
            (20..30).collect::<Vec<u8>>()
        );
        assert!(matches!(
            sample(&data, &off, &sz, 3),
            Err(Error::NoSuchSample { have: 3, .. })
        ));
        assert!(sample(&data[..25], &off, &sz, 2).is_err(), "truncated data");
        assert!(sample(&data, &off[..7], &sz, 0).is_err(), "truncated index");
    }
}
