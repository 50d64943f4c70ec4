//! `mlstor run WORKLOAD` for checkpoint-only workflows (`workflow.train: False`,
//! `workflow.checkpoint: True`, e.g. MLPerf Storage's llama3 workloads): every rank writes
//! `num_checkpoints_write` checkpoints and restores `num_checkpoints_read`, as DLIO does, on
//! the checkpoint storage (`checkpoint.checkpoint_folder`, any URI, with
//! `checkpoint.storage_options`); rank 0 writes the results folder and prints the table (or
//! `--json`). Ctrl-C stops at the next piece of every file and leaves no partial checkpoint.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::Args;
use mlstor_bench::checkpoint::results::{CheckpointSetup, execute};
use mlstor_bench::checkpoint::workflow::TimedCheckpoint;
use mlstor_bench::checkpoint::{CheckpointOptions, Checkpointer, Control, Direction};
use mlstor_bench::config::Workload;
use mlstor_bench::plan::locations;
use mlstor_bench::ranks::{Ranks, launcher_env};
use mlstor_bench::run::Callbacks;
use mlstor_store::{StoreOptions, store_for_uri};
use tokio_util::sync::CancellationToken;

use super::run::RunArgs;
use crate::size::human;
use crate::{GlobalArgs, progress};

/// How checkpoints move bytes (the part size and part concurrency are the global
/// `--part-size` / `--part-concurrency`; `--verify` checks restores).
#[derive(Args, Debug, Clone)]
pub struct CheckpointArgs {
    /// Checkpoint files a rank writes or reads at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub file_concurrency: usize,
    /// Ranged reads in flight per file during restores.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub read_concurrency: usize,
}

/// The checkpoint options from the command line.
fn options(g: &GlobalArgs, a: &RunArgs) -> CheckpointOptions {
    let d = CheckpointOptions::default();
    CheckpointOptions {
        part_size: g.part_size.unwrap_or(d.part_size),
        file_concurrency: a.checkpoint.file_concurrency.max(1),
        part_concurrency: g.part_concurrency.unwrap_or(d.part_concurrency),
        read_concurrency: a.checkpoint.read_concurrency.max(1),
        verify: a.verify,
        dlio_compat: a.dlio_compat,
    }
}

/// The command line's endpoints and part size, over a store's options from the workload.
pub fn apply_globals(g: &GlobalArgs, s: &mut StoreOptions) {
    if !g.endpoints.is_empty() {
        s.endpoints = g.endpoints.clone();
        s.load_balance = g.load_balance;
    }
    if let Some(p) = g.part_size {
        s.part_size = p;
    }
}

/// The workload's checkpoint storage (`checkpoint.checkpoint_folder`, its own
/// `checkpoint.storage_options`) with the command line's options.
pub fn setup(g: &GlobalArgs, a: &RunArgs, w: &Workload, cwd: &std::path::Path) -> CheckpointSetup {
    let mut store = locations::checkpoint_store_options(w);
    apply_globals(g, &mut store);
    CheckpointSetup {
        uri: locations::checkpoint_uri(w, cwd),
        store,
        options: options(g, a),
    }
}

/// Runs the checkpoint workflow of `w` on this rank; rank 0 reports.
pub async fn run(g: &GlobalArgs, a: &RunArgs, w: Workload) -> Result<()> {
    let name = a.workload.workload.clone();
    let launched = launcher_env(&|k| std::env::var(k).ok());
    if let Some(n) = a.num_accelerators {
        match launched {
            None if n > 1 => return super::run::launch(n),
            Some((_, size, var)) if size != n => {
                bail!("--num-accelerators {n} but the launcher started {size} ranks ({var})")
            }
            _ => {}
        }
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let CheckpointSetup {
        uri,
        store,
        options: opts,
    } = setup(g, a, &w, &cwd);
    let mut data_store = locations::store_options(&w.storage.storage_options);
    apply_globals(g, &mut data_store);
    let ranks = Arc::new(Ranks::discover()?);
    // Refuse a rank count the parallelism cannot take before anything (the dataset too) is written.
    let ckpt_store = store_for_uri(&uri, &store)?;
    let planned = Checkpointer::new(ckpt_store, &w, ranks.rank(), ranks.size(), opts)
        .with_context(|| format!("{name}: cannot checkpoint on {} rank(s)", ranks.size()))?;
    let run = a.run_options(locations::data_uri(&w, &cwd), data_store, cwd);
    let setup = CheckpointSetup {
        uri: uri.clone(),
        store,
        options: opts,
    };
    let hide = a.quiet || g.json || !ranks.is_root();
    let c = &w.checkpoint;
    let total = planned.bytes() * u64::try_from(c.num_checkpoints_write).unwrap_or(0)
        + planned.restore_bytes() * u64::try_from(c.num_checkpoints_read).unwrap_or(0);
    let bar = progress::bytes_bar(total, hide);
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let moved = bar.clone();
    let ctl = Control::default()
        .with_cancel(cancel)
        .on_bytes(move |n| moved.inc(n));
    let lines = bar.clone();
    let on_checkpoint = move |t: &TimedCheckpoint| {
        if !hide {
            lines.println(checkpoint_line(t));
        }
    };
    let generation = progress::GenerationBar::new(hide);
    let generate_start = |n: u64| generation.start(n);
    let file_written = |n: u64| generation.file_written(n);
    let cb = Callbacks {
        generate_start: &generate_start,
        file_written: &file_written,
        train: &|_| {},
    };
    let outcome = execute(&w, &run, &setup, &ranks, &ctl, &cb, &on_checkpoint).await;
    generation.finish();
    bar.finish_and_clear();
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            let e = anyhow::Error::new(e).context(format!("{name}: checkpointing into {uri}"));
            if ranks.size() > 1 {
                // The other ranks would wait at the next barrier forever.
                eprintln!("error: rank {}: {e:#}", ranks.rank());
                ranks.abort(1);
            }
            return Err(e);
        }
    };
    if !ranks.is_root() {
        return Ok(());
    }
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    if g.json {
        return super::print_json(&outcome.results.unwrap_or_default());
    }
    if let Some(s) = &outcome.summary
        && !hide
    {
        use std::io::Write;
        let text = mlstor_bench::checkpoint::summary::render(&name, &uri, s);
        std::io::stdout().lock().write_all(text.as_bytes())?;
    }
    eprintln!("results: {}", outcome.results_dir.display());
    Ok(())
}

fn checkpoint_line(t: &TimedCheckpoint) -> String {
    let what = match t.report.direction {
        Direction::Save => "saved",
        Direction::Restore => "restored",
    };
    format!(
        "{what} {} ({}, {} file(s)) in {:.3} s = {:.3} GB/s on rank 0",
        t.report.checkpoint,
        human(t.report.bytes),
        t.report.files.len(),
        t.duration_s,
        t.report.bytes as f64 / 1e9 / t.duration_s.max(1e-9)
    )
}
