//! The object load generator behind `mlstor bench put|get`: `put` writes N objects of one
//! size made by mlstor's data generator (unique per object, with dedup/compression factors);
//! `get` reads them back (writing any missing first, untimed), whole (`Bytes`) or into one
//! reused buffer per worker, and checks what it read against the generator. Its latencies,
//! bytes and per-endpoint figures come from the run's records (the store must report to the
//! recorder given), like every other workload's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use mlstor_datagen::{DataGen, Params};
use mlstor_store::buffer::Buffer;
use mlstor_store::{Op, Store, StoreExt};

use crate::host::cpu_seconds;
use crate::records::{EndpointReport, OpStats, Recorder, Tag};

/// Errors of a load run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    #[error("{0}")]
    Spec(String),
    #[error(transparent)]
    Store(#[from] mlstor_store::Error),
    #[error(transparent)]
    Datagen(#[from] mlstor_datagen::Error),
    #[error("{uri}: read {got} bytes, expected {want}")]
    Short { uri: String, got: usize, want: usize },
    #[error("{uri} is not what `mlstor bench put` wrote (--no-verify skips the check)")]
    Corrupt {
        uri: String,
        #[source]
        source: mlstor_datagen::Error,
    },
    #[error("cannot allocate {what}")]
    Memory {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("a load worker stopped unexpectedly")]
    Join(#[from] tokio::task::JoinError),
}

/// Write or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOp {
    Put,
    Get,
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadSpec {
    pub op: LoadOp,
    pub objects: usize,
    pub size: usize,
    /// Requests in flight.
    pub concurrency: usize,
    /// get: into one reused buffer per worker (`get_into`) instead of fresh `Bytes`.
    pub into: bool,
    /// get: `None` skips the content check; `Some(false)` checks 64 KiB at each end of each
    /// object, `Some(true)` every byte.
    pub verify: Option<bool>,
    pub dedup: f64,
    pub compress: f64,
}

impl LoadSpec {
    /// The name of the timed operation (`put`, `get`, `get_into`).
    pub fn op_name(&self) -> &'static str {
        match (self.op, self.into) {
            (LoadOp::Put, _) => "put",
            (LoadOp::Get, false) => "get",
            (LoadOp::Get, true) => "get_into",
        }
    }

    fn check(&self) -> Result<(), LoadError> {
        if self.op == LoadOp::Put && self.into {
            return Err(LoadError::Spec("--into applies to `bench get` only".into()));
        }
        if self.objects == 0 || self.concurrency == 0 {
            return Err(LoadError::Spec(
                "--objects and --concurrency must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub seconds: f64,
    /// Client CPU seconds of the timed part.
    pub cpu_s: f64,
    pub bytes: u64,
    /// The timed requests, from the records.
    pub requests: OpStats,
    /// Every endpoint's requests (the untimed ones included).
    pub endpoints: Vec<EndpointReport>,
}

/// The key of object `i`.
pub fn key(i: usize) -> String {
    format!("obj-{i:06}")
}

/// Writes (untimed) the objects a `get` run needs that are missing or have the wrong size;
/// returns how many; `on_object` hears of each.
pub async fn prepare(
    store: &Arc<dyn Store>,
    spec: &LoadSpec,
    on_object: Arc<dyn Fn() + Send + Sync>,
) -> Result<usize, LoadError> {
    let objects = ObjectGen::new(spec)?;
    let present: HashMap<String, u64> = store
        .list_objects("obj-")
        .await?
        .into_iter()
        .map(|m| (m.key, m.size))
        .collect();
    let missing: Vec<usize> = (0..spec.objects)
        .filter(|&i| present.get(&key(i)) != Some(&(spec.size as u64)))
        .collect();
    let n = missing.len();
    let missing = Arc::new(missing);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..spec.concurrency {
        let (store, objects, missing, next, on_object) = (
            store.clone(),
            objects.clone(),
            missing.clone(),
            next.clone(),
            on_object.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while let Some(&i) = missing.get(next.fetch_add(1, Ordering::Relaxed)) {
                store.put(&key(i), objects.object(i)?).await?;
                on_object();
            }
            Ok::<(), LoadError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(n)
}

/// Runs `spec` against `store` (which reports to `recorder`); `on_object` hears of each
/// request done.
pub async fn run(
    store: &Arc<dyn Store>,
    spec: &LoadSpec,
    recorder: &Recorder,
    on_object: Arc<dyn Fn() + Send + Sync>,
) -> Result<LoadReport, LoadError> {
    spec.check()?;
    let objects = ObjectGen::new(spec)?;
    // get --into: one reused buffer per worker, its pages touched before the clock starts.
    let buffers = (0..spec.concurrency)
        .map(|_| {
            let mut b = Buffer::new(if spec.into { spec.size } else { 0 })?;
            b.as_mut_slice().fill(0);
            Ok(b)
        })
        .collect::<std::io::Result<Vec<Buffer>>>()
        .map_err(|source| LoadError::Memory {
            what: format!("{} buffers of {} bytes", spec.concurrency, spec.size),
            source,
        })?;
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for buf in buffers {
        let (store, objects, next, spec, on_object) = (
            store.clone(),
            objects.clone(),
            next.clone(),
            spec.clone(),
            on_object.clone(),
        );
        workers.push(tokio::spawn(Tag::Load.scope(async move {
            worker(&store, &objects, &next, &spec, buf, &*on_object).await
        })));
    }
    for w in workers {
        w.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu_s = cpu_seconds() - cpu0;
    let timed = match spec.op {
        LoadOp::Put => Op::Put,
        LoadOp::Get if spec.into => Op::GetInto,
        LoadOp::Get => Op::Get,
    };
    Ok(LoadReport {
        seconds,
        cpu_s,
        bytes: spec.objects as u64 * spec.size as u64,
        requests: recorder.take(Tag::Load).merged(|o| o == timed),
        endpoints: recorder.endpoints(),
    })
}

/// Deletes the objects of a run.
pub async fn cleanup(store: &Arc<dyn Store>, objects: usize) -> Result<(), LoadError> {
    for i in 0..objects {
        store.delete(&key(i)).await?;
    }
    Ok(())
}

/// One worker: takes the next object index until all are done.
async fn worker(
    store: &Arc<dyn Store>,
    objects: &Arc<ObjectGen>,
    next: &AtomicUsize,
    spec: &LoadSpec,
    mut buf: Buffer,
    on_object: &(dyn Fn() + Send + Sync),
) -> Result<(), LoadError> {
    let buf = &mut buf.as_mut_slice()[..if spec.into { objects.size } else { 0 }];
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= spec.objects {
            return Ok(());
        }
        let k = key(i);
        match spec.op {
            LoadOp::Put => {
                store.put(&k, objects.object(i)?).await?;
            }
            LoadOp::Get if spec.into => {
                let n = store.get_into(&k, 0, buf).await?;
                objects.check(i, &buf[..n], spec.verify, store.root())?;
            }
            LoadOp::Get => {
                let got = store.get(&k).await?;
                objects.check(i, &got, spec.verify, store.root())?;
            }
        }
        on_object();
    }
}

/// Object contents from mlstor's data generator (object id = index): unique per object,
/// with the dedup and compression factors asked for. Buffers come back here when the store
/// is done with them, so steady-state puts neither allocate nor page-fault.
struct ObjectGen {
    size: usize,
    data: DataGen,
    free: Mutex<Vec<Buffer>>,
}

/// Bytes checked at each end of an object read back (the whole object with full checks).
const CHECK_BYTES: usize = 64 << 10;

impl ObjectGen {
    fn new(spec: &LoadSpec) -> Result<Arc<ObjectGen>, LoadError> {
        let params = Params {
            dedup: spec.dedup,
            compress: spec.compress,
            ..Params::default()
        };
        Ok(Arc::new(ObjectGen {
            size: spec.size,
            data: DataGen::new(params)?,
            free: Mutex::new(Vec::new()),
        }))
    }

    /// Object `i` as `Bytes` whose buffer returns to this generator when dropped.
    fn object(self: &Arc<Self>, i: usize) -> Result<Bytes, LoadError> {
        let reused = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut buf = match reused {
            Some(b) => b,
            None => Buffer::new(self.size).map_err(|source| LoadError::Memory {
                what: format!("an object of {} bytes", self.size),
                source,
            })?,
        };
        let out = &mut buf.as_mut_slice()[..self.size];
        self.data
            .fill(i as u64, self.size as u64, 0, out, &mut Vec::new());
        Ok(Bytes::from_owner(GenBuf {
            buf: Some(buf),
            origin: self.clone(),
        }))
    }

    /// Checks the length and, unless `verify` is `None`, the content: both ends of the object
    /// (`Some(false)`) or all of it (`Some(true)`).
    fn check(&self, i: usize, got: &[u8], verify: Option<bool>, root: &str) -> Result<(), LoadError> {
        let uri = || format!("{root}/{}", key(i));
        if got.len() != self.size {
            return Err(LoadError::Short {
                uri: uri(),
                got: got.len(),
                want: self.size,
            });
        }
        let size = self.size as u64;
        let ranges = match verify {
            None => return Ok(()),
            Some(true) => [0..self.size, 0..0],
            Some(false) => [
                0..self.size.min(CHECK_BYTES),
                self.size.saturating_sub(CHECK_BYTES)..self.size,
            ],
        };
        for r in ranges.into_iter().filter(|r| !r.is_empty()) {
            self.data
                .verify(i as u64, size, r.start as u64, &got[r.clone()])
                .map_err(|source| LoadError::Corrupt { uri: uri(), source })?;
        }
        Ok(())
    }
}

/// A generated object's buffer; goes back to the generator's free list on drop.
struct GenBuf {
    buf: Option<Buffer>,
    origin: Arc<ObjectGen>,
}

impl AsRef<[u8]> for GenBuf {
    fn as_ref(&self) -> &[u8] {
        self.buf
            .as_ref()
            .map(|b| &b.as_slice()[..self.origin.size])
            .unwrap_or_default()
    }
}

impl Drop for GenBuf {
    fn drop(&mut self) {
        if let Some(b) = self.buf.take() {
            self.origin.free.lock().unwrap_or_else(|p| p.into_inner()).push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use mlstor_store::{StoreOptions, store_for_uri};

    use super::*;

    #[tokio::test]
    async fn put_then_get_measures_every_request() {
        let rec = Arc::new(Recorder::new());
        let opts = StoreOptions {
            sink: Some(rec.clone()),
            ..Default::default()
        };
        let store = store_for_uri("memory://load-test", &opts).expect("store");
        let mut spec = LoadSpec {
            op: LoadOp::Put,
            objects: 20,
            size: 4096,
            concurrency: 3,
            into: false,
            verify: Some(true),
            dedup: 1.0,
            compress: 1.0,
        };
        let none: Arc<dyn Fn() + Send + Sync> = Arc::new(|| {});
        let put = run(&store, &spec, &rec, none.clone()).await.expect("put");
        assert_eq!((put.requests.requests, put.requests.bytes), (20, 20 * 4096));
        assert_eq!(put.requests.latency.count(), 20);
        spec.op = LoadOp::Get;
        spec.into = true;
        assert_eq!(
            prepare(&store, &spec, none.clone()).await.expect("prepare"),
            0,
            "all there"
        );
        let get = run(&store, &spec, &rec, none.clone()).await.expect("get");
        assert_eq!(get.requests.requests, 20);
        assert_eq!(get.endpoints[0].requests, 20 + 1 + 20, "puts, the listing, gets");
        store
            .put(&key(3), Bytes::from_static(b"no"))
            .await
            .expect("overwrite");
        let e = run(&store, &spec, &rec, none.clone()).await.expect_err("short");
        assert!(e.to_string().contains("obj-000003"), "{e}");
        spec.into = true;
        spec.op = LoadOp::Put;
        assert!(run(&store, &spec, &rec, none).await.is_err(), "--into with put");
    }
}
