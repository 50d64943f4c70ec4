//! The one executor: runs any [`Plan`] on this rank, the same on every rank. It generates
//! the dataset (`workflow.generate_data`), trains and evaluates, saving checkpoints when the
//! plan says ([`train`]), or runs the standalone checkpoint workflow
//! ([`checkpoint::workflow`]); every storage request of the run is a record of the rank's
//! [`Recorder`] (and of the op-log, when asked); finally the ranks' records go to rank 0,
//! which writes the results folder ([`crate::results::write`]).
//!
//! One cancellation token stops everything (Ctrl-C): training at its next step, a save at
//! its next piece, leaving nothing partial behind. The caller ends the other ranks when
//! this one fails ([`Ranks::abort`]).
//!
//! Also here: [`load`], the object load generator behind `mlstor bench`.

pub mod checkpoint;
pub mod compute;
pub mod generate;
pub mod load;
pub mod loader;
pub mod parquet;
pub mod train;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use mlstor_store::{StoreOptions, store_for_uri};
use serde_json::{Value, json};
use tokio::runtime::Handle;

use crate::host::timestamp;
use crate::plan::{Plan, PlanError};
use crate::ranks::{Ranks, RanksError};
use crate::records::checkpoint::TimedCheckpoint;
use crate::records::oplog::rank_path;
use crate::records::{GenerateReport, Recorder, RecordsError, Tag};
use crate::results::results_dir;
use crate::results::write::{self, CheckpointInfo, RunInfo, Summary, WriteError};
use checkpoint::space::{check_free_space, local_ranks};
use checkpoint::{CheckpointError, CheckpointOptions, Checkpointer, Control};
use generate::GenerateError;
use train::{Progress, TrainError, TrainSetup};

/// Errors of a run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Store(#[from] mlstor_store::Error),
    #[error("generating the dataset")]
    Generate(#[from] GenerateError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Ranks(#[from] RanksError),
    #[error(transparent)]
    Results(#[from] WriteError),
    #[error("checkpointing into {uri}")]
    Checkpoint {
        uri: String,
        #[source]
        source: CheckpointError,
    },
    #[error(transparent)]
    Records(#[from] RecordsError),
}

/// Where the checkpoints go, and how they move bytes.
#[derive(Debug, Clone)]
pub struct CheckpointSetup {
    /// The checkpoints' root URI and its store options (independent of the dataset's).
    pub uri: String,
    pub store: StoreOptions,
    pub options: CheckpointOptions,
}

/// How to run a plan, beyond the plan itself.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The workload as named on the command line (file or shipped name), and its overrides.
    pub workload_name: String,
    pub overrides: Vec<String>,
    /// `--results-dir`, and the folder relative paths are under.
    pub results_dir: Option<PathBuf>,
    pub cwd: PathBuf,
    /// Check every sample read against what the generator wrote.
    pub verify: bool,
    /// The dataset's root URI and store options.
    pub data_uri: String,
    pub data_store: StoreOptions,
    /// The checkpoint storage (needed when the plan has checkpoints).
    pub checkpoint: Option<CheckpointSetup>,
    /// Files each rank writes at once when generating.
    pub generate_concurrency: usize,
    /// Write every storage request to this op-log (per rank: [`rank_path`]).
    pub op_log: Option<PathBuf>,
    /// Cancellation (Ctrl-C) of the whole run, and the progress of checkpoint bytes.
    pub control: Control,
}

/// What the caller hears while the run goes (progress bars, lines).
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// Generation starts: the files this rank writes; then each written file's bytes.
    GenerateStart(u64),
    FileWritten(u64),
    Train(Progress),
    /// A standalone checkpoint operation finished.
    Checkpoint(&'a TimedCheckpoint),
}

/// What a run produced on this rank.
#[derive(Debug)]
pub struct Outcome {
    /// The results folder (nothing is written there by a plan that only generates).
    pub results_dir: PathBuf,
    pub generated: Option<GenerateReport>,
    /// Rank 0 of a run that wrote results: the figures over all ranks and results.json.
    pub written: Option<write::Written>,
    /// The op-log this rank wrote and its record count.
    pub op_log: Option<(PathBuf, u64)>,
    /// This rank's requests per endpoint (every store of the run).
    pub endpoints: Vec<crate::records::EndpointReport>,
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

/// The options of a store, as results record them: what shapes its requests, no secrets.
pub fn storage_json(uri: &str, o: &StoreOptions) -> Value {
    json!({
        "uri": uri,
        "endpoint": o.endpoint,
        "endpoints": o.endpoints,
        "load_balance": format!("{:?}", o.load_balance),
        "pin_to_rank": o.pin_to_rank,
        "rank": o.rank,
        "region": o.region,
        "part_size": o.part_size,
        "part_concurrency": o.part_concurrency,
        "max_attempts": o.retry.max_attempts,
        "connect_timeout_s": o.connect_timeout.as_secs_f64(),
        "idle_timeout_s": o.idle_timeout.as_secs_f64(),
    })
}

/// Runs `plan` on this rank.
pub fn run(
    plan: &Plan,
    o: &RunOptions,
    ranks: &Ranks,
    handle: &Handle,
    on_event: &(dyn Fn(Event) + Sync),
) -> Result<Outcome, RunError> {
    let w = &plan.workload;
    if plan.generate_files.is_some() {
        generate::check(w)?;
    }
    let start = timestamp();
    let t0 = Instant::now();
    let (stamp, random_seed) = run_identity(ranks)?;
    let dir = results_dir(
        o.results_dir.as_deref(),
        w.output.folder.as_deref(),
        &o.workload_name,
        &stamp,
        &o.cwd,
    );
    let mut recorder = Recorder::new();
    let log_path = o
        .op_log
        .as_ref()
        .map(|p| rank_path(&o.cwd.join(p), ranks.rank(), ranks.size()));
    if let Some(p) = &log_path {
        recorder = recorder.with_log(p, ranks.rank(), t0)?;
    }
    let recorder = Arc::new(recorder);
    let metered = |s: &StoreOptions| StoreOptions {
        sink: Some(recorder.clone()),
        ..s.clone()
    };
    let store = store_for_uri(&o.data_uri, &metered(&o.data_store))?;
    let checkpointer = match (&plan.checkpoint, &o.checkpoint) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(
                PlanError::NotSupported("workflow.checkpoint needs a checkpoint storage".into()).into(),
            );
        }
        (Some(_), Some(c)) => {
            let ck_err = |source| RunError::Checkpoint {
                uri: c.uri.clone(),
                source,
            };
            let ck_store = store_for_uri(&c.uri, &metered(&c.store))?;
            let ckpt = Checkpointer::new(ck_store, plan, ranks.rank(), c.options).map_err(ck_err)?;
            check_free_space(ckpt.store().root(), ckpt.bytes() * plan.saves() * local_ranks())
                .map_err(ck_err)?;
            Some((ckpt, c))
        }
    };
    let mut outcome = Outcome {
        results_dir: dir.clone(),
        generated: None,
        written: None,
        op_log: None,
        endpoints: Vec::new(),
    };
    if let Some(n) = plan.generate_files {
        let mine = crate::plan::files::files_for_rank(n as usize, ranks.rank(), ranks.size()).count();
        on_event(Event::GenerateStart(mine as u64));
        let on_file = |bytes: u64| on_event(Event::FileWritten(bytes));
        let generating = generate::generate(
            w,
            store.clone(),
            ranks.rank(),
            ranks.size(),
            o.generate_concurrency,
            &on_file,
        );
        // Cancelled: the files in flight are dropped (their temporary files removed, their
        // uploads never completed); the ones written are whole.
        let cancel = o.control.cancel.clone();
        let generating = async move {
            tokio::select! {
                r = generating => r,
                () = cancel.cancelled() => Err(GenerateError::Cancelled),
            }
        };
        outcome.generated = Some(handle.block_on(Tag::Generate.scope(generating))?);
        ranks.barrier()?;
    }
    let control = o.control.clone().with_recorder(recorder.clone());
    let info = |generated: Option<GenerateReport>| RunInfo {
        workload_name: o.workload_name.clone(),
        overrides: o.overrides.clone(),
        rank_source: ranks.source().as_str(),
        barrier: ranks.barrier_kind().as_str(),
        start: start.clone(),
        end: timestamp(),
        data_uri: o.data_uri.clone(),
        dlio_compat: plan.dlio_compat,
        verify: o.verify,
        generated,
        storage: json!({
            "data": storage_json(&o.data_uri, &o.data_store),
            "checkpoint": o.checkpoint.as_ref().map(|c| storage_json(&c.uri, &c.store)),
        }),
    };
    if plan.train.is_some() {
        let ckpt = checkpointer.as_ref().map(|(c, _)| c);
        if let Some(c) = ckpt {
            handle
                .block_on(c.prepare())
                .map_err(|source| RunError::Checkpoint {
                    uri: c.store().root().to_string(),
                    source,
                })?;
        }
        let on_progress = |p: Progress| on_event(Event::Train(p));
        let setup = TrainSetup {
            plan,
            ranks,
            store: store.clone(),
            handle: handle.clone(),
            verify: o.verify,
            random_seed,
            on_progress: &on_progress,
            checkpoint: ckpt.map(|c| (c, &control)),
            cancel: control.cancel.clone(),
            recorder: recorder.clone(),
            report_endpoints: !o.data_store.endpoints.is_empty(),
        };
        let report = train::train(&setup)?;
        let ck_info = checkpointer
            .as_ref()
            .zip(plan.checkpoint.as_ref())
            .map(|((c, s), sched)| CheckpointInfo {
                uri: s.uri.clone(),
                size_gb: sched.layout.checkpoint_size_gb(),
                bytes_per_checkpoint: sched.layout.total_bytes,
                fsync: c.fsyncs(),
            });
        outcome.written = write::training(
            &dir,
            w,
            &info(outcome.generated.clone()),
            ranks,
            &report,
            ck_info.as_ref(),
        )?;
    } else if let Some((ckpt, setup)) = checkpointer {
        let ck_err = |source| RunError::Checkpoint {
            uri: setup.uri.clone(),
            source,
        };
        if plan.saves() > 0 {
            handle.block_on(ckpt.prepare()).map_err(ck_err)?; // DLIO makes its tensors first
        }
        let on_checkpoint = |t: &TimedCheckpoint| on_event(Event::Checkpoint(t));
        let run =
            checkpoint::workflow::run(plan, ckpt, ranks, handle, &control, &on_checkpoint).map_err(ck_err)?;
        outcome.written =
            write::checkpoint(&dir, w, &info(outcome.generated.clone()), ranks, &run, &setup.uri)?;
    }
    if let Some(p) = log_path {
        outcome.op_log = recorder.finish()?.map(|n| (p, n));
    }
    outcome.endpoints = recorder.endpoints();
    Ok(outcome)
}

impl Outcome {
    /// Rank 0's summary of the run, when results were written.
    pub fn summary(&self) -> Option<&Summary> {
        self.written.as_ref().map(|w| &w.summary)
    }
}
