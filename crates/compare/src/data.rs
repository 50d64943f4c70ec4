//! The objects every library moves: object `i` is what mlstor's data generator makes for id
//! `i` (the same bytes `mlstor bench put` writes), unique per object, incompressible. The
//! parent makes them outside every timed region and knows each one's CRC-32, which is what a
//! read is checked against.

use mlstor_datagen::{DataGen, Params};
use rayon::prelude::*;

use crate::CompareError;

pub struct Objects {
    size: usize,
    data: DataGen,
}

impl Objects {
    pub fn new(size: usize) -> Result<Objects, CompareError> {
        Ok(Objects {
            size,
            data: DataGen::new(Params::default()).map_err(CompareError::Datagen)?,
        })
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Object `i` into `out` (`out.len() == size`).
    pub fn fill(&self, i: usize, out: &mut [u8]) {
        self.data
            .fill(i as u64, self.size as u64, 0, out, &mut Vec::new());
    }

    /// The CRC-32 (zlib's) of objects `0..n`, made in parallel.
    pub fn crcs(&self, n: usize) -> Vec<u32> {
        (0..n)
            .into_par_iter()
            .map_init(
                || vec![0u8; self.size],
                |buf, i| {
                    self.fill(i, buf);
                    crc32fast::hash(buf)
                },
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_unique_and_their_crcs_match() {
        let o = Objects::new(10_000).expect("gen");
        let crcs = o.crcs(4);
        let mut a = vec![0u8; 10_000];
        o.fill(2, &mut a);
        assert_eq!(crc32fast::hash(&a), crcs[2]);
        let mut sorted = crcs.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 4, "unique");
    }
}
