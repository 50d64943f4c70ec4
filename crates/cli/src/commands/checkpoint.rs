//! `mlstor run WORKLOAD` for checkpoint-only workflows (`workflow.train: False`,
//! `workflow.checkpoint: True`, e.g. MLPerf Storage's llama3 workloads): every rank writes
//! `num_checkpoints_write` checkpoints and restores `num_checkpoints_read`, as DLIO does, on
//! the checkpoint storage (`checkpoint.checkpoint_folder`, any URI, with
//! `checkpoint.storage_options`). Rank 0 prints the table (or `--json`); Ctrl-C stops at the
//! next piece of every file and leaves no partial checkpoint.

use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use comfy_table::Table;
use mlstor_bench::checkpoint::summary::{CheckpointSummary, PhaseSummary, summarize};
use mlstor_bench::checkpoint::workflow::{self, CheckpointRun, TimedCheckpoint};
use mlstor_bench::checkpoint::{CheckpointOptions, Control, Direction};
use mlstor_bench::config::Workload;
use mlstor_bench::plan::locations;
use mlstor_bench::ranks::Ranks;
use mlstor_store::store_for_uri;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::size::human;
use crate::{GlobalArgs, progress};

/// How checkpoints move bytes (the part size and part concurrency are the global
/// `--part-size` / `--part-concurrency`).
#[derive(Args, Debug, Clone)]
pub struct CheckpointArgs {
    /// Check every byte a restore reads against what was written.
    #[arg(long)]
    pub verify: bool,
    /// Checkpoint files a rank writes or reads at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub file_concurrency: usize,
    /// Ranged reads in flight per file during restores.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub read_concurrency: usize,
}

/// The checkpoint options from the command line.
fn options(g: &GlobalArgs, a: &CheckpointArgs, dlio_compat: bool) -> CheckpointOptions {
    let d = CheckpointOptions::default();
    CheckpointOptions {
        part_size: g.part_size.unwrap_or(d.part_size),
        file_concurrency: a.file_concurrency.max(1),
        part_concurrency: g.part_concurrency.unwrap_or(d.part_concurrency),
        read_concurrency: a.read_concurrency.max(1),
        verify: a.verify,
        dlio_compat,
    }
}

/// Checks that `w` can be checkpointed at the launcher's rank count, before anything runs.
pub fn check(w: &Workload, dlio_compat: bool) -> Result<()> {
    let size = mlstor_bench::ranks::launcher_env(&|k| std::env::var(k).ok()).map_or(1, |(_, s, _)| s);
    let opts = mlstor_bench::checkpoint::PlanOptions { dlio_compat };
    mlstor_bench::checkpoint::CheckpointPlan::new(w, size, opts)
        .with_context(|| format!("cannot checkpoint on {size} rank(s)"))?;
    Ok(())
}

/// Runs the checkpoint workflow of `w` on this rank and reports on rank 0.
pub async fn run(
    g: &GlobalArgs,
    name: &str,
    w: &Workload,
    a: &CheckpointArgs,
    dlio_compat: bool,
) -> Result<()> {
    let ranks = Arc::new(Ranks::discover()?);
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let uri = locations::checkpoint_uri(w, &cwd);
    let mut store_opts = locations::checkpoint_store_options(w);
    if !g.endpoints.is_empty() {
        store_opts.endpoints = g.endpoints.clone();
    }
    if let Some(p) = g.part_size {
        store_opts.part_size = p;
    }
    let store = store_for_uri(&uri, &store_opts)?;
    let opts = options(g, a, dlio_compat);
    // The plan is checked (and its size known) before anything is written.
    let planned =
        mlstor_bench::checkpoint::Checkpointer::new(store.clone(), w, ranks.rank(), ranks.size(), opts)
            .with_context(|| format!("{name}: cannot checkpoint on {} rank(s)", ranks.size()))?;
    let c = &w.checkpoint;
    let per_rank = planned.bytes() * u64::try_from(c.num_checkpoints_write).unwrap_or(0)
        + planned.restore_bytes() * u64::try_from(c.num_checkpoints_read).unwrap_or(0);
    let bar = progress::bytes_bar(per_rank, g.json || !ranks.is_root());
    let cancel = CancellationToken::new();
    let on_signal = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let progress_bar = bar.clone();
    let ctl = Control::default()
        .with_cancel(cancel)
        .on_bytes(move |n| progress_bar.inc(n));
    let line_bar = bar.clone();
    let quiet = g.json || !ranks.is_root();
    let on_checkpoint = move |t: &TimedCheckpoint| {
        if !quiet {
            line_bar.println(checkpoint_line(t));
        }
    };
    let outcome = workflow::run(w, store, &ranks, opts, &ctl, &on_checkpoint).await;
    bar.finish_and_clear();
    let run = match outcome {
        Ok(r) => r,
        Err(e) => {
            let e = anyhow::Error::new(e).context(format!("{name}: checkpointing into {uri}"));
            if ranks.size() > 1 {
                // The other ranks would wait at the next barrier forever.
                eprintln!("error (rank {}): {e:#}", ranks.rank());
                ranks.abort(1);
            }
            return Err(e);
        }
    };
    let bytes = serde_json::to_vec(&run)?;
    let r = ranks.clone();
    let gathered = tokio::task::spawn_blocking(move || r.gather(bytes)).await??;
    let Some(all) = gathered else {
        return Ok(()); // not rank 0
    };
    let runs: Vec<CheckpointRun> = all
        .iter()
        .map(|b| serde_json::from_slice(b))
        .collect::<Result<_, _>>()
        .context("a rank sent an unreadable report")?;
    let summary = summarize(&runs);
    if g.json {
        return super::print_json(&json!({
            "workload": name,
            "uri": uri,
            "ranks": runs.len(),
            "dlio_compat": dlio_compat,
            "metric": summary.dlio_metric(),
            "summary": summary,
            "per_rank": runs,
        }));
    }
    print_table(name, &uri, &summary)
}

fn checkpoint_line(t: &TimedCheckpoint) -> String {
    let what = match t.report.direction {
        Direction::Save => "saved",
        Direction::Restore => "restored",
    };
    format!(
        "{what} {} ({}, {} file(s)) in {:.3} s = {:.3} GB/s on this rank",
        t.report.checkpoint,
        human(t.report.bytes),
        t.report.files.len(),
        t.duration_s,
        t.report.bytes as f64 / 1e9 / t.duration_s.max(1e-9)
    )
}

fn phase_row(what: &str, p: &PhaseSummary) -> Vec<String> {
    vec![
        what.to_string(),
        p.checkpoints.len().to_string(),
        format!("{:.3} ± {:.3}", p.seconds.mean, p.seconds.stdev),
        format!("{:.3} ± {:.3}", p.gb_per_second.mean, p.gb_per_second.stdev),
        format!("{:.3}", p.rank_gb_per_second.mean),
        format!(
            "{:.3} ± {:.3}",
            p.dlio_gb_per_second.mean, p.dlio_gb_per_second.stdev
        ),
        format!(
            "{} / {} / {}",
            p.latency.p50_us, p.latency.p99_us, p.latency.max_us
        ),
    ]
}

fn print_table(name: &str, uri: &str, s: &CheckpointSummary) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{name}: {} rank(s), checkpoint {:.3} GiB ({} per checkpoint) on {uri}; fsync {}, restores {}",
        s.ranks,
        s.checkpoint_size_gb,
        human(s.bytes_per_checkpoint),
        if s.fsync { "done" } else { "not done" },
        if s.verify { "verified" } else { "not verified" },
    )?;
    let mut t = Table::new();
    t.set_header(vec![
        "",
        "checkpoints",
        "seconds (slowest rank)",
        "GB/s (all ranks)",
        "GB/s per rank",
        "DLIO GB/s (GiB, rank 0)",
        "piece µs p50/p99/max",
    ]);
    if let Some(p) = &s.save {
        t.add_row(phase_row("save", p));
    }
    if let Some(p) = &s.restore {
        t.add_row(phase_row("restore", p));
    }
    writeln!(out, "{t}")?;
    for w in &s.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
