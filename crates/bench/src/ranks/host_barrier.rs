//! A barrier for the ranks of one host, in shared memory: each rank counts its arrival in
//! a shared word; the host's first rank sleeps until all have arrived, runs what must happen
//! in between (the barrier between hosts), and releases the others by bumping a generation
//! word they sleep on. Ranks wait in the kernel (`futex`), so a waiting rank costs no CPU
//! and a release is one system call, however many ranks share the cores. (Open MPI's
//! barriers need every rank to be scheduled in turn to pass messages: tens of milliseconds
//! with dozens of ranks per core.)

use std::fs::OpenOptions;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The shared words, each on its own cache line.
#[repr(C)]
struct Words {
    arrived: AtomicU32,
    _pad: [u8; 60],
    generation: AtomicU32,
    _pad2: [u8; 60],
}

const SIZE: usize = std::mem::size_of::<Words>();

/// One rank's handle on its host's barrier.
#[derive(Debug)]
pub struct HostBarrier {
    words: *mut Words,
    local_rank: usize,
    local_size: usize,
}

// SAFETY: the mapping is only accessed through atomics and lives as long as the handle.
unsafe impl Send for HostBarrier {}
// SAFETY: as above.
unsafe impl Sync for HostBarrier {}

impl HostBarrier {
    /// Creates the shared file (by the host's first rank, before the others open it).
    pub fn create(path: &Path) -> std::io::Result<()> {
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)?;
        f.set_len(SIZE as u64)
    }

    /// Maps the shared file as rank `local_rank` of `local_size` on this host.
    pub fn open(path: &Path, local_rank: usize, local_size: usize) -> std::io::Result<HostBarrier> {
        let f = OpenOptions::new().read(true).write(true).open(path)?;
        if f.metadata()?.len() < SIZE as u64 {
            return Err(std::io::Error::other("the barrier file is too short"));
        }
        // SAFETY: a fresh shared mapping of SIZE bytes of an open file; checked below.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(HostBarrier {
            words: p.cast(),
            local_rank,
            local_size,
        })
    }

    fn words(&self) -> &Words {
        // SAFETY: `words` maps SIZE bytes (zero-filled, so valid atomics) until drop.
        unsafe { &*self.words }
    }

    /// Waits until every rank of the host has called it; `between` runs on the host's first
    /// rank once all have arrived, before any is released.
    pub fn wait(&self, between: impl FnOnce()) {
        let w = self.words();
        let generation = w.generation.load(Ordering::Acquire);
        let arrived = w.arrived.fetch_add(1, Ordering::AcqRel) + 1;
        if self.local_rank == 0 {
            loop {
                let a = w.arrived.load(Ordering::Acquire);
                if a as usize >= self.local_size {
                    break;
                }
                futex_wait(&w.arrived, a);
            }
            between();
            w.arrived.store(0, Ordering::Release);
            w.generation.fetch_add(1, Ordering::Release);
            futex_wake(&w.generation, i32::MAX);
        } else {
            if arrived as usize == self.local_size {
                futex_wake(&w.arrived, 1);
            }
            while w.generation.load(Ordering::Acquire) == generation {
                futex_wait(&w.generation, generation);
            }
        }
    }
}

impl Drop for HostBarrier {
    fn drop(&mut self) {
        // SAFETY: unmaps what `open` mapped; no reference outlives the handle.
        unsafe {
            libc::munmap(self.words.cast(), SIZE);
        }
    }
}

/// Sleeps while `word` holds `expected` (at most 100 ms: a lost wake-up only delays).
fn futex_wait(word: &AtomicU32, expected: u32) {
    let timeout = libc::timespec {
        tv_sec: 0,
        tv_nsec: Duration::from_millis(100).as_nanos() as libc::c_long,
    };
    // SAFETY: FUTEX_WAIT on a valid, aligned u32 of a shared mapping, with a valid timeout.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            &timeout as *const libc::timespec,
            std::ptr::null::<u32>(),
            0,
        );
    }
}

/// Wakes up to `n` ranks sleeping on `word`.
fn futex_wake(word: &AtomicU32, n: i32) {
    // SAFETY: FUTEX_WAKE on a valid, aligned u32 of a shared mapping.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, n, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[test]
    fn nobody_leaves_before_everybody_arrives() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("barrier");
        HostBarrier::create(&path).expect("create");
        let n = 6;
        let rounds = 200;
        let arrivals = Arc::new(AtomicUsize::new(0));
        let between = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..n)
            .map(|r| {
                // Each "rank" maps the file itself, as separate processes do.
                let b = HostBarrier::open(&path, r, n).expect("open");
                let (arrivals, between) = (arrivals.clone(), between.clone());
                std::thread::spawn(move || {
                    for round in 0..rounds {
                        arrivals.fetch_add(1, Ordering::SeqCst);
                        if r == round % n {
                            std::thread::sleep(Duration::from_micros(200)); // a late rank
                        }
                        b.wait(|| {
                            between.fetch_add(1, Ordering::SeqCst);
                        });
                        // After the barrier, all ranks of this round have arrived.
                        let seen = arrivals.load(Ordering::SeqCst);
                        assert!(seen >= (round + 1) * n, "round {round}: {seen} arrivals");
                        assert!(seen <= (round + 2) * n, "round {round}: {seen} arrivals");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("rank");
        }
        assert_eq!(
            between.load(Ordering::SeqCst),
            rounds,
            "once per barrier, on the first rank"
        );
    }

    #[test]
    fn short_or_missing_files_are_errors() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("b");
        assert!(HostBarrier::open(&path, 0, 1).is_err());
        std::fs::write(&path, b"x").expect("write");
        assert!(HostBarrier::open(&path, 0, 1).is_err());
        assert!(HostBarrier::create(&path).is_err(), "create never reuses a file");
    }
}
