//! Who this process is among a run's ranks, and the few collectives a benchmark needs:
//! a barrier (DLIO's simulated all-reduce after every step), a gather of per-rank reports to
//! rank 0, and a broadcast from rank 0.
//!
//! One rank per process. Under a launcher (`mpirun`, `mpiexec`, `srun` with PMI) the rank
//! count comes from `OMPI_COMM_WORLD_SIZE` or `PMI_SIZE`; with more than one rank the
//! collectives go through MPI (the `mpi` feature, the `mpi` crate over the system's MPI
//! library). A build without that feature can still learn its rank from the environment,
//! but refuses to run a job that needs ranks to meet, with an error saying why.
//!
//! All MPI calls happen on one dedicated thread that initialises and finalises MPI
//! (`MPI_THREAD_FUNNELED`), so [`Ranks`] is `Send + Sync` and callable from any thread. The
//! barrier is cheap with many ranks per core: the ranks of a host meet in shared memory
//! (`host_barrier`: they sleep in the kernel and one system call releases them all), and
//! only each host's first rank takes part in an MPI barrier between hosts, a non-blocking
//! one (`MPI_Ibarrier`) polled with sleeps, since Open MPI's blocking barrier spins.

#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
mod host_barrier;

/// Errors of rank discovery and collectives.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RanksError {
    #[error(
        "this process is rank {rank} of {size} ({var}), but this mlstor was built without MPI, so ranks \
         cannot synchronise (barriers, result gathering); build with `--features mpi` (needs libopenmpi-dev \
         and libclang-dev)"
    )]
    NoMpi {
        rank: usize,
        size: usize,
        var: &'static str,
    },
    #[error("MPI could not be initialised (was MPI already initialised in this process?)")]
    MpiInit,
    #[error("the launcher says {env} ranks ({var}) but MPI says {mpi}")]
    SizeMismatch {
        env: usize,
        mpi: usize,
        var: &'static str,
    },
    #[error("rank {rank} is not below the rank count {size} ({var})")]
    BadRank {
        rank: usize,
        size: usize,
        var: &'static str,
    },
    #[error("the MPI thread has stopped")]
    CommGone,
    #[error("a rank's report could not be read: {0}")]
    Report(String),
    #[error("rank {rank} of {size} was given by hand (--rank/--ranks): such ranks cannot gather results")]
    Independent { rank: usize, size: usize },
}

/// How the ranks meet at a barrier, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarrierKind {
    /// One rank: nothing to wait for.
    None,
    /// The ranks of a host in shared memory, the hosts' first ranks by a polled `MPI_Ibarrier`.
    HostSharedMemory,
    /// Every rank in a polled `MPI_Ibarrier` (a host could not map the shared barrier, or
    /// `MLSTOR_HOST_BARRIER=0`).
    MpiPolled,
}

impl BarrierKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BarrierKind::None => "none",
            BarrierKind::HostSharedMemory => "host_shared_memory",
            BarrierKind::MpiPolled => "mpi_ibarrier_polled",
        }
    }
}

/// Where the rank came from, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankSource {
    /// Not under a launcher: one rank.
    Single,
    /// MPI (`MPI_Comm_rank` / `MPI_Comm_size` of `MPI_COMM_WORLD`).
    Mpi,
    /// Given by the user (`mlstor generate --rank R --ranks N`): independent processes that
    /// never meet.
    Manual,
}

/// This process's place in the run.
#[derive(Debug)]
pub struct Ranks {
    rank: usize,
    size: usize,
    source: RankSource,
    #[cfg(feature = "mpi")]
    comm: Option<mpi_thread::CommThread>,
}

/// The launcher's view of the job: (rank, size, the variable the size came from).
pub fn launcher_env(get: &dyn Fn(&str) -> Option<String>) -> Option<(usize, usize, &'static str)> {
    const VARS: [(&str, &str); 2] = [
        ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),
        ("PMI_RANK", "PMI_SIZE"),
    ];
    VARS.iter().find_map(|(r, s)| {
        let size = get(s)?.trim().parse().ok()?;
        let rank = get(r)?.trim().parse().ok()?;
        Some((rank, size, *s))
    })
}

impl RankSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RankSource::Single => "single",
            RankSource::Mpi => "mpi",
            RankSource::Manual => "manual",
        }
    }
}

impl Ranks {
    /// One rank, no collectives.
    pub fn single() -> Ranks {
        Ranks {
            rank: 0,
            size: 1,
            source: RankSource::Single,
            #[cfg(feature = "mpi")]
            comm: None,
        }
    }

    /// Rank `rank` of `size` as the user says, with no collectives: barriers and broadcasts
    /// are this process's own, gathering from several is an error. For work that needs no
    /// meeting (generating a share of a dataset).
    pub fn manual(rank: usize, size: usize) -> Result<Ranks, RanksError> {
        if rank >= size {
            return Err(RanksError::BadRank {
                rank,
                size,
                var: "--rank/--ranks",
            });
        }
        Ok(Ranks {
            rank,
            size,
            source: RankSource::Manual,
            #[cfg(feature = "mpi")]
            comm: None,
        })
    }

    /// The ranks of this job: from the launcher's environment, through MPI when there is more
    /// than one; a single rank otherwise.
    pub fn discover() -> Result<Ranks, RanksError> {
        Self::discover_with(&|k| std::env::var(k).ok())
    }

    /// [`discover`](Self::discover) with an explicit environment.
    pub fn discover_with(get: &dyn Fn(&str) -> Option<String>) -> Result<Ranks, RanksError> {
        let Some((rank, size, var)) = launcher_env(get) else {
            return Ok(Self::single());
        };
        if rank >= size {
            return Err(RanksError::BadRank { rank, size, var });
        }
        if size <= 1 {
            return Ok(Self::single());
        }
        #[cfg(feature = "mpi")]
        {
            let comm = mpi_thread::CommThread::start()?;
            if comm.size != size {
                return Err(RanksError::SizeMismatch {
                    env: size,
                    mpi: comm.size,
                    var,
                });
            }
            Ok(Ranks {
                rank: comm.rank,
                size: comm.size,
                source: RankSource::Mpi,
                comm: Some(comm),
            })
        }
        #[cfg(not(feature = "mpi"))]
        {
            Err(RanksError::NoMpi { rank, size, var })
        }
    }

    pub fn rank(&self) -> usize {
        self.rank
    }

    pub fn size(&self) -> usize {
        self.size
    }

    pub fn source(&self) -> RankSource {
        self.source
    }

    pub fn is_root(&self) -> bool {
        self.rank == 0
    }

    /// How [`barrier`](Self::barrier) meets the other ranks.
    pub fn barrier_kind(&self) -> BarrierKind {
        #[cfg(feature = "mpi")]
        if let Some(c) = &self.comm {
            return c.barrier_kind;
        }
        BarrierKind::None
    }

    /// Waits until every rank has called it.
    pub fn barrier(&self) -> Result<(), RanksError> {
        #[cfg(feature = "mpi")]
        if let Some(c) = &self.comm {
            return c.barrier();
        }
        Ok(())
    }

    /// Every rank's `bytes`, in rank order, on rank 0 (`None` on the others).
    pub fn gather(&self, bytes: Vec<u8>) -> Result<Option<Vec<Vec<u8>>>, RanksError> {
        #[cfg(feature = "mpi")]
        if let Some(c) = &self.comm {
            return c.gather(bytes);
        }
        if self.size > 1 {
            return Err(RanksError::Independent {
                rank: self.rank,
                size: self.size,
            });
        }
        Ok(Some(vec![bytes]))
    }

    /// Every rank's `value` (sent as JSON), in rank order, on rank 0 (`None` on the others).
    pub fn gather_json<T: serde::Serialize + serde::de::DeserializeOwned>(
        &self,
        value: &T,
    ) -> Result<Option<Vec<T>>, RanksError> {
        let bytes = serde_json::to_vec(value).map_err(|e| RanksError::Report(e.to_string()))?;
        let Some(all) = self.gather(bytes)? else {
            return Ok(None);
        };
        all.iter()
            .map(|b| serde_json::from_slice(b).map_err(|e| RanksError::Report(e.to_string())))
            .collect::<Result<_, _>>()
            .map(Some)
    }

    /// Rank 0's `bytes` on every rank (the others' arguments are ignored).
    pub fn broadcast(&self, bytes: Vec<u8>) -> Result<Vec<u8>, RanksError> {
        #[cfg(feature = "mpi")]
        if let Some(c) = &self.comm {
            return c.broadcast(bytes);
        }
        Ok(bytes)
    }

    /// Ends the whole job after a fatal error on this rank, so the others do not wait for it
    /// at the next barrier forever (`MPI_Abort`); does nothing with a single rank.
    pub fn abort(&self, code: i32) {
        #[cfg(feature = "mpi")]
        if let Some(c) = &self.comm {
            c.abort(code);
        }
        let _ = code;
    }
}

#[cfg(feature = "mpi")]
mod mpi_thread {
    use std::sync::Mutex;
    use std::sync::mpsc::{Receiver, Sender, channel};
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    use mpi::collective::SystemOperation;
    use mpi::datatype::PartitionMut;
    use mpi::topology::{Color, Communicator, SimpleCommunicator};
    use mpi::traits::*;

    use super::host_barrier::HostBarrier;
    use super::{BarrierKind, RanksError};

    enum Req {
        Barrier(Sender<()>),
        Gather(Vec<u8>, Sender<Option<Vec<Vec<u8>>>>),
        Broadcast(Vec<u8>, Sender<Vec<u8>>),
        Abort(i32),
        Stop,
    }

    /// The thread that owns MPI.
    pub struct CommThread {
        pub rank: usize,
        pub size: usize,
        pub barrier_kind: BarrierKind,
        tx: Mutex<Sender<Req>>,
        thread: Option<JoinHandle<()>>,
    }

    impl std::fmt::Debug for CommThread {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "CommThread(rank {} of {})", self.rank, self.size)
        }
    }

    impl CommThread {
        pub fn start() -> Result<CommThread, RanksError> {
            let (tx, rx) = channel::<Req>();
            let (ready_tx, ready_rx) = channel::<Option<(usize, usize, BarrierKind)>>();
            let thread = std::thread::Builder::new()
                .name("mlstor-mpi".into())
                .spawn(move || serve(rx, ready_tx))
                .map_err(|_| RanksError::MpiInit)?;
            match ready_rx.recv() {
                Ok(Some((rank, size, barrier_kind))) => Ok(CommThread {
                    rank,
                    size,
                    barrier_kind,
                    tx: Mutex::new(tx),
                    thread: Some(thread),
                }),
                _ => {
                    let _ = thread.join();
                    Err(RanksError::MpiInit)
                }
            }
        }

        fn send(&self, r: Req) -> Result<(), RanksError> {
            let tx = self.tx.lock().map_err(|_| RanksError::CommGone)?;
            tx.send(r).map_err(|_| RanksError::CommGone)
        }

        pub fn barrier(&self) -> Result<(), RanksError> {
            let (tx, rx) = channel();
            self.send(Req::Barrier(tx))?;
            rx.recv().map_err(|_| RanksError::CommGone)
        }

        pub fn gather(&self, bytes: Vec<u8>) -> Result<Option<Vec<Vec<u8>>>, RanksError> {
            let (tx, rx) = channel();
            self.send(Req::Gather(bytes, tx))?;
            rx.recv().map_err(|_| RanksError::CommGone)
        }

        pub fn broadcast(&self, bytes: Vec<u8>) -> Result<Vec<u8>, RanksError> {
            let (tx, rx) = channel();
            self.send(Req::Broadcast(bytes, tx))?;
            rx.recv().map_err(|_| RanksError::CommGone)
        }

        pub fn abort(&self, code: i32) {
            if self.send(Req::Abort(code)).is_ok() {
                // MPI_Abort ends the process; give it the time to.
                std::thread::sleep(Duration::from_secs(30));
            }
        }
    }

    impl Drop for CommThread {
        fn drop(&mut self) {
            let _ = self.send(Req::Stop);
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }

    fn serve(rx: Receiver<Req>, ready: Sender<Option<(usize, usize, BarrierKind)>>) {
        let Some((universe, _)) = mpi::initialize_with_threading(mpi::Threading::Funneled) else {
            let _ = ready.send(None);
            return;
        };
        let world = universe.world();
        let (rank, size) = (world.rank() as usize, world.size() as usize);
        let host = host_barrier(&world);
        let kind = if host.is_some() {
            BarrierKind::HostSharedMemory
        } else {
            BarrierKind::MpiPolled
        };
        if ready.send(Some((rank, size, kind))).is_err() {
            return;
        }
        while let Ok(req) = rx.recv() {
            match req {
                Req::Barrier(done) => {
                    match &host {
                        Some(h) => h.barrier.wait(|| {
                            if let Some(leaders) = h.leaders.as_ref().filter(|_| h.hosts > 1) {
                                polled_barrier(leaders);
                            }
                        }),
                        None => polled_barrier(&world),
                    }
                    let _ = done.send(());
                }
                Req::Gather(bytes, done) => {
                    let _ = done.send(gather(&world, &bytes));
                }
                Req::Broadcast(mut bytes, done) => {
                    let root = world.process_at_rank(0);
                    let mut len = bytes.len() as u64;
                    root.broadcast_into(&mut len);
                    bytes.resize(len as usize, 0);
                    root.broadcast_into(&mut bytes[..]);
                    let _ = done.send(bytes);
                }
                Req::Abort(code) => world.abort(code),
                Req::Stop => break,
            }
        }
        drop(host); // its communicators are freed before MPI is finalised
        drop(universe); // MPI_Finalize, on the thread that initialised MPI
    }

    /// The ranks of this host meet in shared memory; their first ranks meet over MPI.
    struct Host {
        barrier: HostBarrier,
        /// The first ranks of every host (on those ranks).
        leaders: Option<SimpleCommunicator>,
        hosts: u64,
    }

    /// Sets up the shared-memory barrier of this rank's host, on every rank together; `None`
    /// (MPI barriers then) when any rank cannot, or is told not to (`MLSTOR_HOST_BARRIER=0`).
    fn host_barrier(world: &SimpleCommunicator) -> Option<Host> {
        let local = world.split_shared(world.rank());
        let (local_rank, local_size) = (local.rank() as usize, local.size() as usize);
        let color = if local_rank == 0 {
            Color::with_value(0)
        } else {
            Color::undefined()
        };
        let leaders = world.split_by_color(color);
        let root = world.process_at_rank(0); // the first rank of its host (split key: world rank)
        let mut hosts = leaders.as_ref().map_or(0, |l| l.size() as u64);
        root.broadcast_into(&mut hosts);
        let mut id = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ (std::process::id() as u64) << 32;
        root.broadcast_into(&mut id);
        let mut first = world.rank() as u64;
        local.process_at_rank(0).broadcast_into(&mut first);
        // Shared memory where the host has it, else the temporary folder (a shared mapping of
        // a file there works the same, through the page cache).
        let shm = std::path::Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let path = dir.join(format!("mlstor-barrier-{id:016x}-{first}"));
        let created = local_rank != 0 || HostBarrier::create(&path).is_ok();
        local.barrier();
        let opened = HostBarrier::open(&path, local_rank, local_size);
        local.barrier();
        if local_rank == 0 {
            let _ = std::fs::remove_file(&path); // the mappings live on; nothing is left behind
        }
        let wanted = std::env::var("MLSTOR_HOST_BARRIER").map_or(true, |v| v.trim() != "0");
        let ok = i32::from(wanted && created && opened.is_ok());
        let mut all = 0i32;
        world.all_reduce_into(&ok, &mut all, SystemOperation::min());
        (all == 1).then_some(()).and(opened.ok()).map(|barrier| Host {
            barrier,
            leaders,
            hosts,
        })
    }

    /// `MPI_Ibarrier`, tested with sleeps instead of spinning in `MPI_Barrier`: a rank that
    /// has waited `t` sleeps about `t / 8` between tests (20 µs to 2 ms), so a short wait is
    /// noticed within microseconds and a long one costs few wake-ups.
    fn polled_barrier(world: &impl Communicator) {
        let start = Instant::now();
        let mut req = world.immediate_barrier();
        loop {
            match req.test() {
                Ok(_) => return,
                Err(r) => req = r,
            }
            let waited = start.elapsed();
            if waited < Duration::from_micros(50) {
                std::thread::yield_now();
            } else {
                std::thread::sleep((waited / 8).clamp(Duration::from_micros(20), Duration::from_millis(2)));
            }
        }
    }

    fn gather(world: &impl Communicator, bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
        let root = world.process_at_rank(0);
        let len = bytes.len() as i32;
        if world.rank() != 0 {
            root.gather_into(&len);
            root.gather_varcount_into(bytes);
            return None;
        }
        let mut lens = vec![0i32; world.size() as usize];
        root.gather_into_root(&len, &mut lens[..]);
        let displs: Vec<i32> = lens
            .iter()
            .scan(0i32, |acc, &l| {
                let d = *acc;
                *acc += l;
                Some(d)
            })
            .collect();
        let total: i32 = lens.iter().sum();
        let mut all = vec![0u8; total as usize];
        {
            let mut part = PartitionMut::new(&mut all[..], &lens[..], &displs[..]);
            root.gather_varcount_into_root(bytes, &mut part);
        }
        Some(
            lens.iter()
                .zip(&displs)
                .map(|(&l, &d)| all[d as usize..(d + l) as usize].to_vec())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn no_launcher_is_one_rank() {
        let r = Ranks::discover_with(&env(&[])).expect("single");
        assert_eq!((r.rank(), r.size(), r.source()), (0, 1, RankSource::Single));
        r.barrier().expect("barrier");
        assert_eq!(
            r.gather(b"x".to_vec()).expect("gather"),
            Some(vec![b"x".to_vec()])
        );
        assert_eq!(r.broadcast(b"y".to_vec()).expect("bcast"), b"y");
    }

    #[test]
    fn launcher_variables() {
        let e = env(&[("OMPI_COMM_WORLD_RANK", "3"), ("OMPI_COMM_WORLD_SIZE", "4")]);
        assert_eq!(launcher_env(&e), Some((3, 4, "OMPI_COMM_WORLD_SIZE")));
        let e = env(&[("PMI_RANK", "0"), ("PMI_SIZE", "1")]);
        assert_eq!(launcher_env(&e), Some((0, 1, "PMI_SIZE")));
        assert!(Ranks::discover_with(&e).expect("size 1").size() == 1);
        let e = env(&[("PMI_RANK", "5"), ("PMI_SIZE", "2")]);
        assert!(matches!(
            Ranks::discover_with(&e),
            Err(RanksError::BadRank { rank: 5, size: 2, .. })
        ));
    }

    #[cfg(not(feature = "mpi"))]
    #[test]
    fn several_ranks_without_mpi_is_a_clear_error() {
        let e = env(&[("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "2")]);
        let msg = Ranks::discover_with(&e).expect_err("no mpi").to_string();
        assert!(
            msg.contains("rank 1 of 2") && msg.contains("--features mpi"),
            "{msg}"
        );
    }
}
