//! The standalone checkpoint workflow (`workflow.train: False`, `workflow.checkpoint: True`:
//! MLPerf Storage's llama3 workloads), as DLIO's `_checkpoint` runs it on every rank:
//!
//! 1. `num_checkpoints_write` times: emulate `time_between_checkpoints` of compute, wait at a
//!    barrier (DLIO's all-reduce before a checkpoint), save checkpoint `global_epoch1_step{i}`,
//!    with `rank_sync` wait at a barrier again (counted in the checkpoint's duration);
//! 2. check that `num_checkpoints_read` checkpoints exist;
//! 3. `num_checkpoints_read` times the same with restores of `global_epoch1_step{i}`; with
//!    `recovery_rank_shift` on several nodes, rank `r` reads the files of rank
//!    `(r + ranks per node) mod ranks`, so no node reads what it wrote itself.
//!
//! Each rank returns its [`CheckpointRun`]; [`summary`](super::summary) combines them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mlstor_store::{ListEntry, ListMode, Store, StoreExt};
use serde::{Deserialize, Serialize};

use super::CheckpointError;
use super::engine::{CheckpointOptions, Checkpointer, Control};
use super::report::CheckpointReport;
use crate::config::Workload;
use crate::host::HostInfo;
use crate::ranks::Ranks;
use crate::train::timestamp;

/// One save or restore as DLIO times it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedCheckpoint {
    /// DLIO's block number: `save_ckpt{index}` / `load_ckpt{index}`, step `index` of epoch 1.
    pub index: u64,
    /// DLIO's local-time timestamps around the operation.
    pub start: String,
    pub end: String,
    /// From after the barrier to the end of this rank's I/O (and of the `rank_sync` barrier).
    pub duration_s: f64,
    pub report: CheckpointReport,
}

impl TimedCheckpoint {
    /// Runs `op` (one save or restore, with whatever must count in its duration), timed as
    /// DLIO times it: timestamps around it and its wall-clock duration.
    pub async fn measure<E>(
        index: u64,
        op: impl std::future::Future<Output = Result<CheckpointReport, E>>,
    ) -> Result<TimedCheckpoint, E> {
        let start = timestamp();
        let t0 = Instant::now();
        let report = op.await?;
        Ok(TimedCheckpoint {
            index,
            start,
            end: timestamp(),
            duration_s: t0.elapsed().as_secs_f64(),
            report,
        })
    }
}

/// What one rank did in the checkpoint workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRun {
    pub rank: usize,
    pub ranks: usize,
    pub host: HostInfo,
    /// CPU seconds this process used (user + system), for CPU per GB.
    pub cpu_s: f64,
    /// The rank whose files this rank restored (itself unless `recovery_rank_shift` applied).
    pub restore_from_rank: usize,
    /// Bytes this rank writes per checkpoint.
    pub bytes_per_checkpoint: u64,
    /// DLIO's `checkpoint_size_GB` (GiB, all ranks).
    pub checkpoint_size_gb: f64,
    /// Bytes all ranks write per checkpoint.
    pub total_bytes_per_checkpoint: u64,
    pub fsync: bool,
    pub verify: bool,
    pub saves: Vec<TimedCheckpoint>,
    pub restores: Vec<TimedCheckpoint>,
    /// The workflow's start and end (DLIO's epoch 1).
    pub start: String,
    pub end: String,
    /// Things the user should know (printed by rank 0).
    pub warnings: Vec<String>,
}

/// Called after each checkpoint of this rank (progress lines, bars).
pub type OnCheckpoint<'a> = &'a (dyn Fn(&TimedCheckpoint) + Send + Sync);

/// The emulated compute between checkpoints: DLIO sleeps `|time_between_checkpoints|` (so its
/// default, −1, is one second); mlstor treats a negative value as none, unless `dlio_compat`.
pub fn time_between(w: &Workload, dlio_compat: bool) -> Duration {
    let t = w.checkpoint.time_between_checkpoints;
    let t = if dlio_compat { t.abs() } else { t.max(0.0) };
    Duration::try_from_secs_f64(t).unwrap_or(Duration::ZERO)
}

/// The rank whose files `rank` restores: with `recovery_rank_shift` (not under `dlio_compat`,
/// where DLIO's key typo disables it) and more than one node, the same rank on the next node.
pub fn restore_source(rank: usize, hosts: &[String], shift: bool) -> (usize, Option<String>) {
    let size = hosts.len();
    if !shift || size == 0 {
        return (rank, None);
    }
    let mine = &hosts[rank.min(size - 1)];
    let per_node = hosts.iter().filter(|h| *h == mine).count().max(1);
    let nodes = size.div_ceil(per_node);
    if nodes < 2 {
        let why = "checkpoint.recovery_rank_shift does not apply: this run is on a single node".to_string();
        return (rank, Some(why));
    }
    ((rank + per_node) % size, None)
}

/// Every rank's hostname, in rank order, on every rank.
async fn all_hostnames(ranks: &Arc<Ranks>, me: String) -> Result<Vec<String>, CheckpointError> {
    if ranks.size() == 1 {
        return Ok(vec![me]);
    }
    let r = ranks.clone();
    tokio::task::spawn_blocking(move || {
        let gathered = r.gather(me.into_bytes())?;
        let joined = gathered.map(|v| {
            v.into_iter()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .collect::<Vec<_>>()
                .join("\n")
        });
        let all = r.broadcast(joined.unwrap_or_default().into_bytes())?;
        Ok(String::from_utf8_lossy(&all)
            .lines()
            .map(str::to_string)
            .collect())
    })
    .await?
}

async fn barrier(ranks: &Arc<Ranks>) -> Result<(), CheckpointError> {
    if ranks.size() == 1 {
        return Ok(());
    }
    let r = ranks.clone();
    tokio::task::spawn_blocking(move || r.barrier()).await??;
    Ok(())
}

/// Sleeps `d`, or less when `ctl` is cancelled.
async fn compute(d: Duration, ctl: &Control) -> Result<(), CheckpointError> {
    if d.is_zero() {
        return Ok(());
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => Ok(()),
        _ = ctl.cancel.cancelled() => Err(CheckpointError::Cancelled("the checkpoint workflow".into())),
    }
}

/// The checkpoints (`global_epoch*_step*` folders) under the checkpoint root.
async fn existing_checkpoints(store: &dyn Store) -> Result<usize, CheckpointError> {
    let entries = store.list_all("", ListMode::Delimited).await?;
    Ok(entries
        .iter()
        .filter(|e| matches!(e, ListEntry::Prefix(p) if p.starts_with("global_epoch")))
        .count())
}

/// Runs the checkpoint workflow of this rank on `store` (rooted at the checkpoint folder).
pub async fn run(
    w: &Workload,
    store: Arc<dyn Store>,
    ranks: &Arc<Ranks>,
    opts: CheckpointOptions,
    ctl: &Control,
    on_checkpoint: OnCheckpoint<'_>,
) -> Result<CheckpointRun, CheckpointError> {
    let (rank, size) = (ranks.rank(), ranks.size());
    let mut ckpt = Checkpointer::new(store.clone(), w, rank, size, opts)?;
    let c = &w.checkpoint;
    let host = HostInfo::current();
    let hosts = all_hostnames(ranks, host.hostname.clone()).await?;
    let shift = c.recovery_rank_shift && !opts.dlio_compat;
    let (source, warning) = restore_source(rank, &hosts, shift);
    if source != rank {
        ckpt = ckpt.restoring_rank(source)?;
    }
    let mut run = CheckpointRun {
        rank,
        ranks: size,
        host,
        cpu_s: 0.0,
        restore_from_rank: source,
        bytes_per_checkpoint: ckpt.bytes(),
        checkpoint_size_gb: ckpt.plan().checkpoint_size_gb(),
        total_bytes_per_checkpoint: ckpt.plan().total_bytes,
        fsync: ckpt.fsyncs(),
        verify: opts.verify,
        saves: Vec::new(),
        restores: Vec::new(),
        start: timestamp(),
        end: String::new(),
        warnings: warning.into_iter().collect(),
    };
    let pause = time_between(w, opts.dlio_compat);
    let writes = u64::try_from(c.num_checkpoints_write).unwrap_or(0);
    let reads = u64::try_from(c.num_checkpoints_read).unwrap_or(0);
    super::space::check_free_space(store.root(), ckpt.bytes() * writes * super::space::local_ranks())?;
    if writes > 0 {
        ckpt.prepare().await?; // DLIO makes its tensors before the first checkpoint
    }
    for i in 1..=writes {
        let t = timed(ranks, i, pause, c.rank_sync, ctl, ckpt.save(1, i, ctl)).await?;
        on_checkpoint(&t);
        run.saves.push(t);
    }
    if reads > 0 {
        let found = existing_checkpoints(store.as_ref()).await?;
        if (found as u64) < reads {
            return Err(CheckpointError::NotEnoughCheckpoints {
                uri: store.root().to_string(),
                wanted: reads,
                found: found as u64,
            });
        }
    }
    for i in 1..=reads {
        let t = timed(ranks, i, pause, c.rank_sync, ctl, ckpt.restore(1, i, ctl)).await?;
        on_checkpoint(&t);
        run.restores.push(t);
    }
    run.end = timestamp();
    run.cpu_s = crate::host::cpu_seconds();
    Ok(run)
}

/// Compute, barrier, then `op` timed as DLIO times it.
async fn timed(
    ranks: &Arc<Ranks>,
    index: u64,
    pause: Duration,
    rank_sync: bool,
    ctl: &Control,
    op: impl std::future::Future<Output = Result<CheckpointReport, CheckpointError>>,
) -> Result<TimedCheckpoint, CheckpointError> {
    compute(pause, ctl).await?;
    barrier(ranks).await?;
    TimedCheckpoint::measure(index, async {
        let report = op.await?;
        if rank_sync {
            barrier(ranks).await?;
        }
        Ok(report)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_rank_shift_needs_two_nodes() {
        let one: Vec<String> = vec!["a".into(); 4];
        let (src, why) = restore_source(1, &one, true);
        assert_eq!(src, 1);
        assert!(why.is_some_and(|w| w.contains("single node")));
        let two: Vec<String> = ["a", "a", "b", "b"].iter().map(|s| s.to_string()).collect();
        assert_eq!(restore_source(0, &two, true), (2, None));
        assert_eq!(restore_source(3, &two, true), (1, None));
        assert_eq!(restore_source(3, &two, false), (3, None));
    }

    #[test]
    fn workflow_time_between_checkpoints() {
        let mut w = Workload::default();
        assert_eq!(time_between(&w, false), Duration::ZERO, "default -1: no wait");
        assert_eq!(
            time_between(&w, true),
            Duration::from_secs(1),
            "DLIO sleeps |-1| s"
        );
        w.checkpoint.time_between_checkpoints = 0.25;
        assert_eq!(time_between(&w, false), Duration::from_millis(250));
    }
}
