//! The checkpoint-only workflow as `mlstor run` executes it on every rank: generate the
//! dataset first when `workflow.generate_data` asks, run the [`workflow`](super::workflow::run)
//! against the checkpoint storage, gather every rank's run to rank 0, and write the results
//! folder with the run's writers ([`crate::results`]):
//!
//! ```text
//! <results>/summary.json                 DLIO's, with its checkpoint keys (rank 0)
//! <results>/{rank}_per_epoch_stats.json  DLIO's save_ckpt{i} / load_ckpt{i} entries (each rank)
//! <results>/{rank}_output.json           DLIO's host fields (each rank)
//! <results>/results.json                 everything mlstor measured (rank 0)
//! <results>/dlio_config/                 the resolved workload and the overrides
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use mlstor_store::{StoreOptions, store_for_uri};
use serde_json::{Value, json};

use super::CheckpointError;
use super::engine::{CheckpointOptions, Control};
use super::summary::{CheckpointSummary, per_epoch_stats, summarize};
use super::workflow::{self, CheckpointRun, OnCheckpoint};
use crate::config::Workload;
use crate::generate::GenerateReport;
use crate::ranks::Ranks;
use crate::results::summary::{RunSummary, cpu_s_per_gb};
use crate::results::{ResultsError, dlio, results_dir, write_json};
use crate::run::{Callbacks, RunOptions, generate_share, results_header, write_dlio_config};
use crate::train::report::RankReport;
use crate::train::timestamp;

/// What the checkpoint workflow needs beyond the run's options.
#[derive(Debug, Clone)]
pub struct CheckpointSetup {
    /// The checkpoints' root URI and its store options (independent of the dataset's).
    pub uri: String,
    pub store: StoreOptions,
    pub options: CheckpointOptions,
}

/// What the run produced on this rank.
#[derive(Debug)]
pub struct CheckpointOutcome {
    pub results_dir: PathBuf,
    pub generated: Option<GenerateReport>,
    /// Rank 0 only: the figures over all ranks and the results.json value.
    pub summary: Option<CheckpointSummary>,
    pub results: Option<Value>,
    pub warnings: Vec<String>,
}

/// Rank 0's `YYYYmmdd_HHMMSS`, on every rank (names the default results folder).
async fn shared_stamp(ranks: &Arc<Ranks>) -> Result<String, CheckpointError> {
    let mine = chrono::Local::now().format("%Y%m%d_%H%M%S").to_string();
    let r = ranks.clone();
    let shared = tokio::task::spawn_blocking(move || r.broadcast(mine.into_bytes())).await??;
    Ok(String::from_utf8_lossy(&shared).into_owned())
}

fn results_err(dir: &std::path::Path) -> impl Fn(std::io::Error) -> ResultsError + '_ {
    move |source| ResultsError {
        path: dir.display().to_string(),
        source,
    }
}

/// Runs the checkpoint-only workflow of `w` on this rank and, on rank 0, writes the results.
pub async fn execute(
    w: &Workload,
    o: &RunOptions,
    setup: &CheckpointSetup,
    ranks: &Arc<Ranks>,
    ctl: &Control,
    cb: &Callbacks<'_>,
    on_checkpoint: OnCheckpoint<'_>,
) -> Result<CheckpointOutcome, CheckpointError> {
    let start = timestamp();
    let stamp = shared_stamp(ranks).await?;
    let dir = results_dir(
        o.results_dir.as_deref(),
        w.output.folder.as_deref(),
        &o.workload_name,
        &stamp,
        &o.cwd,
    );
    let store = store_for_uri(&setup.uri, &setup.store)?;
    // The plan is checked before anything is written (the dataset included).
    super::Checkpointer::new(store.clone(), w, ranks.rank(), ranks.size(), setup.options)?;
    let mut outcome = CheckpointOutcome {
        results_dir: dir.clone(),
        generated: None,
        summary: None,
        results: None,
        warnings: Vec::new(),
    };
    if w.workflow.generate_data {
        let data = store_for_uri(&o.data_uri, &o.store)?;
        outcome.generated = Some(generate_share(w, data, o.generate_concurrency, ranks, cb).await?);
    }
    let run = workflow::run(w, store, ranks, setup.options, ctl, on_checkpoint).await?;
    let end = timestamp();
    std::fs::create_dir_all(&dir).map_err(results_err(&dir))?;
    let r = ranks.rank();
    write_json(&dir, &format!("{r}_per_epoch_stats.json"), &per_epoch_stats(&run))?;
    write_json(
        &dir,
        &format!("{r}_output.json"),
        &dlio::output(w, &rank_report(&run), ranks.size()),
    )?;
    let gathering = ranks.clone();
    let Some(runs) = tokio::task::spawn_blocking(move || gathering.gather_json(&run)).await?? else {
        return Ok(outcome);
    };
    let summary = summarize(&runs);
    let reports: Vec<RankReport> = runs.iter().map(rank_report).collect();
    let run_summary = run_summary(w, &runs, &reports);
    let metric = summary.dlio_metric();
    write_json(
        &dir,
        "summary.json",
        &dlio::summary(w, &run_summary, &reports, &start, &end, metric.clone()),
    )?;
    let yaml = write_dlio_config(&dir, w, &o.overrides)?;
    let mut results = results_header(o, ranks, (&start, &end), &dir, outcome.generated.as_ref(), &yaml);
    results.extend(
        json!({
            // The flags the checkpoints ran with (the command line sets both from one flag).
            "dlio_compat": setup.options.dlio_compat,
            "verify": setup.options.verify,
            "checkpoint_uri": setup.uri,
            "metric": metric,
            "checkpoint": summary,
            "cpu_s": run_summary.cpu_s,
            "cpu_s_per_gb": run_summary.cpu_s_per_gb,
            "per_rank": runs,
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    );
    let results = Value::Object(results);
    write_json(&dir, "results.json", &results)?;
    outcome.warnings = summary.warnings.clone();
    outcome.summary = Some(summary);
    outcome.results = Some(results);
    Ok(outcome)
}

/// The training report shape the DLIO writers take: the rank's host, no epochs.
fn rank_report(run: &CheckpointRun) -> RankReport {
    RankReport {
        rank: run.rank,
        host: run.host.clone(),
        epochs: Vec::new(),
        cpu_s: run.cpu_s,
        endpoints: Vec::new(),
    }
}

/// The run-level figures DLIO's `summary.json` takes (no epochs: DLIO reports 0 for a
/// checkpoint-only run), with CPU per GB moved.
fn run_summary(w: &Workload, runs: &[CheckpointRun], reports: &[RankReport]) -> RunSummary {
    let mut hosts: Vec<&str> = reports.iter().map(|r| r.host.hostname.as_str()).collect();
    hosts.sort_unstable();
    hosts.dedup();
    let cpu_s: f64 = runs.iter().map(|r| r.cpu_s).sum();
    let moved: u64 = runs
        .iter()
        .flat_map(|r| r.saves.iter().chain(&r.restores))
        .map(|t| t.report.bytes)
        .sum();
    RunSummary {
        ranks: runs.len(),
        hosts: hosts.len(),
        epochs: Vec::new(),
        train: None,
        eval: None,
        au_threshold: w.metric.au,
        cpu_s,
        cpu_s_per_gb: cpu_s_per_gb(cpu_s, moved),
        checkpoint: None,
    }
}
