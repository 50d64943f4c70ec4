//! The run's figures over all ranks, as DLIO's `end_run` combines them (AU averaged over
//! ranks, throughput summed; then mean and population stdev over epochs) plus mlstor's
//! own: the lowest rank's AU, bytes actually read, exact throughput, merged latency
//! histograms.

use serde::{Deserialize, Serialize};

use crate::metrics::latency::{Latency, Percentiles};
pub use crate::metrics::stats::MeanStd;
use crate::records::train::{PhaseReport, RankReport};

/// One phase (training or evaluation) of one epoch over all ranks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseSummary {
    pub steps: u64,
    /// The slowest rank's wall time, seconds.
    pub duration_s: f64,
    /// DLIO's AU: the mean over ranks; and each rank's, and the lowest.
    pub au_percent: f64,
    pub au_min_percent: f64,
    pub au_per_rank: Vec<f64>,
    /// Samples per second summed over ranks: DLIO's formula, and over measured steps.
    pub throughput: f64,
    pub exact_throughput: f64,
    /// DLIO's MB/s: throughput × record_length_bytes / 2^20 (nominal sample size).
    pub dlio_mib_per_s: f64,
    /// Bytes really read from storage, over the slowest rank's duration.
    pub read_mb_per_s: f64,
    pub samples: u64,
    pub bytes_read: u64,
    pub requests: u64,
    /// Mean over ranks, seconds: waiting for data, emulated compute, the rest (barriers).
    pub load_s: f64,
    pub compute_s: f64,
    pub other_s: f64,
    pub read_latency: Percentiles,
    pub batch_wait: Percentiles,
}

/// One epoch over all ranks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochSummary {
    pub epoch: u64,
    pub train: PhaseSummary,
    pub eval: Option<PhaseSummary>,
}

/// The run-level view of one phase kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overall {
    pub au_percent: MeanStd,
    pub au_min_percent: f64,
    pub throughput: MeanStd,
    pub exact_throughput: MeanStd,
    pub dlio_mib_per_s: MeanStd,
    pub read_mb_per_s: MeanStd,
    pub bytes_read: u64,
    pub samples: u64,
    /// `au_percent.mean ≥ 100 · metric.au`.
    pub meets_au: bool,
    pub read_latency: Percentiles,
    pub batch_wait: Percentiles,
}

/// Everything rank 0 reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub ranks: usize,
    pub hosts: usize,
    pub epochs: Vec<EpochSummary>,
    pub train: Option<Overall>,
    pub eval: Option<Overall>,
    /// `metric.au` as a fraction.
    pub au_threshold: f64,
    /// CPU seconds of all ranks together, and per GB read.
    pub cpu_s: f64,
    pub cpu_s_per_gb: f64,
    /// Checkpoints saved during training (`workflow.checkpoint`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<TrainingCheckpoints>,
}

/// The checkpoints saved during training, over all ranks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingCheckpoints {
    pub uri: String,
    /// DLIO's `checkpoint_size_GB` (GiB, all ranks).
    pub size_gb: f64,
    /// Bytes all ranks write per checkpoint.
    pub bytes_per_checkpoint: u64,
    pub fsync: bool,
    pub save: Option<super::checkpoint::PhaseSummary>,
}

fn min_or_zero(v: impl Iterator<Item = f64>) -> f64 {
    v.reduce(f64::min).unwrap_or(0.0)
}

fn phase(phases: &[&PhaseReport], record_length: f64) -> PhaseSummary {
    let n = phases.len().max(1) as f64;
    let au: Vec<f64> = phases.iter().map(|p| p.au_percent).collect();
    let duration = phases.iter().map(|p| p.wall_s).fold(0.0, f64::max);
    let throughput: f64 = phases.iter().map(|p| p.throughput).sum();
    let bytes: u64 = phases.iter().map(|p| p.bytes_read).sum();
    let (mut reads, mut waits) = (Latency::new(), Latency::new());
    for p in phases {
        reads.merge(&p.read_latency());
        waits.merge(&p.batch_wait());
    }
    PhaseSummary {
        steps: phases.first().map_or(0, |p| p.steps),
        duration_s: duration,
        au_percent: au.iter().sum::<f64>() / n,
        au_min_percent: min_or_zero(au.iter().copied()),
        au_per_rank: au,
        throughput,
        exact_throughput: phases.iter().map(|p| p.exact_throughput).sum(),
        dlio_mib_per_s: throughput * record_length / 1024.0 / 1024.0,
        read_mb_per_s: if duration > 0.0 {
            bytes as f64 / duration / 1e6
        } else {
            0.0
        },
        samples: phases.iter().map(|p| p.samples).sum(),
        bytes_read: bytes,
        requests: phases.iter().map(|p| p.requests).sum(),
        load_s: phases.iter().map(|p| p.load_s).sum::<f64>() / n,
        compute_s: phases.iter().map(|p| p.compute_s).sum::<f64>() / n,
        other_s: phases.iter().map(|p| p.other_s).sum::<f64>() / n,
        read_latency: reads.percentiles(),
        batch_wait: waits.percentiles(),
    }
}

/// A training epoch's blocks folded into one phase (DLIO weights block AU by steps).
fn merge_blocks(blocks: &[PhaseReport]) -> Option<PhaseReport> {
    let first = blocks.first()?;
    if blocks.len() == 1 {
        return Some(first.clone());
    }
    let steps: u64 = blocks.iter().map(|b| b.steps).sum();
    let w = |f: fn(&PhaseReport) -> f64| -> f64 {
        blocks.iter().map(|b| f(b) * b.steps as f64).sum::<f64>() / steps.max(1) as f64
    };
    let sum = |f: fn(&PhaseReport) -> f64| -> f64 { blocks.iter().map(f).sum() };
    let mut reads = Latency::new();
    let mut waits = Latency::new();
    for b in blocks {
        reads.merge(&b.read_latency());
        waits.merge(&b.batch_wait());
    }
    Some(PhaseReport {
        start: first.start.clone(),
        end: blocks.last().map_or_else(String::new, |b| b.end.clone()),
        wall_s: sum(|b| b.wall_s),
        steps,
        batch_size: first.batch_size,
        samples: blocks.iter().map(|b| b.samples).sum(),
        au_percent: w(|b| b.au_percent),
        throughput: w(|b| b.throughput),
        exact_throughput: w(|b| b.exact_throughput),
        metric_time_s: sum(|b| b.metric_time_s),
        load_s: sum(|b| b.load_s),
        compute_s: sum(|b| b.compute_s),
        other_s: sum(|b| b.other_s),
        bytes_read: blocks.iter().map(|b| b.bytes_read).sum(),
        requests: blocks.iter().map(|b| b.requests).sum(),
        sample_bytes: blocks.iter().map(|b| b.sample_bytes).sum(),
        read_latency: reads.to_counts(),
        batch_wait: waits.to_counts(),
        arrays: None,
    })
}

fn overall(phases: &[&PhaseSummary], all: &[&PhaseReport], threshold: f64) -> Option<Overall> {
    if phases.is_empty() {
        return None;
    }
    let v = |f: fn(&PhaseSummary) -> f64| MeanStd::of(&phases.iter().map(|p| f(p)).collect::<Vec<_>>());
    let au = v(|p| p.au_percent);
    let (mut reads, mut waits) = (Latency::new(), Latency::new());
    for p in all {
        reads.merge(&p.read_latency());
        waits.merge(&p.batch_wait());
    }
    Some(Overall {
        au_percent: au,
        au_min_percent: min_or_zero(phases.iter().map(|p| p.au_min_percent)),
        throughput: v(|p| p.throughput),
        exact_throughput: v(|p| p.exact_throughput),
        dlio_mib_per_s: v(|p| p.dlio_mib_per_s),
        read_mb_per_s: v(|p| p.read_mb_per_s),
        bytes_read: phases.iter().map(|p| p.bytes_read).sum(),
        samples: phases.iter().map(|p| p.samples).sum(),
        meets_au: au.mean >= threshold * 100.0,
        read_latency: reads.percentiles(),
        batch_wait: waits.percentiles(),
    })
}

/// Combines every rank's report (in rank order).
pub fn summarize(reports: &[RankReport], record_length: f64, au_threshold: f64) -> RunSummary {
    let epochs_n = reports.iter().map(|r| r.epochs.len()).min().unwrap_or(0);
    let mut epochs = Vec::with_capacity(epochs_n);
    let mut all_train = Vec::new();
    let mut all_eval = Vec::new();
    let merged: Vec<Vec<Option<PhaseReport>>> = reports
        .iter()
        .map(|r| r.epochs.iter().map(|e| merge_blocks(&e.blocks)).collect())
        .collect();
    for i in 0..epochs_n {
        let train: Vec<&PhaseReport> = merged.iter().filter_map(|r| r[i].as_ref()).collect();
        let eval: Vec<&PhaseReport> = reports.iter().filter_map(|r| r.epochs[i].eval.as_ref()).collect();
        all_train.extend(train.iter().copied());
        all_eval.extend(eval.iter().copied());
        epochs.push(EpochSummary {
            epoch: reports[0].epochs[i].epoch,
            train: phase(&train, record_length),
            eval: (!eval.is_empty()).then(|| phase(&eval, record_length)),
        });
    }
    let train_phases: Vec<&PhaseSummary> = epochs.iter().map(|e| &e.train).collect();
    let eval_phases: Vec<&PhaseSummary> = epochs.iter().filter_map(|e| e.eval.as_ref()).collect();
    let mut hosts: Vec<&str> = reports.iter().map(|r| r.host.hostname.as_str()).collect();
    hosts.sort();
    hosts.dedup();
    let cpu_s: f64 = reports.iter().map(|r| r.cpu_s).sum();
    let bytes: u64 = epochs
        .iter()
        .map(|e| e.train.bytes_read + e.eval.as_ref().map_or(0, |v| v.bytes_read))
        .sum();
    RunSummary {
        ranks: reports.len(),
        hosts: hosts.len(),
        train: overall(&train_phases, &all_train, au_threshold),
        eval: overall(&eval_phases, &all_eval, au_threshold),
        epochs,
        au_threshold,
        cpu_s,
        cpu_s_per_gb: cpu_s_per_gb(cpu_s, bytes),
        checkpoint: None,
    }
}

/// Client CPU-seconds per GB (10^9 bytes) moved; 0 when nothing moved.
pub fn cpu_s_per_gb(cpu_s: f64, bytes: u64) -> f64 {
    if bytes > 0 {
        cpu_s / (bytes as f64 / 1e9)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::HostInfo;
    use crate::records::train::EpochReport;

    fn phase_report(au: f64, throughput: f64, bytes: u64) -> PhaseReport {
        PhaseReport {
            start: "s".into(),
            end: "e".into(),
            wall_s: 2.0,
            steps: 10,
            batch_size: 4,
            samples: 40,
            au_percent: au,
            throughput,
            exact_throughput: throughput + 1.0,
            metric_time_s: 1.8,
            load_s: 0.2,
            compute_s: 1.6,
            other_s: 0.2,
            bytes_read: bytes,
            requests: 40,
            sample_bytes: bytes,
            read_latency: vec![(1000, 40)],
            batch_wait: vec![(500, 10)],
            arrays: None,
        }
    }

    fn rank(r: usize, au: [f64; 2]) -> RankReport {
        RankReport {
            rank: r,
            host: HostInfo {
                hostname: "h".into(),
                ..HostInfo::default()
            },
            epochs: au
                .iter()
                .enumerate()
                .map(|(i, &a)| EpochReport {
                    epoch: i as u64 + 1,
                    start: String::new(),
                    end: String::new(),
                    duration_s: 2.0,
                    blocks: vec![phase_report(a, 20.0, 1_000_000_000)],
                    eval: None,
                    checkpoints: Vec::new(),
                    host_meminfo: Default::default(),
                })
                .collect(),
            cpu_s: 1.0,
            endpoints: Vec::new(),
        }
    }

    #[test]
    fn ranks_and_epochs_combine_as_dlio() {
        let s = summarize(&[rank(0, [90.0, 96.0]), rank(1, [80.0, 94.0])], 1048576.0, 0.9);
        assert_eq!((s.ranks, s.hosts), (2, 1));
        assert_eq!(s.epochs[0].train.au_percent, 85.0);
        assert_eq!(s.epochs[0].train.au_min_percent, 80.0);
        assert_eq!(s.epochs[0].train.throughput, 40.0, "summed over ranks");
        assert_eq!(s.epochs[0].train.dlio_mib_per_s, 40.0, "1 MiB records");
        assert_eq!(s.epochs[0].train.read_mb_per_s, 1000.0, "2 GB in 2 s");
        let t = s.train.expect("train");
        assert_eq!(
            t.au_percent,
            MeanStd {
                mean: 90.0,
                stdev: 5.0
            }
        );
        assert!(t.meets_au, "90 % mean meets 0.90");
        assert_eq!(t.au_min_percent, 80.0);
        assert_eq!(t.read_latency.count, 160);
        assert!((s.cpu_s_per_gb - 0.5).abs() < 1e-12, "2 CPU s over 4 GB");
    }

    #[test]
    fn blocks_weigh_by_steps() {
        let mut a = phase_report(90.0, 10.0, 10);
        a.steps = 3;
        let mut b = phase_report(50.0, 30.0, 10);
        b.steps = 1;
        let m = merge_blocks(&[a, b]).expect("merged");
        assert_eq!((m.steps, m.au_percent, m.throughput), (4, 80.0, 15.0));
    }
}
