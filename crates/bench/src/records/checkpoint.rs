//! What checkpoints measured: one save or restore of one rank ([`CheckpointReport`]: per
//! file and in total, bytes, seconds and GB/s (10⁹ bytes per second), and the latencies of
//! the part writes (save) or ranged reads (restore) as a histogram ([`Latency`]), from the
//! run's records); the same timed as DLIO times it ([`TimedCheckpoint`]); and a rank's whole
//! checkpoint workflow ([`CheckpointRun`]).

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::host::{HostInfo, timestamp};
use crate::metrics::latency::{Latency, Percentiles};

pub use crate::plan::checkpoint::Direction;

/// One file of a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    /// The key under the checkpoint storage's root, e.g. `global_epoch1_step1/..._optim_states.pt`.
    pub key: String,
    pub bytes: u64,
    pub seconds: f64,
    pub gb_per_second: f64,
}

impl FileReport {
    /// `bytes` of `key` moved since `started`.
    pub fn timed(key: &str, bytes: u64, started: std::time::Instant) -> FileReport {
        let seconds = started.elapsed().as_secs_f64();
        FileReport {
            key: key.to_string(),
            bytes,
            seconds,
            gb_per_second: gb_per_second(bytes, seconds),
        }
    }
}

/// One checkpoint saved or restored by one rank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointReport {
    pub direction: Direction,
    /// The checkpoint's folder, `global_epoch{E}_step{S}`.
    pub checkpoint: String,
    pub epoch: u64,
    pub step: u64,
    pub rank: usize,
    /// The rank whose files were read (differs from `rank` with `recovery_rank_shift`).
    pub files_of_rank: usize,
    pub files: Vec<FileReport>,
    pub bytes: u64,
    /// Wall time of the whole save or restore of this rank.
    pub seconds: f64,
    pub gb_per_second: f64,
    /// Whether every file (and its directory entry) was fsynced before becoming visible.
    pub fsync: bool,
    /// Whether every byte read back was checked against what was written.
    pub verified: bool,
    /// Part writes (save: how long each write call took; writers that keep parts in flight,
    /// direct:// and object stores, return once the part is under way, so this is the time
    /// the storage made the writer wait) or ranged reads (restore).
    pub latency: Percentiles,
    /// The latencies themselves as (µs, count) pairs, for merging across checkpoints and ranks.
    pub latency_counts: Vec<(u64, u64)>,
}

impl CheckpointReport {
    /// The latency histogram of this report.
    pub fn latency_histogram(&self) -> Latency {
        Latency::from_counts(&self.latency_counts)
    }
}

/// `bytes` over `seconds` in GB/s (0 for an instant).
pub fn gb_per_second(bytes: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        bytes as f64 / 1e9 / seconds
    } else {
        0.0
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_rates() {
        assert_eq!(gb_per_second(2_000_000_000, 2.0), 1.0);
        assert_eq!(gb_per_second(1, 0.0), 0.0);
    }
}
