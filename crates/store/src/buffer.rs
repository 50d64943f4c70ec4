//! Aligned heap buffers and a small pool of them.
//!
//! - [`Buffer`]: zeroed, page-aligned memory (an anonymous mapping when large), as O_DIRECT
//!   needs.
//! - [`pooled`]: a buffer from a process-wide pool, handed out as the owner of a
//!   `bytes::Bytes`; when the last `Bytes` referring to it drops, the memory goes back to the
//!   pool instead of to the OS, so steady-state reads neither page-fault nor zero memory.
//!   The pool is bounded ([`POOL_MAX_BYTES`]); beyond it buffers are simply freed.

use std::alloc::{self, Layout};
use std::ptr::NonNull;
use std::sync::Mutex;

/// Alignment of every buffer (O_DIRECT needs page alignment).
pub const PAGE: usize = 4096;
/// Buffers at least this large are mapped directly rather than taken from the allocator.
pub const HUGE: usize = 2 << 20;
/// The most memory the pool keeps for reuse.
pub const POOL_MAX_BYTES: usize = 256 << 20;
/// Smaller buffers are not pooled (the allocator handles them well).
const POOL_MIN_BYTES: usize = 64 << 10;

/// A zeroed, aligned heap buffer of fixed capacity.
pub struct Buffer {
    ptr: NonNull<u8>,
    cap: usize,
}

// SAFETY: Buffer owns its allocation exclusively, like a Vec<u8>.
unsafe impl Send for Buffer {}
// SAFETY: shared access only reads the bytes.
unsafe impl Sync for Buffer {}

/// The error of an allocation the system refused (a size read from an object or an option can
/// be anything, so this is an error, never an abort).
fn refused(len: usize) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::OutOfMemory,
        format!("cannot allocate a buffer of {len} bytes"),
    )
}

impl Buffer {
    /// A zeroed buffer of at least `len` bytes (rounded up to whole pages).
    pub fn new(len: usize) -> std::io::Result<Buffer> {
        let cap = len
            .max(1)
            .checked_next_multiple_of(PAGE)
            .ok_or_else(|| refused(len))?;
        let layout = Layout::from_size_align(cap, PAGE).map_err(|_| refused(len))?;
        let raw = if cap >= HUGE {
            // Large: an anonymous mapping, whose zero pages cost nothing until touched.
            // (Not advised as huge pages: on-fault compaction cost more client CPU than the
            // fewer TLB misses saved; see docs/benchmarks.md.)
            // SAFETY: a fresh private anonymous mapping; no existing memory is affected.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    cap,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                    -1,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                return Err(refused(len));
            }
            p.cast::<u8>()
        } else {
            // SAFETY: the layout has a non-zero size.
            unsafe { alloc::alloc_zeroed(layout) }
        };
        let ptr = NonNull::new(raw).ok_or_else(|| refused(len))?;
        Ok(Buffer { ptr, cap })
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: ptr is valid for cap initialised (zeroed or written) bytes.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.cap) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: ptr is valid for cap bytes and uniquely borrowed through &mut self.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.cap) }
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if self.cap >= HUGE {
            // SAFETY: unmapping exactly the mapping made in `new`.
            unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.cap) };
        } else {
            // SAFETY: allocated in `new` with this layout, which was valid then.
            unsafe {
                alloc::dealloc(
                    self.ptr.as_ptr(),
                    Layout::from_size_align_unchecked(self.cap, PAGE),
                )
            }
        }
    }
}

/// The pool. Nobody ever waits for its lock: a thread that finds it taken allocates (or
/// frees) without the pool, so a holder that cannot let go (a fork in progress, see
/// [`crate::fork`]) never blocks anyone, even a thread that holds Python's GIL.
pub(crate) static POOL: Mutex<Vec<Buffer>> = Mutex::new(Vec::new());

/// The pool, if no other thread has it.
fn try_pool() -> Option<std::sync::MutexGuard<'static, Vec<Buffer>>> {
    match POOL.try_lock() {
        Ok(g) => Some(g),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

/// The pool, locked, waiting for a holder (for [`crate::fork`]: holders never wait while
/// holding it, so this wait is short).
pub(crate) fn lock_pool() -> std::sync::MutexGuard<'static, Vec<Buffer>> {
    POOL.lock().unwrap_or_else(|p| p.into_inner())
}

/// A pooled buffer holding `len` valid bytes; the owner of a `Bytes` (see module docs).
pub struct Pooled {
    buf: Option<Buffer>,
    len: usize,
}

/// A buffer of at least `len` bytes, reused from the pool when one of a fitting size is free.
pub fn pooled(len: usize) -> std::io::Result<Pooled> {
    let buf = match try_pool() {
        Some(mut pool) if len >= POOL_MIN_BYTES => {
            // Fitting: large enough, and not wastefully larger than asked for.
            let hit = pool
                .iter()
                .position(|b| b.cap >= len && b.cap <= len.saturating_mul(2).max(HUGE));
            hit.map(|i| pool.swap_remove(i))
        }
        _ => None,
    };
    let buf = match buf {
        Some(b) => b,
        None => Buffer::new(len)?,
    };
    Ok(Pooled { buf: Some(buf), len })
}

impl Pooled {
    /// The whole writable capacity (at least the requested length).
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        self.buf.as_mut().map(Buffer::as_mut_slice).unwrap_or_default()
    }

    /// Sets how many bytes are valid (at most the capacity).
    pub fn set_len(&mut self, len: usize) {
        self.len = len.min(self.buf.as_ref().map_or(0, Buffer::capacity));
    }

    /// Bytes over the first `len` bytes, sharing this memory (no copy).
    pub fn into_bytes(self) -> bytes::Bytes {
        bytes::Bytes::from_owner(self)
    }
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        self.buf
            .as_ref()
            .map(|b| &b.as_slice()[..self.len])
            .unwrap_or_default()
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let Some(buf) = self.buf.take() else { return };
        if buf.cap < POOL_MIN_BYTES {
            return;
        }
        let Some(mut pool) = try_pool() else { return };
        let held: usize = pool.iter().map(|b| b.cap).sum();
        if held + buf.cap <= POOL_MAX_BYTES {
            pool.push(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_aligned_and_zeroed() {
        for len in [1, 4095, 4097, 3 << 20] {
            let b = Buffer::new(len).expect("alloc");
            assert!(b.capacity() >= len);
            assert_eq!(b.as_slice().as_ptr() as usize % PAGE, 0);
            assert!(b.as_slice().iter().all(|&x| x == 0));
        }
        let big = Buffer::new(4 << 20).expect("alloc");
        assert!(big.capacity() >= 4 << 20 && big.as_slice().iter().all(|&x| x == 0));
    }

    #[test]
    fn impossible_sizes_are_errors_not_aborts() {
        let e = Buffer::new(usize::MAX - 10).err().expect("refused");
        assert_eq!(e.kind(), std::io::ErrorKind::OutOfMemory);
        assert!(pooled(1 << 62).is_err());
    }

    #[test]
    fn pool_reuses_memory_after_bytes_drop() {
        let mut p = pooled(1 << 20).expect("alloc");
        p.as_mut_slice()[..3].copy_from_slice(b"abc");
        p.set_len(3);
        let bytes = p.into_bytes();
        assert_eq!(&bytes[..], b"abc");
        let addr = bytes.as_ptr() as usize;
        let clone = bytes.clone();
        drop(bytes);
        assert_eq!(&clone[..], b"abc", "memory lives while any Bytes refers to it");
        drop(clone);
        // Tests share the process-wide pool, so look for our buffer among a few takes.
        let takes: Vec<Pooled> = (0..8).map(|_| pooled(1 << 20).expect("alloc")).collect();
        assert!(takes.iter().any(|t| {
            t.buf
                .as_ref()
                .is_some_and(|b| b.as_slice().as_ptr() as usize == addr)
        }));
    }
}
