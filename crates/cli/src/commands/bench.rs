//! `mlstor bench put|get URI_PREFIX`: the object load generator
//! ([`mlstor_bench::execute::load`]). `put` writes N objects of SIZE made by mlstor's data
//! generator (unique per object; `--dedup`/`--compress` as in `mlstor datagen`); `get` reads
//! them back (writing any that are missing first, untimed), whole (`Bytes`) or into one
//! reused buffer per worker (`--into`), and checks what it read against the generator.
//! Reports GB/s (GB = 1e9 bytes), objects/s, client CPU seconds, and latency percentiles from
//! the run's records.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use comfy_table::Table;
use mlstor_bench::execute::load::{self, LoadOp, LoadReport, LoadSpec};
use mlstor_bench::records::{EndpointReport, Recorder};
use mlstor_store::{StoreOptions, store_for_uri};
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
    /// Write every storage request to FILE (see `mlstor run --op-log`).
    #[arg(long, value_name = "FILE")]
    pub op_log: Option<PathBuf>,
}

impl BenchArgs {
    fn spec(&self, op: LoadOp) -> Result<LoadSpec> {
        Ok(LoadSpec {
            op,
            objects: self.objects,
            size: usize::try_from(self.size).context("--size does not fit in memory")?,
            concurrency: self.concurrency,
            into: self.into,
            verify: (!self.no_verify).then_some(self.verify_full),
            dedup: self.dedup,
            compress: self.compress,
        })
    }
}

pub async fn run(g: &GlobalArgs, cmd: &BenchCommand) -> Result<()> {
    let (op, a) = match cmd {
        BenchCommand::Put(a) => (LoadOp::Put, a),
        BenchCommand::Get(a) => (LoadOp::Get, a),
    };
    let spec = a.spec(op)?;
    let uri = super::to_uri(&a.uri_prefix)?;
    let root = uri.trim_end_matches('/');
    let recorder = Arc::new(match &a.op_log {
        Some(p) => Recorder::new().with_log(p, g.rank.unwrap_or(0), std::time::Instant::now())?,
        None => Recorder::new(),
    });
    let opts = StoreOptions {
        sink: Some(recorder.clone()),
        ..g.store_options(root)
    };
    let store = store_for_uri(root, &opts)?;
    if op == LoadOp::Get {
        let bar = progress::count_bar(a.objects as u64, true);
        let (tick, b) = (bar.clone(), bar.clone());
        let written = load::prepare(&store, &spec, Arc::new(move || tick.inc(1))).await?;
        b.finish_and_clear();
        if written > 0 && !g.json {
            eprintln!("wrote {written} missing object(s) first (not timed)");
        }
    }
    let bar = progress::count_bar(a.objects as u64, g.json);
    let tick = bar.clone();
    let report = load::run(&store, &spec, &recorder, Arc::new(move || tick.inc(1))).await?;
    bar.finish_and_clear();
    if a.cleanup {
        load::cleanup(&store, a.objects).await?;
    }
    if let Some(n) = recorder.finish()?
        && !g.json
        && let Some(p) = &a.op_log
    {
        eprintln!("op-log: {n} request(s) in {}", p.display());
    }
    let storage = mlstor_bench::execute::storage_json(root, &opts);
    print(&uri, &spec, &report, &storage, opts.endpoints.len() > 1, g.json)
}

fn print(
    uri: &str,
    spec: &LoadSpec,
    r: &LoadReport,
    storage: &serde_json::Value,
    multi: bool,
    json_out: bool,
) -> Result<()> {
    let gb = r.bytes as f64 / 1e9;
    let gbps = gb / r.seconds;
    let l = r.requests.latency.percentiles();
    let objects_per_s = spec.objects as f64 / r.seconds;
    let cpu_per_gb = if gb > 0.0 { r.cpu_s / gb } else { 0.0 };
    let endpoints: &[EndpointReport] = if multi { &r.endpoints } else { &[] };
    if json_out {
        let f = r.requests.first_byte.percentiles();
        return super::print_json(&json!({
            "op": spec.op_name(), "uri": uri, "objects": spec.objects, "size": spec.size,
            "concurrency": spec.concurrency, "bytes": r.bytes, "seconds": r.seconds,
            "gb_per_s": gbps, "objects_per_s": objects_per_s,
            "cpu_seconds": r.cpu_s, "cpu_seconds_per_gb": cpu_per_gb,
            "latency_ms": {
                "p50": l.p50_ms, "p90": l.p90_ms, "p99": l.p99_ms, "p999": l.p999_ms, "max": l.max_ms,
            },
            "first_byte_ms": (f.count > 0).then(|| json!({"p50": f.p50_ms, "p99": f.p99_ms, "max": f.max_ms})),
            "errors": r.requests.errors,
            "storage": storage,
            "endpoints": endpoints,
        }));
    }
    let mut t = Table::new();
    t.set_header(vec![
        "op", "objects", "size", "conc", "GB/s", "obj/s", "CPU s/GB", "p50 ms", "p90 ms", "p99 ms",
        "p99.9 ms", "max ms",
    ]);
    t.add_row(vec![
        spec.op_name().to_string(),
        spec.objects.to_string(),
        human(spec.size as u64),
        spec.concurrency.to_string(),
        format!("{gbps:.3}"),
        format!("{objects_per_s:.1}"),
        if gb > 0.0 {
            format!("{cpu_per_gb:.3}")
        } else {
            "-".into()
        },
        format!("{:.2}", l.p50_ms),
        format!("{:.2}", l.p90_ms),
        format!("{:.2}", l.p99_ms),
        format!("{:.2}", l.p999_ms),
        format!("{:.2}", l.max_ms),
    ]);
    println!(
        "{} {uri} ({} in {:.3} s)",
        spec.op_name(),
        human(r.bytes),
        r.seconds
    );
    println!("{t}");
    if !endpoints.is_empty() {
        let mut e = Table::new();
        e.set_header(vec!["endpoint", "requests", "bytes", "errors"]);
        for s in endpoints {
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
