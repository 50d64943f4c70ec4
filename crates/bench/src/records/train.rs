//! What one training rank measured: per epoch, its training blocks and evaluation, with
//! DLIO's metrics and mlstor's own (bytes, requests, latency histograms from the run's
//! records).

use serde::{Deserialize, Serialize};

use super::EndpointReport;
use super::checkpoint::TimedCheckpoint;
use crate::host::HostInfo;
use crate::metrics::au::BlockMetrics;
use crate::metrics::latency::Latency;

/// The timings of a phase's steps (DLIO's `load`, `proc`, `compute` arrays), in seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepArrays {
    pub load: Vec<f64>,
    pub proc: Vec<f64>,
    pub compute: Vec<f64>,
    /// mlstor: the barrier after each step (waiting for the other ranks).
    #[serde(default)]
    pub barrier: Vec<f64>,
}

/// A run of training steps between checkpoints (the whole epoch without them), or an
/// evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseReport {
    /// DLIO's local-time timestamps.
    pub start: String,
    pub end: String,
    /// Wall time from the phase's start to its end, seconds.
    pub wall_s: f64,
    pub steps: u64,
    pub batch_size: u64,
    /// Samples read (padding excluded).
    pub samples: u64,
    /// DLIO's metrics.
    pub au_percent: f64,
    /// Samples per second, DLIO's formula.
    pub throughput: f64,
    /// Samples per second over the measured steps.
    pub exact_throughput: f64,
    /// The time DLIO divides by (wall minus the excluded steps).
    pub metric_time_s: f64,
    /// Time waiting for batches, emulated compute, and in between (barriers), seconds.
    pub load_s: f64,
    pub compute_s: f64,
    pub other_s: f64,
    /// Storage: bytes and requests, and decoded sample bytes.
    pub bytes_read: u64,
    pub requests: u64,
    pub sample_bytes: u64,
    /// Latency histograms as (µs, count) pairs: storage requests, and batch waits.
    pub read_latency: Vec<(u64, u64)>,
    pub batch_wait: Vec<(u64, u64)>,
    /// Per-step timings; kept on the rank (its `{rank}_output.json`), not sent to rank 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrays: Option<StepArrays>,
}

impl PhaseReport {
    pub fn metrics(&self) -> BlockMetrics {
        BlockMetrics {
            au_percent: self.au_percent,
            throughput: self.throughput,
            exact_throughput: self.exact_throughput,
            total_time: self.metric_time_s,
        }
    }

    pub fn read_latency(&self) -> Latency {
        Latency::from_counts(&self.read_latency)
    }

    pub fn batch_wait(&self) -> Latency {
        Latency::from_counts(&self.batch_wait)
    }
}

/// One epoch of one rank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    pub epoch: u64,
    pub start: String,
    pub end: String,
    pub duration_s: f64,
    /// Training blocks (one per checkpoint interval; one without checkpoints).
    pub blocks: Vec<PhaseReport>,
    pub eval: Option<PhaseReport>,
    /// Checkpoints saved during the epoch (DLIO's `save_ckpt{block}`).
    #[serde(default)]
    pub checkpoints: Vec<TimedCheckpoint>,
    /// `/proc/meminfo` at the epoch's end, as DLIO records it in `{rank}_output.json`
    /// (this rank's file only: not gathered).
    #[serde(skip)]
    pub host_meminfo: serde_json::Map<String, serde_json::Value>,
}

impl EpochReport {
    /// DLIO's epoch AU and throughput: the blocks' weighted by their steps.
    pub fn au_and_throughput(&self) -> (f64, f64) {
        let b: Vec<(BlockMetrics, usize)> = self
            .blocks
            .iter()
            .map(|p| (p.metrics(), p.steps as usize))
            .collect();
        crate::metrics::au::epoch_metrics(&b)
    }

    pub fn exact_throughput(&self) -> f64 {
        let steps: u64 = self.blocks.iter().map(|b| b.steps).sum();
        if steps == 0 {
            return 0.0;
        }
        self.blocks
            .iter()
            .map(|b| b.exact_throughput * b.steps as f64)
            .sum::<f64>()
            / steps as f64
    }

    pub fn train_sum(&self, f: impl Fn(&PhaseReport) -> f64) -> f64 {
        self.blocks.iter().map(f).sum()
    }
}

/// Everything one rank measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankReport {
    pub rank: usize,
    pub host: HostInfo,
    pub epochs: Vec<EpochReport>,
    /// CPU seconds this process used (user + system), for CPU per GB.
    pub cpu_s: f64,
    /// Requests and bytes per endpoint of a multi-endpoint store (empty otherwise).
    #[serde(default)]
    pub endpoints: Vec<EndpointReport>,
}

impl RankReport {
    /// The report without per-step arrays (what rank 0 gathers).
    pub fn compact(&self) -> RankReport {
        let mut r = self.clone();
        for e in &mut r.epochs {
            for p in e.blocks.iter_mut().chain(e.eval.iter_mut()) {
                p.arrays = None;
            }
        }
        r
    }
}
