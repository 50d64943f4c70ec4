//! Streaming generation into caller buffers.

use crate::DataGen;

/// Fills caller buffers with one object's bytes, chunk after chunk, without allocating
/// (its one scratch block is allocated up front). Can jump to any offset.
pub struct Generator {
    data: DataGen,
    object_id: u64,
    size: u64,
    pos: u64,
    pool: Option<rayon::ThreadPool>,
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
            pool: None,
            scratch,
        }
    }

    /// Generate each chunk on a pool of exactly `threads` threads (made once, here).
    pub fn with_threads(mut self, threads: usize) -> Generator {
        self.pool = crate::thread_pool(threads);
        self
    }

    /// Fills `buf` with the next bytes; returns how many (0 once the object is complete).
    pub fn fill_chunk(&mut self, buf: &mut [u8]) -> usize {
        let n = (self.size - self.pos).min(buf.len() as u64) as usize;
        let out = &mut buf[..n];
        let (id, size, pos) = (self.object_id, self.size, self.pos);
        match &self.pool {
            Some(pool) => self
                .data
                .fill_parallel(id, size, pos, out, pool, &mut self.scratch),
            None => self.data.fill(id, size, pos, out, &mut self.scratch),
        }
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

impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("object_id", &self.object_id)
            .field("size", &self.size)
            .field("pos", &self.pos)
            .field(
                "threads",
                &self
                    .pool
                    .as_ref()
                    .map_or(1, rayon::ThreadPool::current_num_threads),
            )
            .finish()
    }
}
