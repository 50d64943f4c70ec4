//! Deterministic synthetic data with exact dedup and compression ratios.
//!
//! Storage benchmarks are only honest when the bytes they write behave like real data:
//! deduplicating storage must see the dedup ratio asked for, compressing storage the
//! compression ratio, and no two objects may be identical by accident.
//!
//! # The scheme
//!
//! An object is a sequence of **blocks** (default 1 MiB; a multiple of 4 KiB, so dedup-aware
//! storage chunking at 4 KiB…block size sees whole duplicate chunks). Each block's bytes are a
//! pure function of a 64-bit **content key**, so equal keys mean byte-identical blocks.
//!
//! - **Dedup `D`** ([`layout`]): blocks are numbered across the run, `g = object_id ×
//!   blocks_per_object + block`, and grouped `D` at a time (`u = ⌊g / D⌋`). The first block of
//!   group `u` gets content `u`; its `j`-th duplicate gets content `u − j·L`, so every copy of a
//!   content sits ≥ 1 MiB (`L` blocks' worth times `D`) after the previous one: duplicates are
//!   spread across objects and lie beyond the windows of gzip (32 KiB), lz4 (64 KiB) and
//!   zstd -1 (512 KiB), so dedup does not leak into compression. Exactly `⌈n / D⌉` distinct blocks exist among `n`. With `D = 1`
//!   every (object, block) pair has its own key, so different objects never share a block.
//! - **Compression `C`** ([`block`]): a block is cut into 4 KiB segments. Each segment starts
//!   with `≈4096/C` random bytes and is completed by repeating them. LZ compressors encode the
//!   repetition as back-references to bytes they have just seen, so zstd, lz4 and gzip all
//!   land near `C:1`; redundancy is spread over every segment and nothing is a run of zeros,
//!   so a compressor that only collapses zero runs gains nothing.
//! - **Random bytes** come from a 1 MiB pool made once from the seed, read from a per-block
//!   pseudo-random offset and XORed with the block's 64-bit key: memcpy-class speed, and no two
//!   blocks share a run of bytes.
//!
//! Generation is resumable at any offset ([`DataGen::fill`]), streams into a caller's buffer
//! without allocating ([`Generator`]), runs on exactly `threads` threads when asked (a pool of
//! that size, one block per task: [`DataGen::fill_parallel`]), and reads can be checked
//! against what was written ([`DataGen::verify`]). [`ratios`] measures the achieved dedup and compression ratios.
//!
//! ```
//! use mlstor_datagen::{DataGen, Params};
//! let data = DataGen::new(Params { dedup: 2.0, compress: 3.0, ..Params::default() })?;
//! let obj = data.generate(7, 4 << 20, 1);            // object 7, 4 MiB, one thread
//! assert!(data.verify(7, 4 << 20, 0, &obj).is_ok());
//! # Ok::<(), mlstor_datagen::Error>(())
//! ```

pub mod block;
mod generator;
pub mod layout;
pub mod ratios;

use std::sync::Arc;

pub use generator::Generator;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is out of range.
    #[error("invalid data generation parameter {name} = {value}: {reason}")]
    InvalidParam {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
    /// Bytes read back differ from what was generated.
    #[error(
        "data mismatch in object {object_id} at byte {offset}: expected {expected:#04x}, found {found:#04x}"
    )]
    Mismatch {
        object_id: u64,
        offset: u64,
        expected: u8,
        found: u8,
    },
    /// The system cannot provide a buffer of this size.
    #[error("cannot allocate {size} bytes for the generated data")]
    OutOfMemory { size: usize },
    /// Bytes read back extend past the object's end.
    #[error("object {object_id} has {size} bytes; {len} bytes at offset {offset} run past its end")]
    PastEnd {
        object_id: u64,
        size: u64,
        offset: u64,
        len: u64,
    },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Dedup factor `D ≥ 1`: the storage sees `1/D` of the blocks as unique.
    pub dedup: f64,
    /// Compression factor `C ≥ 1`: general-purpose compressors reach about `C:1`.
    pub compress: f64,
    /// Block size in bytes: a multiple of 4 KiB, at most 64 MiB.
    pub block_size: usize,
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            dedup: 1.0,
            compress: 1.0,
            block_size: 1 << 20,
            seed: 0x6d6c_7374_6f72,
        }
    }
}

impl Params {
    fn validate(&self) -> Result<()> {
        let bad = |name, value: String, reason| Err(Error::InvalidParam { name, value, reason });
        if !(self.dedup.is_finite() && self.dedup >= 1.0) {
            return bad("dedup", self.dedup.to_string(), "must be a number >= 1");
        }
        if !(self.compress.is_finite() && self.compress >= 1.0 && self.compress <= 512.0) {
            return bad(
                "compress",
                self.compress.to_string(),
                "must be a number in 1..=512",
            );
        }
        if self.block_size == 0 || !self.block_size.is_multiple_of(4096) || self.block_size > 64 << 20 {
            return bad(
                "block_size",
                self.block_size.to_string(),
                "must be a multiple of 4 KiB, at most 64 MiB",
            );
        }
        Ok(())
    }
}

/// A configured generator: cheap to clone (the random pool is shared).
#[derive(Debug, Clone)]
pub struct DataGen {
    params: Params,
    pool: Arc<block::Pool>,
}

impl DataGen {
    pub fn new(params: Params) -> Result<DataGen> {
        params.validate()?;
        Ok(DataGen {
            pool: Arc::new(block::Pool::new(params.seed)),
            params,
        })
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    fn blocks_in(&self, size: u64) -> u64 {
        size.div_ceil(self.params.block_size as u64).max(1)
    }

    /// Fills `out` with the bytes at `offset..` of object `object_id` (of `size` bytes; bytes
    /// past `size` continue the last block). `scratch` is used only when `offset` is not
    /// block-aligned; it grows to at most one block.
    pub fn fill(&self, object_id: u64, size: u64, offset: u64, out: &mut [u8], scratch: &mut Vec<u8>) {
        let bs = self.params.block_size as u64;
        let nblocks = self.blocks_in(size);
        let size = size.max(offset + out.len() as u64);
        let mut done = 0usize;
        while done < out.len() {
            let pos = offset + done as u64;
            let b = pos / bs;
            let in_block = (pos % bs) as usize;
            let block_len = bs.min(size - b * bs) as usize;
            let take = (block_len - in_block).min(out.len() - done);
            let key = layout::content_key(&self.params, object_id, nblocks, b);
            if in_block == 0 {
                block::fill_block(&self.pool, key, self.params.compress, &mut out[done..done + take]);
            } else {
                // Blocks are generated front to back (copies refer to earlier bytes).
                scratch.resize(in_block + take, 0);
                block::fill_block(&self.pool, key, self.params.compress, scratch);
                out[done..done + take].copy_from_slice(&scratch[in_block..]);
            }
            done += take;
        }
    }

    /// Like [`fill`](Self::fill), with the block-aligned bulk of `out` spread over `pool`'s
    /// threads (work-stealing, one block per task); only a leading partial block is filled on
    /// the calling thread, which otherwise waits. A pool of `T` threads thus uses exactly `T`.
    pub fn fill_parallel(
        &self,
        object_id: u64,
        size: u64,
        offset: u64,
        out: &mut [u8],
        pool: &rayon::ThreadPool,
        scratch: &mut Vec<u8>,
    ) {
        use rayon::prelude::*;
        let bs = self.params.block_size;
        let head = ((bs as u64 - offset % bs as u64) % bs as u64).min(out.len() as u64) as usize;
        let (first, rest) = out.split_at_mut(head);
        self.fill(object_id, size, offset, first, scratch);
        let start = offset + head as u64;
        pool.install(|| {
            rest.par_chunks_mut(bs).enumerate().for_each(|(i, block)| {
                self.fill(object_id, size, start + (i * bs) as u64, block, &mut Vec::new());
            });
        });
    }

    /// Object `object_id` of `size` bytes in a fresh buffer, generated on `threads` threads.
    pub fn generate(&self, object_id: u64, size: usize, threads: usize) -> Vec<u8> {
        self.try_generate(object_id, size, threads)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`generate`](Self::generate), but a size the system cannot allocate is an error.
    pub fn try_generate(&self, object_id: u64, size: usize, threads: usize) -> Result<Vec<u8>> {
        let mut out = zeroed(size).ok_or(Error::OutOfMemory { size })?;
        match thread_pool(threads) {
            Some(pool) => self.fill_parallel(object_id, size as u64, 0, &mut out, &pool, &mut Vec::new()),
            None => self.fill(object_id, size as u64, 0, &mut out, &mut Vec::new()),
        }
        Ok(out)
    }

    /// A streaming generator over object `object_id` of `size` bytes.
    pub fn generator(&self, object_id: u64, size: u64) -> Generator {
        Generator::new(self.clone(), object_id, size)
    }

    /// Checks that `data`, read at `offset` of object `object_id` (of `size` bytes), is what
    /// was generated. Regenerates block by block, so it costs about as much as generating.
    pub fn verify(&self, object_id: u64, size: u64, offset: u64, data: &[u8]) -> Result<()> {
        let end = offset.saturating_add(data.len() as u64);
        if end > size {
            return Err(Error::PastEnd {
                object_id,
                size,
                offset,
                len: data.len() as u64,
            });
        }
        let bs = self.params.block_size as u64;
        let nblocks = self.blocks_in(size);
        let mut expected = Vec::new();
        let mut pos = offset;
        while pos < end {
            let b = pos / bs;
            let block_start = b * bs;
            let upto = end.min(block_start + bs);
            expected.resize((upto - block_start) as usize, 0);
            let key = layout::content_key(&self.params, object_id, nblocks, b);
            block::fill_block(&self.pool, key, self.params.compress, &mut expected);
            let want = &expected[(pos - block_start) as usize..];
            let got = &data[(pos - offset) as usize..(upto - offset) as usize];
            if want != got {
                let i = want.iter().zip(got).position(|(a, b)| a != b).unwrap_or(0);
                return Err(Error::Mismatch {
                    object_id,
                    offset: pos + i as u64,
                    expected: want[i],
                    found: got[i],
                });
            }
            pos = upto;
        }
        Ok(())
    }
}

/// `len` zero bytes, lazily zeroed by the system (like `vec![0; len]`), or `None` when the
/// allocation is refused instead of aborting the process.
fn zeroed(len: usize) -> Option<Vec<u8>> {
    if len == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u8>(len).ok()?;
    // SAFETY: non-zero size; the pointer is checked for null below.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: allocated by the global allocator with exactly Vec<u8>'s layout for capacity
    // `len`, and all `len` bytes are initialised (zeroed).
    Some(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

/// A pool of exactly `threads` threads, or `None` for one (the caller's) thread.
pub(crate) fn thread_pool(threads: usize) -> Option<rayon::ThreadPool> {
    if threads <= 1 {
        return None;
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("mlstor-datagen-{i}"))
        .build()
        .ok()
}
