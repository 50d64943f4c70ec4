//! `mlstor generate WORKLOAD`: writes the workload's dataset (DLIO's layout and formats)
//! through the store, this rank's share of it: the run's executor with a plan that only
//! generates. Ranks as `run` finds them (the launcher's, through MPI), or given by hand
//! with `--rank R --ranks N` for independent processes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use clap::Args;
use mlstor_bench::execute::checkpoint::Control;
use mlstor_bench::execute::{self, Event, RunOptions};
use mlstor_bench::plan::{Plan, locations};
use mlstor_bench::ranks::{Ranks, launcher_env};
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
    /// Number of ranks sharing the work, given by hand (this one is the global --rank,
    /// default 0); without it, the launcher's ranks (mpirun), else one.
    #[arg(long)]
    pub ranks: Option<usize>,
    /// Write every storage request to FILE (see `mlstor run --op-log`).
    #[arg(long, value_name = "FILE")]
    pub op_log: Option<PathBuf>,
}

pub async fn run(g: &GlobalArgs, a: &GenerateArgs) -> Result<()> {
    let mut w = a.workload.load()?;
    w.workflow.generate_data = true;
    w.workflow.train = false;
    w.workflow.evaluation = false;
    w.workflow.checkpoint = false;
    let size = match a.ranks {
        Some(n) => n.max(1),
        None => launcher_env(&|k| std::env::var(k).ok()).map_or(1, |l| l.1),
    };
    let plan = Plan::build(&w, size, false)?;
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let overrides = g.overrides();
    let uri = locations::data_uri(&w, &cwd);
    let opts = RunOptions {
        workload_name: a.workload.workload.clone(),
        overrides: a.workload.all_overrides(),
        results_dir: None,
        cwd,
        verify: false,
        data_store: locations::data_store_options(&w, &overrides, &uri),
        data_uri: uri.clone(),
        checkpoint: None,
        generate_concurrency: a.concurrency,
        op_log: a.op_log.clone(),
        control: Control::default(),
    };
    let on_signal = opts.control.cancel.clone();
    crate::signals::on_interrupt(move || on_signal.cancel());
    let (manual, rank, json_out) = (a.ranks.is_some(), g.rank.unwrap_or(0), g.json);
    let name = a.workload.workload.clone();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let ranks = if manual {
            Ranks::manual(rank, size)?
        } else {
            Ranks::discover()?
        };
        let bar = std::sync::Mutex::new(progress::files_bar(0, json_out));
        let bytes = AtomicU64::new(0);
        let started = std::time::Instant::now();
        let on_event = |e: Event| {
            let Ok(b) = bar.lock() else { return };
            match e {
                Event::GenerateStart(n) => b.set_length(n),
                Event::FileWritten(n) => {
                    let total = bytes.fetch_add(n, Ordering::Relaxed) + n;
                    let secs = started.elapsed().as_secs_f64().max(1e-9);
                    b.set_message(format!("{}, {:.2} GB/s", human(total), total as f64 / 1e9 / secs));
                    b.inc(1);
                }
                _ => {}
            }
        };
        let out = execute::run(&plan, &opts, &ranks, &handle, &on_event)
            .with_context(|| format!("generating {name} into {uri}"));
        if let Ok(b) = bar.lock() {
            b.finish_and_clear();
        }
        let out = out?;
        let Some(r) = &out.generated else {
            return Ok(());
        };
        let gbps = r.bytes as f64 / 1e9 / r.seconds.max(1e-9);
        let (rank, size) = (ranks.rank(), ranks.size());
        if json_out {
            return super::print_json(&json!({
                "workload": name, "uri": uri, "format": w.dataset.format.extension(), "rank": rank,
                "ranks": size, "files": r.files, "bytes": r.bytes, "seconds": r.seconds, "gb_per_s": gbps,
                "storage": execute::storage_json(&uri, &opts.data_store),
                "endpoints": out.endpoints,
            }));
        }
        eprintln!(
            "generated {} {} file(s), {} in {:.2} s = {gbps:.3} GB/s into {uri} (rank {rank} of {size})",
            r.files,
            w.dataset.format.extension(),
            human(r.bytes),
            r.seconds
        );
        Ok(())
    })
    .await
    .context("generation stopped unexpectedly")?
}
