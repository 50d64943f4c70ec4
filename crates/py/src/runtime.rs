//! The tokio runtime of this process and the bridge that runs a future on it with the GIL
//! released.
//!
//! The runtime is created lazily, once per process: a child made by `fork()` (DataLoader
//! workers, `multiprocessing`) sees a different pid and builds its own, never touching the
//! parent's threads, which do not exist in the child. Before a fork, when no call is in
//! flight and no writer or iterator holds tasks on it, the runtime is shut down so that the
//! fork happens in a single-threaded process (no lock can be held by a vanished thread);
//! the next call builds a fresh one. Every rebuild bumps a generation number, and stores
//! built on an older generation (whose connection pools belonged to the old runtime) are
//! rebuilt too.
//!
//! A fork can also come while other threads are doing I/O. Then no lock those threads use may
//! be held at the instant of the fork, or the child would wait on it forever: the `before`
//! hook takes the store's process-wide locks ([`mlstor_store::fork`]) and blocks Python
//! objects from being released off the GIL (which goes through PyO3's own lock, see
//! [`py_drop_guard`]); the `after` hooks give them back in parent and child. Objects the child
//! inherits that belong to the parent's runtime (stores with their connection pools,
//! iterators' channels) are never dropped in the child, only forgotten: their locks may be held.

use std::cell::RefCell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

struct Slot {
    pid: u32,
    generation: u64,
    rt: Arc<Runtime>,
}

static SLOT: Mutex<Option<Slot>> = Mutex::new(None);
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// Calls currently blocked on the runtime.
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
/// Writers and iterators whose tasks live on the runtime.
static HANDLES: AtomicUsize = AtomicUsize::new(0);
/// Read-held while a Python object is released off the GIL; write-held across a fork.
static FORK_GUARD: RwLock<()> = RwLock::new(());

thread_local! {
    /// The fork guard, held by the forking thread from `_before_fork` to the `after` hook.
    static FORKING: RefCell<Option<RwLockWriteGuard<'static, ()>>> = const { RefCell::new(None) };
}

/// Hold this while dropping a Python object: without the GIL, PyO3 queues the release under
/// its own lock, which must not be held at a fork, so such a thread waits while a fork is
/// being made. A thread with the GIL releases at once (no lock) and must never wait here:
/// the forking thread may need the GIL back before it lets go.
pub fn py_drop_guard() -> Option<RwLockReadGuard<'static, ()>> {
    // SAFETY: PyGILState_Check only reads the calling thread's state; the interpreter is
    // initialised (this module was imported).
    if unsafe { pyo3::ffi::PyGILState_Check() } == 1 {
        return None;
    }
    Some(FORK_GUARD.read().unwrap_or_else(|p| p.into_inner()))
}

/// How often a blocked call wakes up to let Python handle signals (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// The runtime of this process and its generation, built on first use.
pub fn runtime() -> PyResult<(Arc<Runtime>, u64)> {
    let pid = std::process::id();
    let mut slot = SLOT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(s) = slot.as_ref().filter(|s| s.pid == pid) {
        return Ok((s.rt.clone(), s.generation));
    }
    if let Some(old) = slot.take() {
        // Inherited from the parent: its threads are gone, and dropping it would wait for them.
        std::mem::forget(old.rt);
    }
    let threads = std::env::var("MLSTOR_IO_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("mlstor-io")
        .enable_all()
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start mlstor's I/O runtime: {e}")))?;
    let generation = GENERATION.fetch_add(1, Ordering::Relaxed) + 1;
    let rt = Arc::new(rt);
    *slot = Some(Slot {
        pid,
        generation,
        rt: rt.clone(),
    });
    Ok((rt, generation))
}

/// The generation of the current runtime (building it if needed).
pub fn generation() -> PyResult<u64> {
    runtime().map(|(_, g)| g)
}

struct InFlight;

impl InFlight {
    fn enter() -> InFlight {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts a writer or iterator as holding tasks on the runtime while it lives (in the process
/// that made it: a forked child starts counting from zero).
pub struct Handle {
    pid: u32,
}

impl Handle {
    pub fn new() -> Handle {
        HANDLES.fetch_add(1, Ordering::SeqCst);
        Handle {
            pid: std::process::id(),
        }
    }

    /// Whether this process made it (false in a child that inherited it by fork).
    pub fn is_ours(&self) -> bool {
        self.pid == std::process::id()
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if self.is_ours() {
            HANDLES.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Runs `fut` to completion on the runtime with the GIL released. Every 100 ms it checks
/// for pending signals, so Ctrl-C interrupts a long call (the future is dropped, which
/// cancels its requests). The first check is 100 ms in: a timer due "now" only fires on the
/// timer driver's next millisecond tick, which would add ~1 ms to every call.
pub fn block_on<F>(py: Python<'_>, fut: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let (rt, _) = runtime()?;
    let _guard = InFlight::enter();
    py.detach(|| {
        rt.block_on(async {
            tokio::pin!(fut);
            let first = tokio::time::Instant::now() + SIGNAL_CHECK;
            let mut tick = tokio::time::interval_at(first, SIGNAL_CHECK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    biased;
                    out = &mut fut => return Ok(out),
                    _ = tick.tick() => Python::attach(|py| py.check_signals())?,
                }
            }
        })
    })
}

/// `os.register_at_fork(before=...)`: shut the runtime down if nothing uses it, so the fork
/// copies a process without I/O threads (otherwise leave it; the child builds its own), then
/// hold every lock the I/O threads share until the `after` hook.
#[pyfunction]
pub fn _before_fork() {
    shutdown_if_idle();
    FORKING.with(|f| {
        let mut f = f.borrow_mut();
        if f.is_none() {
            *f = Some(FORK_GUARD.write().unwrap_or_else(|p| p.into_inner()));
        }
    });
    mlstor_store::fork::prepare();
}

/// `os.register_at_fork(after_in_parent=...)`: the locks back.
#[pyfunction]
pub fn _after_fork_parent() {
    mlstor_store::fork::release();
    FORKING.with(|f| f.borrow_mut().take());
}

/// `os.register_at_fork(after_in_child=...)`: the locks back; the child has no call in flight
/// and no writer or iterator of its own.
#[pyfunction]
pub fn _after_fork_child() {
    mlstor_store::fork::release();
    FORKING.with(|f| f.borrow_mut().take());
    IN_FLIGHT.store(0, Ordering::SeqCst);
    HANDLES.store(0, Ordering::SeqCst);
}

/// Shuts the runtime down when no call, writer or iterator uses it. The GIL stays held, so no
/// other Python thread can start a call (and a new runtime) meanwhile.
fn shutdown_if_idle() {
    if IN_FLIGHT.load(Ordering::SeqCst) != 0 || HANDLES.load(Ordering::SeqCst) != 0 {
        return;
    }
    let taken = {
        let mut slot = SLOT.lock().unwrap_or_else(|p| p.into_inner());
        match slot.take() {
            Some(s) if s.pid == std::process::id() => match Arc::try_unwrap(s.rt) {
                Ok(rt) => Some(rt),
                Err(rt) => {
                    *slot = Some(Slot { rt, ..s });
                    None
                }
            },
            other => {
                *slot = other;
                None
            }
        }
    };
    if let Some(rt) = taken {
        rt.shutdown_timeout(Duration::from_secs(2));
    }
}

/// Locks an object's state, refusing (rather than waiting with the GIL held, which could
/// deadlock against the holder) when another thread is using it.
pub fn busy_lock<T>(m: &Mutex<T>) -> PyResult<std::sync::MutexGuard<'_, T>> {
    match m.try_lock() {
        Ok(g) => Ok(g),
        Err(std::sync::TryLockError::Poisoned(p)) => Ok(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => Err(PyRuntimeError::new_err(
            "this object is in use by another thread; use one per thread",
        )),
    }
}
