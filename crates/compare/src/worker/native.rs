//! The worker for mlstor's Rust store (`mlstor compare-worker`): the same [`Job`] and
//! [`Outcome`] as the Python worker, with T tokio tasks each moving whole objects (`put`,
//! `get`). Write batches are generated before the clock starts, as the parent does for the
//! Python libraries; reads are checked with the same CRC-32, its CPU taken out of the figure.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use mlstor_bench::host::cpu_seconds;
use mlstor_store::record::{OpRecord, RecordSink};
use mlstor_store::{Op as StoreOp, StoreExt, StoreOptions, store_for_uri};

use super::{Job, Outcome};
use crate::CompareError;
use crate::data::Objects;
use crate::spec::{Op, Target};

/// Reads one job on stdin, runs it, prints the outcome on stdout. `options` gives the store
/// options of a root URI (the command line's global flags laid over the environment).
pub async fn serve(options: &dyn Fn(&str) -> StoreOptions) -> Result<(), CompareError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CompareError::Spec(format!("compare-worker: reading the job: {e}")))?;
    let job: Job = serde_json::from_str(&line)
        .map_err(|e| CompareError::Spec(format!("compare-worker: the job is not valid: {e}")))?;
    let out = run(&job, options).await?;
    println!(
        "{}",
        serde_json::to_string(&out).map_err(|e| CompareError::Spec(e.to_string()))?
    );
    Ok(())
}

/// First-byte times and retries, from the store's records.
#[derive(Debug, Default)]
struct Sink {
    first_byte: Mutex<HashMap<String, f64>>,
    retries: AtomicU64,
}

impl RecordSink for Sink {
    fn record(&self, r: &OpRecord<'_>) {
        if r.attempt > 1 {
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
        if r.op == StoreOp::Get
            && let Some(fb) = r.first_byte
        {
            let s = fb.duration_since(r.start).as_secs_f64();
            self.first_byte
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(r.key.to_string(), s);
        }
    }
}

async fn run(job: &Job, options: &dyn Fn(&str) -> StoreOptions) -> Result<Outcome, CompareError> {
    let target = Target {
        scheme: job.scheme.clone(),
        bucket: job.bucket.clone(),
    };
    let sink = Arc::new(Sink::default());
    let opts = StoreOptions {
        sink: Some(sink.clone()),
        ..options(&target.uri())
    };
    let store = store_for_uri(&target.uri(), &opts).map_err(CompareError::Store)?;
    let objects = Objects::new(job.size)?;
    let n = job.objects;
    let keys: Arc<Vec<String>> = Arc::new((0..n).map(|i| format!("{}obj-{i:06}", job.prefix)).collect());
    let warm: Vec<String> = (0..job.warmup)
        .map(|i| format!("{}warmup-{i:06}", job.prefix))
        .collect();
    let mut out = Outcome {
        version: Some(env!("CARGO_PKG_VERSION").to_string()),
        latency_s: vec![None; n],
        ..Outcome::default()
    };
    let errors = Arc::new(Mutex::new(Vec::new()));
    let lat = Arc::new(Mutex::new(vec![None; n]));
    match job.op {
        Op::Write => {
            let mut rss0 = None;
            for start in (0..n).step_by(job.batch_objects) {
                let end = n.min(start + job.batch_objects);
                let batch: Vec<Bytes> = (start..end)
                    .map(|i| {
                        let mut b = vec![0u8; job.size];
                        objects.fill(i, &mut b);
                        Bytes::from(b)
                    })
                    .collect();
                if start == 0 {
                    for k in &warm {
                        store
                            .put(k, batch[0].clone())
                            .await
                            .map_err(CompareError::Store)?;
                    }
                    rss0 = rss("VmRSS");
                    reset_peak_rss();
                }
                let batch = Arc::new(batch);
                let (c0, t0) = (cpu_seconds(), Instant::now());
                let ctx = (store.clone(), keys.clone(), batch, lat.clone(), errors.clone());
                each(job.threads, end - start, move |j| {
                    let (store, keys, batch, lat, errors) = (
                        ctx.0.clone(),
                        ctx.1.clone(),
                        ctx.2.clone(),
                        ctx.3.clone(),
                        ctx.4.clone(),
                    );
                    async move {
                        let i = start + j;
                        let t = Instant::now();
                        match store.put(&keys[i], batch[j].clone()).await {
                            Ok(_) => lock(&lat)[i] = Some(t.elapsed().as_secs_f64()),
                            Err(e) => lock(&errors).push((keys[i].clone(), e.to_string())),
                        }
                    }
                })
                .await?;
                out.seconds += t0.elapsed().as_secs_f64();
                out.cpu_seconds += cpu_seconds() - c0;
            }
            out.rss_growth_bytes = growth(rss0);
        }
        Op::Read => {
            for k in &warm {
                store.get(k).await.map_err(CompareError::Store)?;
            }
            let rss0 = rss("VmRSS");
            reset_peak_rss();
            let checked = Arc::new(Mutex::new(vec![None; n]));
            let verify_ns = Arc::new(AtomicU64::new(0));
            let (c0, t0) = (cpu_seconds(), Instant::now());
            let ctx = (
                store.clone(),
                keys.clone(),
                lat.clone(),
                errors.clone(),
                checked.clone(),
                verify_ns.clone(),
            );
            each(job.threads, n, move |i| {
                let (store, keys, lat, errors, checked, verify_ns) = (
                    ctx.0.clone(),
                    ctx.1.clone(),
                    ctx.2.clone(),
                    ctx.3.clone(),
                    ctx.4.clone(),
                    ctx.5.clone(),
                );
                async move {
                    let t = Instant::now();
                    match store.get(&keys[i]).await {
                        Ok(b) => {
                            lock(&lat)[i] = Some(t.elapsed().as_secs_f64());
                            let c = thread_cpu_ns();
                            let crc = crc32fast::hash(&b);
                            verify_ns.fetch_add(thread_cpu_ns().saturating_sub(c), Ordering::Relaxed);
                            lock(&checked)[i] = Some((crc, b.len() as u64));
                        }
                        Err(e) => lock(&errors).push((keys[i].clone(), e.to_string())),
                    }
                }
            })
            .await?;
            out.seconds = t0.elapsed().as_secs_f64();
            out.verify_cpu_seconds = verify_ns.load(Ordering::Relaxed) as f64 / 1e9;
            out.cpu_seconds = cpu_seconds() - c0 - out.verify_cpu_seconds;
            out.rss_growth_bytes = growth(rss0);
            let checked = std::mem::take(&mut *lock(&checked));
            out.crc32 = Some(checked.iter().map(|c| c.map(|c| c.0)).collect());
            out.lengths = Some(checked.iter().map(|c| c.map(|c| c.1)).collect());
            let fb = lock(&sink.first_byte);
            out.ttfb_s = Some(keys.iter().map(|k| fb.get(k).copied()).collect());
        }
    }
    out.latency_s = std::mem::take(&mut *lock(&lat));
    out.errors = std::mem::take(&mut *lock(&errors));
    out.retries = Some(sink.retries.load(Ordering::Relaxed));
    Ok(out)
}

/// Runs `task(i)` for `i in 0..n` on `threads` tasks, each taking the next index.
async fn each<F, Fut>(threads: usize, n: usize, task: F) -> Result<(), CompareError>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let task = Arc::new(task);
    let mut handles = Vec::new();
    for _ in 0..threads.min(n) {
        let (next, task) = (next.clone(), task.clone());
        handles.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                task(i).await;
            }
        }));
    }
    for h in handles {
        h.await
            .map_err(|e| CompareError::Spec(format!("a compare task stopped: {e}")))?;
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// CPU nanoseconds of the calling thread.
fn thread_cpu_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } != 0 {
        return 0;
    }
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// A `/proc/self/status` figure in bytes (`VmRSS`, `VmHWM`).
pub(crate) fn rss(field: &str) -> Option<i64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s
        .lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?;
    let kb: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak (`VmHWM`) to the current RSS.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn growth(rss0: Option<i64>) -> Option<i64> {
    Some(rss("VmHWM")? - rss0?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_then_reads_with_checks() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut job = Job {
            library: "mlstor".into(),
            op: Op::Write,
            scheme: "file".into(),
            bucket: dir.path().to_string_lossy().trim_start_matches('/').to_string(),
            prefix: "p/".into(),
            objects: 5,
            size: 3000,
            threads: 2,
            warmup: 1,
            batch_objects: 2,
            endpoints: vec![],
            region: "us-east-1".into(),
            plugin: None,
        };
        let opts = |_: &str| StoreOptions::default();
        let w = run(&job, &opts).await.expect("write");
        assert!(w.errors.is_empty(), "{:?}", w.errors);
        assert!(w.latency_s.iter().all(Option::is_some));
        job.op = Op::Read;
        let r = run(&job, &opts).await.expect("read");
        let want = Objects::new(3000).expect("gen").crcs(5);
        let got: Vec<u32> = r
            .crc32
            .expect("crcs")
            .into_iter()
            .map(|c| c.expect("read"))
            .collect();
        assert_eq!(got, want);
        assert_eq!(r.lengths.expect("lens"), vec![Some(3000); 5]);
        assert!(rss("VmRSS").is_some());
    }
}
