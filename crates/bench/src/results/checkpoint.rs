//! The checkpoint workflow's figures over all ranks (on rank 0): DLIO's `summary.json`
//! metric keys, computed as DLIO computes them, and mlstor's aggregate view.
//!
//! - DLIO: each rank times each checkpoint from after the barrier to the end of its own I/O
//!   (plus the `rank_sync` barrier) and divides the *whole* checkpoint size (GiB, all ranks)
//!   by that time; `summary.json` reports the mean and (population) standard deviation of
//!   **rank 0's** values: `save_checkpoint_io_mean_GB_per_second`, ...,
//!   `checkpoint_size_GB`. Its "GB" are GiB.
//! - mlstor: a checkpoint is done when its slowest rank is done; the aggregate bandwidth is
//!   all ranks' bytes over that time, in GB/s (10⁹ bytes), next to the per-rank spread and
//!   the part-write (ranged-read) latencies merged over ranks and checkpoints.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::metrics::latency::{Latency, Percentiles};
pub use crate::metrics::stats::MeanStd;
use crate::records::checkpoint::{CheckpointRun, TimedCheckpoint};

/// One checkpoint over all ranks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateCheckpoint {
    pub index: u64,
    pub bytes: u64,
    /// The slowest rank's duration.
    pub seconds: f64,
    pub slowest_rank: usize,
    /// `bytes / seconds`, 10⁹ bytes per second.
    pub gb_per_second: f64,
    /// DLIO's figure for rank 0: checkpoint size (GiB) / rank 0's duration.
    pub dlio_gb_per_second: f64,
}

/// Saves or restores over all ranks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseSummary {
    pub checkpoints: Vec<AggregateCheckpoint>,
    /// DLIO's `*_checkpoint_io_{mean,stdev}_GB_per_second` (rank 0, GiB/s).
    pub dlio_gb_per_second: MeanStd,
    /// DLIO's `*_checkpoint_duration_{mean,stdev}_seconds` (rank 0).
    pub dlio_duration_s: MeanStd,
    /// Aggregate GB/s (10⁹) over the checkpoints.
    pub gb_per_second: MeanStd,
    /// Slowest-rank seconds over the checkpoints.
    pub seconds: MeanStd,
    /// Per-rank GB/s (each rank's bytes over its own time), over ranks and checkpoints.
    pub rank_gb_per_second: MeanStd,
    pub latency: Percentiles,
}

/// The whole workflow over all ranks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointSummary {
    pub ranks: usize,
    pub checkpoint_size_gb: f64,
    pub bytes_per_checkpoint: u64,
    pub fsync: bool,
    pub verify: bool,
    pub save: Option<PhaseSummary>,
    pub restore: Option<PhaseSummary>,
    pub warnings: Vec<String>,
}

/// Saves (or restores) of every rank, `(rank, its checkpoints)` in rank order, rank 0 first:
/// also what checkpointing during training hands over.
pub fn phase_summary(per_rank: &[(usize, &[TimedCheckpoint])], size_gb: f64) -> Option<PhaseSummary> {
    let root = per_rank.first()?.1;
    if root.is_empty() {
        return None;
    }
    let mut checkpoints = Vec::with_capacity(root.len());
    let mut rank_rates = Vec::new();
    let mut hist = Latency::new();
    for (i, r0) in root.iter().enumerate() {
        let (mut bytes, mut seconds, mut slowest) = (0u64, 0.0f64, 0usize);
        for (rank, list) in per_rank {
            let Some(t) = list.get(i) else { continue };
            bytes += t.report.bytes;
            if t.duration_s > seconds {
                (seconds, slowest) = (t.duration_s, *rank);
            }
            if t.report.bytes > 0 {
                rank_rates.push(t.report.bytes as f64 / 1e9 / t.duration_s.max(1e-9));
            }
            hist.merge(&t.report.latency_histogram());
        }
        checkpoints.push(AggregateCheckpoint {
            index: r0.index,
            bytes,
            seconds,
            slowest_rank: slowest,
            gb_per_second: bytes as f64 / 1e9 / seconds.max(1e-9),
            dlio_gb_per_second: size_gb / r0.duration_s.max(1e-9),
        });
    }
    let of = |f: fn(&AggregateCheckpoint) -> f64| MeanStd::of(&checkpoints.iter().map(f).collect::<Vec<_>>());
    let dlio_duration: Vec<f64> = root.iter().map(|t| t.duration_s).collect();
    Some(PhaseSummary {
        dlio_gb_per_second: of(|c| c.dlio_gb_per_second),
        dlio_duration_s: MeanStd::of(&dlio_duration),
        gb_per_second: of(|c| c.gb_per_second),
        seconds: of(|c| c.seconds),
        rank_gb_per_second: MeanStd::of(&rank_rates),
        latency: hist.percentiles(),
        checkpoints,
    })
}

fn phase(
    runs: &[CheckpointRun],
    size_gb: f64,
    pick: fn(&CheckpointRun) -> &[TimedCheckpoint],
) -> Option<PhaseSummary> {
    let per_rank: Vec<(usize, &[TimedCheckpoint])> = runs.iter().map(|r| (r.rank, pick(r))).collect();
    phase_summary(&per_rank, size_gb)
}

/// Combines every rank's run (rank order; rank 0 first).
pub fn summarize(runs: &[CheckpointRun]) -> CheckpointSummary {
    let size_gb = runs.first().map_or(0.0, |r| r.checkpoint_size_gb);
    let mut warnings: Vec<String> = runs.iter().flat_map(|r| r.warnings.clone()).collect();
    warnings.sort();
    warnings.dedup();
    CheckpointSummary {
        ranks: runs.len(),
        checkpoint_size_gb: size_gb,
        bytes_per_checkpoint: runs.iter().map(|r| r.bytes_per_checkpoint).sum(),
        fsync: runs.iter().all(|r| r.fsync),
        verify: runs.iter().all(|r| r.verify),
        save: phase(runs, size_gb, |r| &r.saves),
        restore: phase(runs, size_gb, |r| &r.restores),
        warnings,
    }
}

impl CheckpointSummary {
    /// DLIO's checkpoint keys of `summary.json`'s `metric` (load keys only with restores).
    pub fn dlio_metric(&self) -> Map<String, Value> {
        dlio_metric(self.save.as_ref(), self.restore.as_ref(), self.checkpoint_size_gb)
    }
}

/// DLIO's checkpoint keys of `summary.json`'s `metric`: `save_checkpoint_*` (with saves),
/// `load_checkpoint_*` (with restores) and `checkpoint_size_GB`.
pub fn dlio_metric(
    save: Option<&PhaseSummary>,
    restore: Option<&PhaseSummary>,
    size_gb: f64,
) -> Map<String, Value> {
    let mut m = Map::new();
    for (prefix, p) in [("save", save), ("load", restore)] {
        if let Some(p) = p {
            m.insert(
                format!("{prefix}_checkpoint_io_mean_GB_per_second"),
                json!(p.dlio_gb_per_second.mean),
            );
            m.insert(
                format!("{prefix}_checkpoint_io_stdev_GB_per_second"),
                json!(p.dlio_gb_per_second.stdev),
            );
            m.insert(
                format!("{prefix}_checkpoint_duration_mean_seconds"),
                json!(p.dlio_duration_s.mean),
            );
            m.insert(
                format!("{prefix}_checkpoint_duration_stdev_seconds"),
                json!(p.dlio_duration_s.stdev),
            );
        }
    }
    m.insert("checkpoint_size_GB".into(), json!(size_gb));
    m
}

/// DLIO's per-epoch entry of one checkpoint (`save_ckpt{i}` / `load_ckpt{i}`): start, end,
/// duration and throughput (checkpoint GiB over this rank's duration).
pub fn per_epoch_entry(t: &TimedCheckpoint, size_gb: f64) -> Value {
    json!({
        "start": t.start,
        "end": t.end,
        "duration": t.duration_s,
        "throughput": size_gb / t.duration_s.max(1e-9),
    })
}

/// DLIO's `{rank}_per_epoch_stats.json` entries of the workflow's one epoch:
/// `save_ckpt{i}` / `load_ckpt{i}` with start, end, duration and throughput (GiB/s).
pub fn per_epoch_stats(run: &CheckpointRun) -> Value {
    let mut e = Map::new();
    e.insert("start".into(), json!(run.start));
    for (prefix, list) in [("save_ckpt", &run.saves), ("load_ckpt", &run.restores)] {
        for t in list {
            e.insert(
                format!("{prefix}{}", t.index),
                per_epoch_entry(t, run.checkpoint_size_gb),
            );
        }
    }
    e.insert("end".into(), json!(run.end));
    json!({ "1": Value::Object(e) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::HostInfo;
    use crate::records::checkpoint::{CheckpointReport, Direction};

    fn timed(index: u64, bytes: u64, duration_s: f64, micros: u64) -> TimedCheckpoint {
        let mut h = Latency::new();
        h.record(std::time::Duration::from_micros(micros));
        TimedCheckpoint {
            index,
            start: "s".into(),
            end: "e".into(),
            duration_s,
            report: CheckpointReport {
                direction: Direction::Save,
                checkpoint: format!("global_epoch1_step{index}"),
                epoch: 1,
                step: index,
                rank: 0,
                files_of_rank: 0,
                files: Vec::new(),
                bytes,
                seconds: duration_s,
                gb_per_second: 0.0,
                fsync: true,
                verified: false,
                latency: h.percentiles(),
                latency_counts: h.to_counts(),
            },
        }
    }

    fn run(rank: usize, saves: Vec<TimedCheckpoint>) -> CheckpointRun {
        CheckpointRun {
            rank,
            ranks: 2,
            host: HostInfo::default(),
            cpu_s: 0.0,
            restore_from_rank: rank,
            bytes_per_checkpoint: saves.first().map_or(0, |t| t.report.bytes),
            checkpoint_size_gb: 3.0,
            total_bytes_per_checkpoint: 0,
            fsync: true,
            verify: false,
            saves,
            restores: Vec::new(),
            start: "a".into(),
            end: "b".into(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn summary_dlio_keys_from_rank_0_and_slowest_rank_aggregate() {
        let runs = [
            run(
                0,
                vec![timed(1, 1_000_000_000, 1.0, 10), timed(2, 1_000_000_000, 3.0, 20)],
            ),
            run(
                1,
                vec![timed(1, 3_000_000_000, 2.0, 30), timed(2, 3_000_000_000, 2.0, 40)],
            ),
        ];
        let s = summarize(&runs);
        let save = s.save.as_ref().expect("saves");
        // DLIO: size 3 GiB over rank 0's 1 s and 3 s -> 3 and 1 GiB/s: mean 2, np.std 1.
        assert_eq!(
            save.dlio_gb_per_second,
            MeanStd {
                mean: 2.0,
                stdev: 1.0
            }
        );
        assert_eq!(
            save.dlio_duration_s,
            MeanStd {
                mean: 2.0,
                stdev: 1.0
            }
        );
        // mlstor: 4 GB each, done when the slowest rank is: 2 s then 3 s.
        assert_eq!(save.checkpoints[0].slowest_rank, 1);
        assert_eq!(save.checkpoints[1].slowest_rank, 0);
        assert_eq!(save.checkpoints[0].gb_per_second, 2.0);
        assert!((save.checkpoints[1].gb_per_second - 4.0 / 3.0).abs() < 1e-12);
        assert_eq!(save.latency.count, 4);
        assert!(s.restore.is_none());
        let m = s.dlio_metric();
        assert_eq!(m["save_checkpoint_io_mean_GB_per_second"], json!(2.0));
        assert_eq!(m["checkpoint_size_GB"], json!(3.0));
        assert!(!m.contains_key("load_checkpoint_io_mean_GB_per_second"));
        let e = per_epoch_stats(&runs[0]);
        assert_eq!(e["1"]["save_ckpt2"]["throughput"], json!(1.0));
        assert_eq!(MeanStd::of(&[]), MeanStd::default());
    }
}
