//! `mlstor generate WORKLOAD`: write the workload's dataset (DLIO's layout and formats)
//! through the store, this rank's share of it (rank/size from --rank/--ranks or the MPI
//! launcher's environment).

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use clap::Args;
use mlstor_bench::generate::{self, GenerateReport};
use mlstor_bench::plan::locations;
use mlstor_store::store_for_uri;
use serde_json::json;

use crate::size::human;
use crate::{GlobalArgs, progress};

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub workload: super::WorkloadArgs,
    /// Files written at once by this rank.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// This rank (default: OMPI_COMM_WORLD_RANK, PMI_RANK, else 0).
    #[arg(long)]
    pub rank: Option<usize>,
    /// Number of ranks (default: OMPI_COMM_WORLD_SIZE, PMI_SIZE, else 1).
    #[arg(long)]
    pub ranks: Option<usize>,
}

fn env_number(names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| std::env::var(n).ok()?.parse().ok())
}

pub async fn run(g: &GlobalArgs, a: &GenerateArgs) -> Result<()> {
    let w = a.workload.load()?;
    generate::check(&w)?;
    let rank = a
        .rank
        .or_else(|| env_number(&["OMPI_COMM_WORLD_RANK", "PMI_RANK"]))
        .unwrap_or(0);
    let ranks = a
        .ranks
        .or_else(|| env_number(&["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]))
        .unwrap_or(1)
        .max(1);
    anyhow::ensure!(
        rank < ranks,
        "rank {rank} is not below the number of ranks {ranks}"
    );
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let uri = locations::data_uri(&w, &cwd);
    let mut opts = locations::store_options(&w.storage.storage_options);
    if !g.endpoints.is_empty() {
        opts.endpoints = g.endpoints.clone();
    }
    let store = store_for_uri(&uri, &opts)?;
    let total = (w.dataset.num_files_train + w.dataset.num_files_eval) as usize;
    let mine = mlstor_bench::plan::files::files_for_rank(total, rank, ranks).count();
    let bar = progress::files_bar(mine as u64, g.json);
    let bytes = AtomicU64::new(0);
    let started = std::time::Instant::now();
    let on_file = |n: u64| {
        let total = bytes.fetch_add(n, Ordering::Relaxed) + n;
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!("{}, {:.2} GB/s", human(total), total as f64 / 1e9 / secs));
        bar.inc(1);
    };
    let r: GenerateReport = generate::generate(&w, store.clone(), rank, ranks, a.concurrency, &on_file)
        .await
        .with_context(|| format!("generating {} into {uri}", a.workload.workload))?;
    bar.finish_and_clear();
    let gbps = r.bytes as f64 / 1e9 / r.seconds.max(1e-9);
    if g.json {
        return super::print_json(&json!({
            "workload": a.workload.workload, "uri": uri, "format": w.dataset.format.extension(), "rank": rank,
            "ranks": ranks, "files": r.files, "bytes": r.bytes, "seconds": r.seconds, "gb_per_s": gbps,
            "endpoints": store.endpoint_stats().iter().map(|e| json!({"endpoint": e.endpoint, "requests": e.requests, "bytes": e.bytes})).collect::<Vec<_>>(),
        }));
    }
    eprintln!(
        "generated {} {} file(s), {} in {:.2} s = {gbps:.3} GB/s into {uri} (rank {rank} of {ranks})",
        r.files,
        w.dataset.format.extension(),
        human(r.bytes),
        r.seconds
    );
    Ok(())
}
