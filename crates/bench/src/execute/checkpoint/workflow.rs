//! The standalone checkpoint workflow (`workflow.train: False`, `workflow.checkpoint: True`:
//! MLPerf Storage's llama3 workloads), as DLIO's `_checkpoint` runs it on every rank, for
//! the plan's operations (its saves, then its restores):
//!
//! 1. each save: emulate `time_between_checkpoints` of compute, wait at a barrier (DLIO's
//!    all-reduce before a checkpoint), save checkpoint `global_epoch1_step{i}`, with
//!    `rank_sync` wait at a barrier again (counted in the checkpoint's duration);
//! 2. check that the checkpoints to restore exist;
//! 3. each restore the same; with `recovery_rank_shift` on several nodes, rank `r` reads the
//!    files of rank `(r + ranks per node) mod ranks`, so no node reads what it wrote itself.
//!
//! Runs on a blocking thread (barriers wait there); the I/O runs on the runtime of `handle`.
//! Each rank returns its [`CheckpointRun`]; the results combine them.

use std::time::Duration;

use mlstor_store::{ListEntry, ListMode, Store, StoreExt};
use tokio::runtime::Handle;

use super::engine::{Checkpointer, Control};
use super::error::CheckpointError;
use crate::host::{HostInfo, cpu_seconds, timestamp};
use crate::plan::{Direction, Plan};
use crate::ranks::Ranks;
use crate::records::checkpoint::{CheckpointRun, TimedCheckpoint};

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
fn all_hostnames(ranks: &Ranks, me: String) -> Result<Vec<String>, CheckpointError> {
    if ranks.size() == 1 {
        return Ok(vec![me]);
    }
    let gathered = ranks.gather(me.into_bytes())?;
    let joined = gathered.map(|v| {
        v.into_iter()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    });
    let all = ranks.broadcast(joined.unwrap_or_default().into_bytes())?;
    Ok(String::from_utf8_lossy(&all)
        .lines()
        .map(str::to_string)
        .collect())
}

/// Sleeps `d`, or less when `ctl` is cancelled.
fn compute(handle: &Handle, d: Duration, ctl: &Control) -> Result<(), CheckpointError> {
    if d.is_zero() {
        return Ok(());
    }
    handle.block_on(async {
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = ctl.cancel.cancelled() => Err(CheckpointError::Cancelled("the checkpoint workflow".into())),
        }
    })
}

/// The checkpoints (`global_epoch*_step*` folders) under the checkpoint root.
async fn existing_checkpoints(store: &dyn Store) -> Result<usize, CheckpointError> {
    let entries = store.list_all("", ListMode::Delimited).await?;
    Ok(entries
        .iter()
        .filter(|e| matches!(e, ListEntry::Prefix(p) if p.starts_with("global_epoch")))
        .count())
}

/// Runs the plan's checkpoint operations on this rank with `ckpt` (the rank's checkpointer
/// on the checkpoint storage); `on_checkpoint` hears of each one done.
pub fn run(
    plan: &Plan,
    ckpt: Checkpointer,
    ranks: &Ranks,
    handle: &Handle,
    ctl: &Control,
    on_checkpoint: &(dyn Fn(&TimedCheckpoint) + Sync),
) -> Result<CheckpointRun, CheckpointError> {
    let (rank, size) = (ranks.rank(), ranks.size());
    let Some(schedule) = &plan.checkpoint else {
        return Err(CheckpointError::Options("the plan has no checkpoints".into()));
    };
    let c = &plan.workload.checkpoint;
    let host = HostInfo::current();
    let hosts = all_hostnames(ranks, host.hostname.clone())?;
    let shift = c.recovery_rank_shift && !plan.dlio_compat;
    let (source, warning) = restore_source(rank, &hosts, shift);
    let ckpt = if source != rank {
        ckpt.restoring_rank(source)?
    } else {
        ckpt
    };
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
        verify: ckpt.verifies(),
        saves: Vec::new(),
        restores: Vec::new(),
        start: timestamp(),
        end: String::new(),
        warnings: warning.into_iter().collect(),
    };
    let restores = schedule
        .ops
        .iter()
        .filter(|o| o.direction == Direction::Restore)
        .count() as u64;
    let mut checked = false;
    for op in &schedule.ops {
        if op.direction == Direction::Restore && !checked {
            checked = true;
            let found = handle.block_on(existing_checkpoints(ckpt.store().as_ref()))? as u64;
            if found < restores {
                return Err(CheckpointError::NotEnoughCheckpoints {
                    uri: ckpt.store().root().to_string(),
                    wanted: restores,
                    found,
                });
            }
        }
        compute(handle, schedule.pause, ctl)?;
        ranks.barrier()?;
        let t = handle.block_on(TimedCheckpoint::measure(op.index, async {
            let report = match op.direction {
                Direction::Save => ckpt.save(op.epoch, op.step, ctl).await?,
                Direction::Restore => ckpt.restore(op.epoch, op.step, ctl).await?,
            };
            if c.rank_sync {
                ranks.barrier()?;
            }
            Ok::<_, CheckpointError>(report)
        }))?;
        on_checkpoint(&t);
        match op.direction {
            Direction::Save => run.saves.push(t),
            Direction::Restore => run.restores.push(t),
        }
    }
    run.end = timestamp();
    run.cpu_s = cpu_seconds();
    Ok(run)
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
}
