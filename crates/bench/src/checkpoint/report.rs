//! What one checkpoint save or restore of one rank measured: per file and in total, bytes,
//! seconds and GB/s (10⁹ bytes per second), and an HDR histogram of the latencies of the
//! part writes (save) or ranged reads (restore).

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Save or restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Save,
    Restore,
}

/// One file of a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    /// The key under the checkpoint storage's root, e.g. `global_epoch1_step1/..._optim_states.pt`.
    pub key: String,
    pub bytes: u64,
    pub seconds: f64,
    pub gb_per_second: f64,
}

/// Percentiles of a latency histogram, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub count: u64,
    pub min_us: u64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl LatencySummary {
    pub fn of(h: &Histogram<u64>) -> LatencySummary {
        if h.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            count: h.len(),
            min_us: h.min(),
            mean_us: h.mean(),
            p50_us: h.value_at_quantile(0.50),
            p90_us: h.value_at_quantile(0.90),
            p99_us: h.value_at_quantile(0.99),
            max_us: h.max(),
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
    /// Part writes (save) or ranged reads (restore).
    pub latency: LatencySummary,
    /// The latencies themselves as (µs, count) pairs, for merging across checkpoints and ranks.
    pub latency_counts: Vec<(u64, u64)>,
}

impl CheckpointReport {
    /// The latency histogram of this report.
    pub fn histogram(&self) -> Histogram<u64> {
        histogram_of(&self.latency_counts)
    }
}

/// A histogram as (value, count) pairs.
pub fn counts(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    h.iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect()
}

/// The histogram of (value, count) pairs.
pub fn histogram_of(counts: &[(u64, u64)]) -> Histogram<u64> {
    let mut h = latency_histogram();
    for &(v, n) in counts {
        h.saturating_record_n(v.max(1), n);
    }
    h
}

/// A histogram of microsecond latencies from 1 µs to one hour, 3 significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("constant bounds are valid")
}

/// Records `micros` (clamped into the histogram's range).
pub fn record(h: &mut Histogram<u64>, micros: u64) {
    h.saturating_record(micros.max(1));
}

/// `bytes` over `seconds` in GB/s (0 for an instant).
pub fn gb_per_second(bytes: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        bytes as f64 / 1e9 / seconds
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_latency_summary_percentiles() {
        let mut h = latency_histogram();
        for us in 1..=1000 {
            record(&mut h, us);
        }
        let s = LatencySummary::of(&h);
        assert_eq!((s.count, s.min_us, s.max_us), (1000, 1, 1000));
        assert!((s.p50_us as i64 - 500).abs() <= 1, "{s:?}");
        assert!((s.p99_us as i64 - 990).abs() <= 1, "{s:?}");
        assert_eq!(
            LatencySummary::of(&latency_histogram()),
            LatencySummary::default()
        );
        assert_eq!(gb_per_second(2_000_000_000, 2.0), 1.0);
        assert_eq!(gb_per_second(1, 0.0), 0.0);
        let back = histogram_of(&counts(&h));
        assert_eq!(
            LatencySummary::of(&back),
            s,
            "(value, count) pairs keep the histogram"
        );
    }
}
