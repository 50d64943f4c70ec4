//! The data-loader emulation of one rank, shaped like PyTorch's DataLoader (which DLIO
//! drives; its `tf.data` pipeline has the same shape): `read_threads` workers, each
//! building whole batches one sample after another ([`read`]), batch `k` from worker
//! `k mod read_threads`, each worker at most `prefetch` batches ahead of the training loop
//! (`ceil(prefetch_size / read_threads)`, DLIO's prefetch factor), handed over in order.
//! With `read_threads: 0` the training loop loads each batch itself, as PyTorch does
//! without workers.
//!
//! Workers are OS threads, like DataLoader's worker processes; their storage requests run
//! on the async runtime through a [`Handle`], so a worker can also
//! sleep its samples' `preprocess_time` precisely. Each batch carries the [`Tag`] of the
//! phase that will take it: its requests' records land there, whenever they were made.

pub mod dataset;
mod error;
pub mod read;

pub use error::LoaderError;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use tokio::runtime::Handle;

use crate::execute::compute::TimeModel;
use crate::plan::order::SampleRef;
use crate::records::Tag;
use read::{SampleReader, WorkerState};

/// A batch handed to the training loop.
#[derive(Debug, Clone)]
pub struct LoadedBatch {
    /// Samples actually read (a padded batch reads fewer than the batch size).
    pub samples: u64,
    /// Their decoded bytes.
    pub bytes: u64,
}

/// One batch to build: its samples, and the tag of the phase that takes it.
pub type BatchJob = (Tag, Vec<SampleRef>);

/// How a rank's loader is shaped.
#[derive(Debug, Clone)]
pub struct LoaderSettings {
    pub read_threads: u64,
    /// Batches each worker may be ahead.
    pub prefetch: usize,
    /// Per-sample preprocessing (`reader.preprocess_time`) and the seed of its draws.
    pub preprocess: Option<(crate::config::schema::Seconds, f64, u32)>,
}

/// A rank's loader for one split, kept across epochs (workers' open files live as long).
#[derive(Debug)]
pub struct Loader {
    reader: Arc<SampleReader>,
    settings: LoaderSettings,
    handle: Handle,
    states: Vec<WorkerState>,
}

impl Loader {
    pub fn new(reader: SampleReader, settings: LoaderSettings, handle: Handle) -> Loader {
        let n = settings.read_threads.max(1) as usize;
        Loader {
            reader: Arc::new(reader),
            settings,
            handle,
            states: (0..n).map(|_| WorkerState::default()).collect(),
        }
    }

    pub fn reader(&self) -> &SampleReader {
        &self.reader
    }

    /// Starts an epoch over `batches` (batch `k` built by worker `k mod workers`).
    pub fn epoch(&mut self, batches: Vec<BatchJob>) -> EpochLoader<'_> {
        for st in &mut self.states {
            st.start_epoch();
        }
        let preprocess = |w: usize| {
            self.settings
                .preprocess
                .map(|(t, sd, seed)| TimeModel::new(t, sd, seed.wrapping_add(w as u32)))
                .filter(|m| !m.is_zero())
        };
        if self.settings.read_threads == 0 {
            let pre = preprocess(0);
            return EpochLoader {
                inline: Some(Inline {
                    batches: batches.into_iter(),
                    preprocess: pre,
                }),
                workers: Vec::new(),
                next: 0,
                stop: Arc::new(AtomicBool::new(false)),
                loader: self,
            };
        }
        let n = self.states.len();
        let mut per_worker: Vec<Vec<BatchJob>> = vec![Vec::new(); n];
        for (k, b) in batches.into_iter().enumerate() {
            per_worker[k % n].push(b);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let states = std::mem::take(&mut self.states);
        let workers = per_worker
            .into_iter()
            .zip(states)
            .enumerate()
            .map(|(w, (batches, state))| {
                // sync_channel(p - 1): at most p batches dispatched and not yet taken, the one
                // in progress included — PyTorch's prefetch_factor per worker.
                let (tx, rx) = sync_channel(self.settings.prefetch.max(1) - 1);
                let job = Job {
                    reader: self.reader.clone(),
                    handle: self.handle.clone(),
                    batches,
                    preprocess: preprocess(w),
                    stop: stop.clone(),
                };
                let thread = std::thread::Builder::new()
                    .name(format!("mlstor-loader-{w}"))
                    .spawn(move || job.run(state, tx));
                Worker {
                    rx,
                    thread: thread.ok(),
                }
            })
            .collect();
        EpochLoader {
            inline: None,
            workers,
            next: 0,
            stop,
            loader: self,
        }
    }
}

struct Inline {
    batches: std::vec::IntoIter<BatchJob>,
    preprocess: Option<TimeModel>,
}

struct Worker {
    rx: Receiver<Result<LoadedBatch, LoaderError>>,
    thread: Option<JoinHandle<WorkerState>>,
}

struct Job {
    reader: Arc<SampleReader>,
    handle: Handle,
    batches: Vec<BatchJob>,
    preprocess: Option<TimeModel>,
    stop: Arc<AtomicBool>,
}

impl Job {
    fn run(
        mut self,
        mut state: WorkerState,
        tx: SyncSender<Result<LoadedBatch, LoaderError>>,
    ) -> WorkerState {
        lower_priority();
        for (tag, batch) in std::mem::take(&mut self.batches) {
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            let r = load_batch(
                &self.reader,
                &self.handle,
                (tag, &batch),
                &mut state,
                self.preprocess.as_mut(),
            );
            let failed = r.is_err();
            if tx.send(r).is_err() || failed {
                break;
            }
        }
        state
    }
}

/// Lowers this worker thread's CPU priority (nice +10, Linux; a no-op where that fails):
/// the training loop and the barrier stand in for accelerators, which do not compete with
/// the loader for host CPU, so when many ranks share few cores the loaders' bursts (every
/// worker prefetching at an epoch's start) must not delay a rank's step timing.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and setpriority on this thread's own id have no memory effects.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        let _ = libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

fn load_batch(
    reader: &SampleReader,
    handle: &Handle,
    (tag, batch): (Tag, &[SampleRef]),
    state: &mut WorkerState,
    mut preprocess: Option<&mut TimeModel>,
) -> Result<LoadedBatch, LoaderError> {
    // One trip into the runtime a batch: a trip a sample moved the read's future each
    // time, a third of a parquet epoch's CPU at 16,384 rows a batch.
    handle.block_on(tag.scope(async {
        let mut bytes = 0;
        for &s in batch {
            bytes += match reader.already_read(s, state) {
                Some(n) => n,
                None => reader.read(s, state).await?,
            };
            if let Some(p) = preprocess.as_deref_mut() {
                p.sleep();
            }
        }
        Ok(LoadedBatch {
            samples: batch.len() as u64,
            bytes,
        })
    }))
}

/// One epoch's batches, in order.
pub struct EpochLoader<'a> {
    loader: &'a mut Loader,
    inline: Option<Inline>,
    workers: Vec<Worker>,
    next: usize,
    stop: Arc<AtomicBool>,
}

impl EpochLoader<'_> {
    /// The next batch, waiting for it; `None` after the last.
    pub fn next_batch(&mut self) -> Option<Result<LoadedBatch, LoaderError>> {
        if let Some(inline) = &mut self.inline {
            let (tag, batch) = inline.batches.next()?;
            let state = &mut self.loader.states[0];
            return Some(load_batch(
                &self.loader.reader,
                &self.loader.handle,
                (tag, &batch),
                state,
                inline.preprocess.as_mut(),
            ));
        }
        let n = self.workers.len();
        let w = &self.workers[self.next % n];
        self.next += 1;
        w.rx.recv().ok()
    }

    /// Stops the workers.
    pub fn finish(mut self) {
        self.shutdown()
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for w in std::mem::take(&mut self.workers) {
            drop(w.rx); // unblocks a worker waiting to hand over a batch
            if let Some(t) = w.thread
                && let Ok(state) = t.join()
            {
                self.loader.states.push(state);
            }
        }
        let n = self.loader.settings.read_threads.max(1) as usize;
        while self.loader.states.len() < n {
            self.loader.states.push(WorkerState::default());
        }
    }
}

impl Drop for EpochLoader<'_> {
    fn drop(&mut self) {
        if !self.workers.is_empty() {
            self.shutdown();
        }
    }
}
