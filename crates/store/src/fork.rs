//! Fork safety for processes that `fork()` while mlstor's I/O threads run (Python's
//! `os.fork`, DataLoader workers, `multiprocessing`).
//!
//! A child made by `fork()` has one thread; a lock another thread held at that instant stays
//! locked in the child forever. [`prepare`] takes the process-wide lock this crate's I/O
//! threads share (the buffer pool) so that no thread can be inside it at the fork, and
//! [`release`] gives it back, in the parent and in the child alike. Call `prepare` right
//! before the fork and `release` right after it, on the forking thread (`pthread_atfork`
//! order; Python: `os.register_at_fork`). Nobody ever waits for the pool's lock (a thread
//! that finds it taken works without the pool), so holding it across the fork cannot
//! deadlock with a thread that holds something the forking thread needs (Python's GIL).
//! The memory backend's namespace table is only locked while a store is built, which the
//! Python package does with the GIL held, so never at a fork.

use std::cell::RefCell;
use std::sync::MutexGuard;

/// The locks held across a fork, on the forking thread.
struct Held {
    _pool: MutexGuard<'static, Vec<crate::buffer::Buffer>>,
}

thread_local! {
    static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
}

/// Takes the process-wide locks (idempotent on one thread).
pub fn prepare() {
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        if h.is_none() {
            *h = Some(Held {
                _pool: crate::buffer::lock_pool(),
            });
        }
    });
}

/// Gives the locks [`prepare`] took back (a no-op without `prepare`).
pub fn release() {
    HELD.with(|h| h.borrow_mut().take());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_holds_and_release_frees() {
        prepare();
        prepare(); // idempotent
        // Meanwhile other threads neither wait nor fail: they work without the pool.
        let other = std::thread::spawn(|| crate::buffer::pooled(1 << 20).map(|p| p.into_bytes().len()));
        assert_eq!(other.join().expect("thread").expect("buffer"), 1 << 20);
        assert!(
            crate::buffer::POOL.try_lock().is_err(),
            "held across the fork window"
        );
        release();
        assert!(crate::buffer::POOL.try_lock().is_ok(), "given back");
        release(); // harmless
    }
}
