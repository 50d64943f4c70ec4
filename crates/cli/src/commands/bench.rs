//! `mlstor bench put|get URI_PREFIX`: a load generator. `put` writes N objects of SIZE made by
//! mlstor's data generator (unique per object; `--dedup`/`--compress` as in `mlstor datagen`);
//! `get` reads them back (writing any that are missing first, untimed), whole (`Bytes`) or
//! into one reused buffer per worker (`--into`), and checks what it read against the
//! generator. Reports GB/s (GB = 1e9 bytes), objects/s, client CPU seconds, and latency
//! percentiles from an HDR histogram.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use clap::{Args, Subcommand};
use comfy_table::Table;
use hdrhistogram::Histogram;
use indicatif::ProgressBar;
use mlstor_datagen::{DataGen, Params};
use mlstor_store::buffer::Buffer;
use mlstor_store::{Store, StoreExt, store_for_uri};
use serde_json::json;

use crate::GlobalArgs;
use crate::progress;
use crate::size::{human, parse_size};

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Write N objects of SIZE under URI_PREFIX.
    Put(BenchArgs),
    /// Read N objects of SIZE under URI_PREFIX (written first if absent).
    Get(BenchArgs),
}

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Where the objects go: `obj-000000`, `obj-000001`, ... under this prefix.
    pub uri_prefix: String,
    /// Number of objects.
    #[arg(short = 'n', long, default_value_t = 64)]
    pub objects: usize,
    /// Object size (16MiB, 1GB, 4k, ...).
    #[arg(short, long, default_value = "16MiB", value_parser = parse_size)]
    pub size: u64,
    /// Requests in flight.
    #[arg(short = 't', long, default_value_t = 8)]
    pub concurrency: usize,
    /// get: read into one reused buffer per worker (get_into) instead of fresh buffers.
    #[arg(long)]
    pub into: bool,
    /// get: skip the content check of what was read.
    #[arg(long)]
    pub no_verify: bool,
    /// get: check every byte read (default: 64 KiB at each end of each object).
    #[arg(long, conflicts_with = "no_verify")]
    pub verify_full: bool,
    /// Dedup factor of the generated objects (see `mlstor datagen`).
    #[arg(long, default_value_t = 1.0)]
    pub dedup: f64,
    /// Compression factor of the generated objects.
    #[arg(long, default_value_t = 1.0)]
    pub compress: f64,
    /// Delete the objects at the end.
    #[arg(long)]
    pub cleanup: bool,
}

impl BenchArgs {
    fn verify_mode(&self) -> Option<bool> {
        (!self.no_verify).then_some(self.verify_full)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Put,
    Get,
}

pub async fn run(g: &GlobalArgs, cmd: &BenchCommand) -> Result<()> {
    let (op, a) = match cmd {
        BenchCommand::Put(a) => (Op::Put, a),
        BenchCommand::Get(a) => (Op::Get, a),
    };
    if op == Op::Put && a.into {
        bail!("--into applies to `bench get` only");
    }
    if a.objects == 0 || a.concurrency == 0 {
        bail!("--objects and --concurrency must be at least 1");
    }
    let uri = super::to_uri(&a.uri_prefix)?;
    let store = store_for_uri(uri.trim_end_matches('/'), &g.store_options())?;
    let size = usize::try_from(a.size).context("--size does not fit in memory")?;
    let objects = ObjectGen::new(size, a)?;
    if op == Op::Get {
        prepare(&store, &objects, a, g.json).await?;
    }
    // get --into: one reused buffer per worker, its pages touched before the clock starts.
    let buffers = (0..a.concurrency)
        .map(|_| {
            let mut b = Buffer::new(if a.into { size } else { 0 })?;
            b.as_mut_slice().fill(0);
            Ok(b)
        })
        .collect::<std::io::Result<Vec<Buffer>>>()
        .with_context(|| format!("--into needs {} buffers of {}", a.concurrency, human(a.size)))?;
    let bar = progress::count_bar(a.objects as u64, g.json);
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for buf in buffers {
        let (store, objects, next, bar, a) = (
            store.clone(),
            objects.clone(),
            next.clone(),
            bar.clone(),
            a.clone(),
        );
        workers.push(tokio::spawn(async move {
            worker(op, &store, &objects, &next, &bar, &a, buf).await
        }));
    }
    let mut hist = Histogram::<u64>::new(3).context("histogram")?;
    for w in workers {
        hist.add(w.await.context("bench worker panicked")??)
            .context("histogram")?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    bar.finish_and_clear();
    let report = Report {
        op,
        uri: uri.clone(),
        args: a.clone(),
        seconds,
        cpu,
        hist,
        endpoints: store.endpoint_stats(),
    };
    if a.cleanup {
        for i in 0..a.objects {
            store.delete(&key(i)).await?;
        }
    }
    report.print(g.json)
}

fn key(i: usize) -> String {
    format!("obj-{i:06}")
}

/// One worker: takes the next object index until all are done, timing each request.
async fn worker(
    op: Op,
    store: &Arc<dyn Store>,
    objects: &Arc<ObjectGen>,
    next: &AtomicUsize,
    bar: &ProgressBar,
    a: &BenchArgs,
    mut buf: Buffer,
) -> Result<Histogram<u64>> {
    let mut hist = Histogram::<u64>::new(3)?;
    let buf = &mut buf.as_mut_slice()[..if a.into { objects.size } else { 0 }];
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= a.objects {
            return Ok(hist);
        }
        let k = key(i);
        let data = (op == Op::Put).then(|| objects.object(i)).transpose()?;
        let t0 = Instant::now();
        match op {
            Op::Put => {
                store.put(&k, data.unwrap_or_default()).await?;
            }
            Op::Get if a.into => {
                let n = store.get_into(&k, 0, buf).await?;
                objects.check(i, &buf[..n], a.verify_mode(), store.root())?;
            }
            Op::Get => {
                let got = store.get(&k).await?;
                objects.check(i, &got, a.verify_mode(), store.root())?;
            }
        }
        hist.record(t0.elapsed().as_micros().max(1) as u64)?;
        bar.inc(1);
    }
}

/// Writes (untimed) the objects a `get` run needs that are missing or have the wrong size.
async fn prepare(store: &Arc<dyn Store>, objects: &Arc<ObjectGen>, a: &BenchArgs, quiet: bool) -> Result<()> {
    let present: HashMap<String, u64> = store
        .list_objects("obj-")
        .await?
        .into_iter()
        .map(|m| (m.key, m.size))
        .collect();
    let missing: Vec<usize> = (0..a.objects)
        .filter(|&i| present.get(&key(i)) != Some(&(objects.size as u64)))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !quiet {
        eprintln!("writing {} missing object(s) first (not timed)", missing.len());
    }
    let bar = progress::count_bar(missing.len() as u64, quiet);
    let missing = Arc::new(missing);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency {
        let (store, objects, missing, next, bar) = (
            store.clone(),
            objects.clone(),
            missing.clone(),
            next.clone(),
            bar.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while let Some(&i) = missing.get(next.fetch_add(1, Ordering::Relaxed)) {
                store.put(&key(i), objects.object(i)?).await?;
                bar.inc(1);
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await.context("writer task panicked")??;
    }
    bar.finish_and_clear();
    Ok(())
}

/// Object contents from mlstor's data generator (object id = index): unique per object,
/// with the dedup and compression factors asked for. Buffers come back here when the store
/// is done with them, so steady-state puts neither allocate nor page-fault.
struct ObjectGen {
    size: usize,
    data: DataGen,
    free: Mutex<Vec<Buffer>>,
}

/// Bytes checked at each end of an object read back (the whole object with --verify-full).
const CHECK_BYTES: usize = 64 << 10;

impl ObjectGen {
    fn new(size: usize, a: &BenchArgs) -> Result<Arc<ObjectGen>> {
        let params = Params {
            dedup: a.dedup,
            compress: a.compress,
            ..Params::default()
        };
        Ok(Arc::new(ObjectGen {
            size,
            data: DataGen::new(params)?,
            free: Mutex::new(Vec::new()),
        }))
    }

    /// Object `i` as `Bytes` whose buffer returns to this generator when dropped.
    fn object(self: &Arc<Self>, i: usize) -> Result<Bytes> {
        let reused = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut buf = match reused {
            Some(b) => b,
            None => {
                Buffer::new(self.size).with_context(|| format!("an object of {}", human(self.size as u64)))?
            }
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
    fn check(&self, i: usize, got: &[u8], verify: Option<bool>, root: &str) -> Result<()> {
        if got.len() != self.size {
            bail!(
                "{root}/{}: read {} bytes, expected {}",
                key(i),
                got.len(),
                self.size
            );
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
                .with_context(|| {
                    format!(
                        "{root}/{} is not what `mlstor bench put` wrote (--no-verify skips the check)",
                        key(i)
                    )
                })?;
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

/// This process's user+system CPU seconds so far.
pub fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return 0.0;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

struct Report {
    op: Op,
    uri: String,
    args: BenchArgs,
    seconds: f64,
    cpu: f64,
    hist: Histogram<u64>,
    endpoints: Vec<mlstor_store::EndpointStats>,
}

impl Report {
    fn print(&self, json_out: bool) -> Result<()> {
        let a = &self.args;
        let bytes = a.objects as u64 * a.size;
        let gb = bytes as f64 / 1e9;
        let gbps = gb / self.seconds;
        let ms = |q: f64| self.hist.value_at_quantile(q) as f64 / 1000.0;
        let op = match (self.op, a.into) {
            (Op::Put, _) => "put",
            (Op::Get, false) => "get",
            (Op::Get, true) => "get_into",
        };
        if json_out {
            return super::print_json(&json!({
                "op": op, "uri": self.uri, "objects": a.objects, "size": a.size,
                "concurrency": a.concurrency, "bytes": bytes, "seconds": self.seconds,
                "gb_per_s": gbps, "objects_per_s": a.objects as f64 / self.seconds,
                "cpu_seconds": self.cpu, "cpu_seconds_per_gb": if gb > 0.0 { self.cpu / gb } else { 0.0 },
                "latency_ms": {
                    "p50": ms(0.5), "p90": ms(0.9), "p99": ms(0.99), "p999": ms(0.999),
                    "max": self.hist.max() as f64 / 1000.0,
                },
                "endpoints": self.endpoints.iter().map(|e| json!({
                    "endpoint": e.endpoint, "requests": e.requests, "bytes": e.bytes, "errors": e.errors,
                })).collect::<Vec<_>>(),
            }));
        }
        let mut t = Table::new();
        t.set_header(vec![
            "op", "objects", "size", "conc", "GB/s", "obj/s", "CPU s/GB", "p50 ms", "p90 ms", "p99 ms",
            "p99.9 ms", "max ms",
        ]);
        t.add_row(vec![
            op.to_string(),
            a.objects.to_string(),
            human(a.size),
            a.concurrency.to_string(),
            format!("{gbps:.3}"),
            format!("{:.1}", a.objects as f64 / self.seconds),
            if gb > 0.0 {
                format!("{:.3}", self.cpu / gb)
            } else {
                "-".into()
            },
            format!("{:.2}", ms(0.5)),
            format!("{:.2}", ms(0.9)),
            format!("{:.2}", ms(0.99)),
            format!("{:.2}", ms(0.999)),
            format!("{:.2}", self.hist.max() as f64 / 1000.0),
        ]);
        println!("{} {} ({} in {:.3} s)", op, self.uri, human(bytes), self.seconds);
        println!("{t}");
        if !self.endpoints.is_empty() {
            let mut e = Table::new();
            e.set_header(vec!["endpoint", "requests", "bytes", "errors"]);
            for s in &self.endpoints {
                e.add_row(vec![
                    s.endpoint.clone(),
                    s.requests.to_string(),
                    human(s.bytes),
                    s.errors.to_string(),
                ]);
            }
            println!("{e}");
        }
        Ok(())
    }
}
