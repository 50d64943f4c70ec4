//! A workload's workflow on one rank, the same on every rank: generate the dataset
//! (`workflow.generate_data`), train and evaluate (`train`, `evaluation`), then gather
//! every rank's measurements to rank 0, which writes the results folder and the report.

use std::path::PathBuf;
use std::sync::Arc;

use mlstor_store::{StoreOptions, store_for_uri};
use serde_json::json;
use tokio::runtime::Handle;

use tokio_util::sync::CancellationToken;

use crate::checkpoint::results::CheckpointSetup;
use crate::checkpoint::space::{check_free_space, local_ranks};
use crate::checkpoint::summary::{dlio_metric, phase_summary};
use crate::checkpoint::workflow::TimedCheckpoint;
use crate::checkpoint::{CheckpointError, Checkpointer, Control};
use crate::config::{self, Workload};
use crate::generate::{self, GenerateError, GenerateReport};
use crate::ranks::{RankSource, Ranks, RanksError};
use crate::results::summary::{RunSummary, TrainingCheckpoints, summarize};
use crate::results::{ResultsError, dlio, results_dir, write_file, write_json};
use crate::train::{Progress, TrainError, TrainSetup, timestamp, train};

/// Errors of a run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    #[error("{0}")]
    NotSupported(String),
    #[error(transparent)]
    Store(#[from] mlstor_store::Error),
    #[error("generating the dataset")]
    Generate(#[from] GenerateError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Ranks(#[from] RanksError),
    #[error(transparent)]
    Results(#[from] ResultsError),
    #[error("checkpointing")]
    Checkpoint(#[from] CheckpointError),
}

/// How to run, beyond the workload itself.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The workload as named on the command line (file or shipped name).
    pub workload_name: String,
    pub overrides: Vec<String>,
    pub results_dir: Option<PathBuf>,
    pub dlio_compat: bool,
    pub verify: bool,
    /// The dataset's root URI and store options.
    pub data_uri: String,
    pub store: StoreOptions,
    /// Files each rank writes at once when generating.
    pub generate_concurrency: usize,
    pub cwd: PathBuf,
    /// The checkpoint storage and options (`workflow.checkpoint`).
    pub checkpoint: Option<CheckpointSetup>,
    /// Cancelled on Ctrl-C: training stops at the next step, a save removes what it wrote.
    pub cancel: CancellationToken,
}

/// What the caller shows while the run goes.
pub struct Callbacks<'a> {
    /// Generation: how many files this rank writes, then each file's size.
    pub generate_start: &'a (dyn Fn(u64) + Send + Sync),
    pub file_written: &'a (dyn Fn(u64) + Send + Sync),
    pub train: &'a (dyn Fn(Progress) + Sync),
}

/// What a run produced on this rank.
#[derive(Debug)]
pub struct RunOutcome {
    pub results_dir: PathBuf,
    pub generated: Option<GenerateReport>,
    /// Rank 0 only: the figures over all ranks and the results.json value.
    pub summary: Option<RunSummary>,
    pub results: Option<serde_json::Value>,
    pub warnings: Vec<String>,
}

/// Workflow parts that are not emulated yet, named before anything runs.
pub fn check_supported(w: &Workload) -> Result<(), RunError> {
    let f = w.workflow;
    if f.evaluation && !f.train {
        return Err(RunError::NotSupported(
            "workflow.evaluation runs after training epochs: it needs workflow.train: True".into(),
        ));
    }
    if !(f.generate_data || f.train || f.checkpoint) {
        return Err(RunError::NotSupported(
            "the workflow has nothing to do (generate_data, train, evaluation and checkpoint are all off)"
                .into(),
        ));
    }
    Ok(())
}

/// Agrees on the run's identity: rank 0's timestamp and random-shuffle seed.
fn run_identity(ranks: &Ranks) -> Result<(String, u64), RunError> {
    let stamp = chrono::Local::now().format("%Y%m%d_%H%M%S").to_string();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64 ^ std::process::id() as u64);
    let mine = format!("{stamp} {seed}").into_bytes();
    let shared = ranks.broadcast(mine)?;
    let text = String::from_utf8_lossy(&shared).to_string();
    let (s, n) = text.split_once(' ').unwrap_or((&text, "0"));
    Ok((s.to_string(), n.parse().unwrap_or(0)))
}

/// Runs the workflow on this rank.
pub fn execute(
    w: &Workload,
    o: &RunOptions,
    ranks: &Ranks,
    handle: &Handle,
    cb: &Callbacks,
) -> Result<RunOutcome, RunError> {
    check_supported(w)?;
    let start = timestamp();
    let (stamp, random_seed) = run_identity(ranks)?;
    let dir = results_dir(
        o.results_dir.as_deref(),
        w.output.folder.as_deref(),
        &o.workload_name,
        &stamp,
        &o.cwd,
    );
    let store = store_for_uri(&o.data_uri, &o.store)?;
    // The checkpoint plan refuses a rank count its parallelism cannot take before anything
    // is written.
    let checkpointer = match (&o.checkpoint, w.workflow.checkpoint && w.workflow.train) {
        (Some(c), true) => Some(Checkpointer::new(
            store_for_uri(&c.uri, &c.store)?,
            w,
            ranks.rank(),
            ranks.size(),
            c.options,
        )?),
        (None, true) => {
            return Err(RunError::NotSupported(
                "workflow.checkpoint needs a checkpoint storage".into(),
            ));
        }
        _ => None,
    };
    if let Some(c) = &checkpointer {
        let steps = crate::train::epoch_steps(w, ranks.size() as u64, o.dlio_compat)?;
        let due = crate::train::checkpoints_due(w, &steps);
        check_free_space(c.store().root(), c.bytes() * due * local_ranks())?;
        handle.block_on(c.prepare())?;
    }
    let control = Control::default().with_cancel(o.cancel.clone());
    let mut outcome = RunOutcome {
        results_dir: dir.clone(),
        generated: None,
        summary: None,
        results: None,
        warnings: Vec::new(),
    };
    if w.workflow.generate_data {
        let r = handle.block_on(generate_share(
            w,
            store.clone(),
            o.generate_concurrency,
            ranks,
            cb,
        ))?;
        outcome.generated = Some(r);
        ranks.barrier()?;
    }
    if !w.workflow.train {
        return Ok(outcome);
    }
    let setup = TrainSetup {
        workload: w,
        ranks,
        store: Arc::clone(&store),
        handle: handle.clone(),
        dlio_compat: o.dlio_compat,
        verify: o.verify,
        random_seed,
        on_progress: cb.train,
        checkpoint: checkpointer.as_ref().map(|c| (c, &control)),
        cancel: o.cancel.clone(),
    };
    let report = train(&setup)?;
    let end = timestamp();
    std::fs::create_dir_all(&dir).map_err(|source| ResultsError {
        path: dir.display().to_string(),
        source,
    })?;
    let r = ranks.rank();
    let size_gb = checkpointer
        .as_ref()
        .map_or(0.0, |c| c.plan().checkpoint_size_gb());
    write_json(
        &dir,
        &format!("{r}_per_epoch_stats.json"),
        &dlio::per_epoch_stats(&report, size_gb),
    )?;
    write_json(
        &dir,
        &format!("{r}_output.json"),
        &dlio::output(w, &report, ranks.size()),
    )?;
    let Some(reports) = ranks.gather_json(&report.compact())? else {
        return Ok(outcome);
    };
    let mut summary = summarize(&reports, w.dataset.record_length_bytes, w.metric.au);
    let mut extra = serde_json::Map::new();
    if let Some(c) = &checkpointer {
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
            uri: o.checkpoint.as_ref().map(|s| s.uri.clone()).unwrap_or_default(),
            size_gb,
            bytes_per_checkpoint: c.plan().total_bytes,
            fsync: c.fsyncs(),
            save,
        });
    }
    write_json(
        &dir,
        "summary.json",
        &dlio::summary(w, &summary, &reports, &start, &end, extra),
    )?;
    let yaml = write_dlio_config(&dir, w, &o.overrides)?;
    let mut results = results_header(o, ranks, (&start, &end), &dir, outcome.generated.as_ref(), &yaml);
    results.extend(
        json!({
            "summary": summary,
            "per_rank": reports,
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    );
    let results = serde_json::Value::Object(results);
    write_json(&dir, "results.json", &results)?;
    let host = &reports[0].host;
    let ranks_here = reports
        .iter()
        .filter(|r| r.host.hostname == host.hostname)
        .count();
    let per_host = dlio::data_size_per_host_gib(w, ranks.size(), ranks_here);
    let memory = host.memory_bytes as f64 / (1u64 << 30) as f64;
    if per_host <= memory {
        outcome.warnings.push(format!(
            "the dataset each host reads ({per_host:.2} GiB) fits in its memory ({memory:.1} GiB): after the \
             first epoch reads may be served by the page cache; grow the dataset to measure the storage"
        ));
    }
    outcome.summary = Some(summary);
    outcome.results = Some(results);
    Ok(outcome)
}

/// Writes this rank's share of the dataset into `store` (`concurrency` files at once),
/// telling `cb` how many files that is and when each is written.
pub async fn generate_share(
    w: &Workload,
    store: Arc<dyn mlstor_store::Store>,
    concurrency: usize,
    ranks: &Ranks,
    cb: &Callbacks<'_>,
) -> Result<GenerateReport, GenerateError> {
    generate::check(w)?;
    let total = (w.dataset.num_files_train + w.dataset.num_files_eval) as usize;
    let mine = crate::plan::files::files_for_rank(total, ranks.rank(), ranks.size()).count();
    (cb.generate_start)(mine as u64);
    generate::generate(w, store, ranks.rank(), ranks.size(), concurrency, cb.file_written).await
}

/// Writes `dlio_config/config.yaml` (the resolved workload, secrets masked) and
/// `dlio_config/overrides.yaml` (the overrides as Hydra records them); returns the former.
pub fn write_dlio_config(
    dir: &std::path::Path,
    w: &Workload,
    overrides: &[String],
) -> Result<String, ResultsError> {
    let yaml = config::resolved_yaml(w);
    write_file(dir, "dlio_config/config.yaml", yaml.as_bytes())?;
    let overrides: Vec<String> = overrides.iter().map(|s| hydra_override(s)).collect();
    let overrides_yaml = serde_yaml_ng::to_string(&overrides).unwrap_or_default();
    write_file(dir, "dlio_config/overrides.yaml", overrides_yaml.as_bytes())?;
    Ok(yaml)
}

/// The fields every `results.json` starts with: the mlstor version, the workload and its
/// overrides, ranks and how they met, times, the dataset URI, the results folder, the run's
/// flags, what was generated, and the resolved config (`config_yaml`, secrets masked).
pub fn results_header(
    o: &RunOptions,
    ranks: &Ranks,
    (start, end): (&str, &str),
    dir: &std::path::Path,
    generated: Option<&GenerateReport>,
    config_yaml: &str,
) -> serde_json::Map<String, serde_json::Value> {
    let source = match ranks.source() {
        RankSource::Single => "single",
        RankSource::Mpi => "mpi",
    };
    json!({
        "mlstor_version": env!("CARGO_PKG_VERSION"),
        "workload": o.workload_name,
        "overrides": o.overrides,
        "ranks": ranks.size(),
        "rank_source": source,
        "barrier": ranks.barrier_kind().as_str(),
        "start": start,
        "end": end,
        "data_uri": o.data_uri,
        "results_dir": dir.display().to_string(),
        "dlio_compat": o.dlio_compat,
        "verify": o.verify,
        "generate": generated.map(|g| json!({"files": g.files, "bytes": g.bytes, "seconds": g.seconds})),
        "config": serde_yaml_ng::from_str::<serde_json::Value>(config_yaml).unwrap_or_default(),
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
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
