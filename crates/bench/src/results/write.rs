//! The one results writer. Every rank writes its own files (`{rank}_per_epoch_stats.json`,
//! `{rank}_output.json`), then sends its records to rank 0, which combines them and writes
//! the run's (`summary.json`, `results.json`, `dlio_config/`). A training run and a
//! checkpoint-only run differ only in what the records hold.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::checkpoint::{
    CheckpointSummary, dlio_metric, per_epoch_stats, phase_summary, summarize as summarize_checkpoints,
};
use super::summary::{RunSummary, TrainingCheckpoints, cpu_s_per_gb, summarize};
use super::{ResultsError, dlio, write_file, write_json};
use crate::config::{self, Workload};
use crate::host::HostInfo;
use crate::ranks::{Ranks, RanksError};
use crate::records::GenerateReport;
use crate::records::checkpoint::{CheckpointRun, TimedCheckpoint};
use crate::records::train::RankReport;

/// Errors of writing results (a rank's report that could not travel is one too).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    #[error(transparent)]
    Files(#[from] ResultsError),
    #[error(transparent)]
    Ranks(#[from] RanksError),
}

/// What every `results.json` says about the run besides its measurements.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The workload as named on the command line, and its overrides.
    pub workload_name: String,
    pub overrides: Vec<String>,
    /// `single` or `mpi`, and how the ranks met at barriers.
    pub rank_source: &'static str,
    pub barrier: &'static str,
    /// DLIO's timestamps of the run's start and end.
    pub start: String,
    pub end: String,
    pub data_uri: String,
    pub dlio_compat: bool,
    pub verify: bool,
    pub generated: Option<GenerateReport>,
    /// The effective options of the run's stores, secrets left out.
    pub storage: Value,
}

/// What rank 0 made of a run.
#[derive(Debug, Clone)]
pub enum Summary {
    Training(Box<RunSummary>),
    Checkpoint {
        summary: Box<CheckpointSummary>,
        uri: String,
    },
}

/// Rank 0's results: the figures, the `results.json` value, things the user should know.
#[derive(Debug, Clone)]
pub struct Written {
    pub summary: Summary,
    pub results: Value,
    pub warnings: Vec<String>,
}

/// The checkpoints of a training run, as the results need them.
#[derive(Debug, Clone)]
pub struct CheckpointInfo {
    pub uri: String,
    /// DLIO's `checkpoint_size_GB` (GiB, all ranks), and the bytes all ranks write.
    pub size_gb: f64,
    pub bytes_per_checkpoint: u64,
    pub fsync: bool,
}

/// Writes a training run's results: this rank's files, and on rank 0 (`Some`) the run's.
pub fn training(
    dir: &Path,
    w: &Workload,
    info: &RunInfo,
    ranks: &Ranks,
    report: &RankReport,
    checkpoint: Option<&CheckpointInfo>,
) -> Result<Option<Written>, WriteError> {
    create(dir)?;
    let r = ranks.rank();
    let size_gb = checkpoint.map_or(0.0, |c| c.size_gb);
    write_json(
        dir,
        &format!("{r}_per_epoch_stats.json"),
        &dlio::per_epoch_stats(report, size_gb),
    )?;
    write_json(
        dir,
        &format!("{r}_output.json"),
        &dlio::output(w, report, ranks.size(), None),
    )?;
    let Some(reports) = ranks.gather_json(&report.compact())? else {
        return Ok(None);
    };
    let mut summary = summarize(&reports, w.dataset.record_length_bytes, w.metric.au);
    let mut extra = Map::new();
    if let Some(c) = checkpoint {
        let saves: Vec<Vec<TimedCheckpoint>> = reports
            .iter()
            .map(|r| {
                r.epochs
                    .iter()
                    .flat_map(|e| e.checkpoints.iter().cloned())
                    .collect()
            })
            .collect();
        let per_rank: Vec<(usize, &[TimedCheckpoint])> = reports
            .iter()
            .zip(&saves)
            .map(|(r, s)| (r.rank, s.as_slice()))
            .collect();
        let save = phase_summary(&per_rank, size_gb);
        extra = dlio_metric(save.as_ref(), None, size_gb);
        summary.checkpoint = Some(TrainingCheckpoints {
            uri: c.uri.clone(),
            size_gb,
            bytes_per_checkpoint: c.bytes_per_checkpoint,
            fsync: c.fsync,
            save,
        });
    }
    write_json(
        dir,
        "summary.json",
        &dlio::summary(w, &summary, &reports, &info.start, &info.end, extra),
    )?;
    let mut results = header(dir, w, info, ranks.size())?;
    results.extend(object(json!({
        "summary": summary,
        "per_rank": reports,
    })));
    let results = Value::Object(results);
    write_json(dir, "results.json", &results)?;
    let mut warnings = Vec::new();
    let host = &reports[0].host;
    let ranks_here = reports
        .iter()
        .filter(|r| r.host.hostname == host.hostname)
        .count();
    let per_host = dlio::data_size_per_host_gib(w, ranks.size(), ranks_here);
    let memory = host.memory_bytes as f64 / (1u64 << 30) as f64;
    if per_host <= memory {
        warnings.push(format!(
            "the dataset each host reads ({per_host:.2} GiB) fits in its memory ({memory:.1} GiB): after the \
             first epoch reads may be served by the page cache; grow the dataset to measure the storage"
        ));
    }
    Ok(Some(Written {
        summary: Summary::Training(Box::new(summary)),
        results,
        warnings,
    }))
}

/// Writes a checkpoint-only run's results: this rank's files, and on rank 0 the run's.
pub fn checkpoint(
    dir: &Path,
    w: &Workload,
    info: &RunInfo,
    ranks: &Ranks,
    run: &CheckpointRun,
    uri: &str,
) -> Result<Option<Written>, WriteError> {
    create(dir)?;
    let r = ranks.rank();
    write_json(dir, &format!("{r}_per_epoch_stats.json"), &per_epoch_stats(run))?;
    write_json(
        dir,
        &format!("{r}_output.json"),
        &dlio::output(w, &host_only(run), ranks.size(), Some((&run.start, &run.end))),
    )?;
    let Some(runs) = ranks.gather_json(run)? else {
        return Ok(None);
    };
    let summary = summarize_checkpoints(&runs);
    let reports: Vec<RankReport> = runs.iter().map(host_only).collect();
    let run_summary = checkpoint_run_summary(w, &runs, &reports);
    let metric = summary.dlio_metric();
    write_json(
        dir,
        "summary.json",
        &dlio::summary(w, &run_summary, &reports, &info.start, &info.end, metric.clone()),
    )?;
    let mut results = header(dir, w, info, ranks.size())?;
    results.extend(object(json!({
        "checkpoint_uri": uri,
        "metric": metric,
        "checkpoint": summary,
        "cpu_s": run_summary.cpu_s,
        "cpu_s_per_gb": run_summary.cpu_s_per_gb,
        "per_rank": runs,
    })));
    let results = Value::Object(results);
    write_json(dir, "results.json", &results)?;
    Ok(Some(Written {
        warnings: summary.warnings.clone(),
        summary: Summary::Checkpoint {
            summary: Box::new(summary),
            uri: uri.to_string(),
        },
        results,
    }))
}

fn create(dir: &Path) -> Result<(), ResultsError> {
    std::fs::create_dir_all(dir).map_err(|source| ResultsError {
        path: dir.display().to_string(),
        source,
    })
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// The training report shape the DLIO writers take: the rank's host, no epochs.
fn host_only(run: &CheckpointRun) -> RankReport {
    RankReport {
        rank: run.rank,
        host: HostInfo::clone(&run.host),
        epochs: Vec::new(),
        cpu_s: run.cpu_s,
        endpoints: Vec::new(),
    }
}

/// The run-level figures DLIO's `summary.json` takes (no epochs: DLIO reports 0 for a
/// checkpoint-only run), with CPU per GB moved.
fn checkpoint_run_summary(w: &Workload, runs: &[CheckpointRun], reports: &[RankReport]) -> RunSummary {
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

/// Writes `dlio_config/` and returns the fields every `results.json` starts with: the
/// mlstor version, the workload and its overrides, ranks and how they met, times, the
/// dataset URI, the results folder, the run's flags, what was generated, the stores'
/// options and the resolved config (secrets masked).
fn header(
    dir: &Path,
    w: &Workload,
    info: &RunInfo,
    ranks: usize,
) -> Result<Map<String, Value>, ResultsError> {
    let yaml = write_dlio_config(dir, w, &info.workload_name, &info.overrides)?;
    Ok(object(json!({
        "mlstor_version": env!("CARGO_PKG_VERSION"),
        "workload": info.workload_name,
        "overrides": info.overrides.iter().map(|o| config::mask_override(o)).collect::<Vec<_>>(),
        "ranks": ranks,
        "rank_source": info.rank_source,
        "barrier": info.barrier,
        "start": info.start,
        "end": info.end,
        "data_uri": info.data_uri,
        "results_dir": dir.display().to_string(),
        "dlio_compat": info.dlio_compat,
        "verify": info.verify,
        "generate": info.generated.as_ref().map(|g| json!({"files": g.files, "bytes": g.bytes, "seconds": g.seconds})),
        "storage": info.storage,
        "config": serde_yaml_ng::from_str::<Value>(&yaml).unwrap_or_default(),
    })))
}

/// Writes `dlio_config/` as Hydra does for DLIO: `config.yaml`, the resolved workload
/// (secrets masked) nested under `workload:`, and `overrides.yaml`, the command line as
/// Hydra records it (`workload=NAME`, then `++workload.key=value` per override); returns
/// the resolved workload's YAML (not nested).
pub fn write_dlio_config(
    dir: &Path,
    w: &Workload,
    workload_name: &str,
    overrides: &[String],
) -> Result<String, ResultsError> {
    let yaml = config::resolved_yaml(w);
    let mut nested = serde_yaml_ng::Mapping::new();
    nested.insert("workload".into(), config::resolved_value(w));
    let nested = serde_yaml_ng::to_string(&nested).unwrap_or_default();
    write_file(dir, "dlio_config/config.yaml", nested.as_bytes())?;
    let overrides: Vec<String> = std::iter::once(format!("workload={}", config_name(workload_name)))
        .chain(
            overrides
                .iter()
                .map(|s| hydra_override(&config::mask_override(s))),
        )
        .collect();
    let overrides_yaml = serde_yaml_ng::to_string(&overrides).unwrap_or_default();
    write_file(dir, "dlio_config/overrides.yaml", overrides_yaml.as_bytes())?;
    Ok(yaml)
}

/// The workload's name as Hydra's `workload=` choice: a shipped name as is, a file by its
/// stem (`/x/my_run.yaml` -> `my_run`).
fn config_name(workload: &str) -> String {
    let p = Path::new(workload);
    if workload.ends_with(".yaml") || workload.ends_with(".yml") || workload.contains('/') {
        p.file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| workload.to_string())
    } else {
        workload.to_string()
    }
}

/// An override as Hydra records it (`++workload.key=value`).
fn hydra_override(s: &str) -> String {
    let body = s.trim_start_matches('+');
    if body.starts_with("workload.") {
        format!("++{body}")
    } else {
        format!("++workload.{body}")
    }
}
