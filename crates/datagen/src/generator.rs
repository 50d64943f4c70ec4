//! Streaming generation into caller buffers.

use crate::DataGen;

/// Fills caller buffers with one object's bytes, chunk after chunk, without allocating
/// (its one scratch block is allocated up front). Can jump to any offset.
#[derive(Debug)]
pub struct Generator {
    data: DataGen,
    object_id: u64,
    size: u64,
    pos: u64,
    threads: usize,
    scratch: Vec<u8>,
}

impl Generator {
    pub(crate) fn new(data: DataGen, object_id: u64, size: u64) -> Generator {
        let scratch = Vec::with_capacity(data.params().block_size);
        Generator {
            data,
            object_id,
            size,
            pos: 0,
            threads: 1,
            scratch,
        }
    }

    /// Generate each chunk on exactly `threads` threads (chunks of fewer blocks use fewer).
    pub fn with_threads(mut self, threads: usize) -> Generator {
        self.threads = threads.max(1);
        self
    }

    /// Fills `buf` with the next bytes; returns how many (0 once the object is complete).
    pub fn fill_chunk(&mut self, buf: &mut [u8]) -> usize {
        let n = (self.size - self.pos).min(buf.len() as u64) as usize;
        let out = &mut buf[..n];
        self.data.fill_parallel(
            self.object_id,
            self.size,
            self.pos,
            out,
            self.threads,
            &mut self.scratch,
        );
        self.pos += n as u64;
        n
    }

    /// Continues from byte `pos` (clamped to the object's size).
    pub fn seek(&mut self, pos: u64) {
        self.pos = pos.min(self.size);
    }

    pub fn position(&self) -> u64 {
        self.pos
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn is_complete(&self) -> bool {
        self.pos >= self.size
    }
}
