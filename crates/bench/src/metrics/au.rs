//! Accelerator utilisation (AU) and throughput of a block of training steps, as DLIO's
//! `StatsCounter.compute_metrics_train` computes them (DLIO 3.0.2, MLPerf Storage v3.0's; and
//! branch mlperf_storage_v2.0 where it differs):
//!
//! - steps `[exclude_start ..= planned_steps - 1 - exclude_end]` count; `compute` is the
//!   emulated accelerator time of a step, `proc` the whole step (wait for data + compute);
//! - `total_time = block wall time − Σ proc of the excluded first steps − Σ proc of the
//!   excluded last steps`;
//! - `AU % = 100 · Σ compute(counted) / total_time` (0 when no compute was emulated);
//! - `throughput = counted steps / total_time · batch_size` samples/s per rank (DLIO 3.0.2);
//!   DLIO v2.0 divided `steps − 2` instead, a hard-coded `− 2` whatever the exclusions
//!   ([`Formula::DlioV2`], what `--dlio-compat` reproduces); [`BlockMetrics::exact_throughput`]
//!   is always the counted steps'.
//!
//! Across ranks DLIO averages AU and sums throughput ([`combine_ranks`]); the AU check passes
//! when the mean AU reaches `metric.au`.

/// Timings of one step, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepTimes {
    /// From asking for the batch to the end of its compute.
    pub proc: f64,
    /// The emulated compute of the step.
    pub compute: f64,
}

/// The metrics of one block (the steps between checkpoints; a whole epoch without them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlockMetrics {
    pub au_percent: f64,
    /// DLIO's samples/s per rank (with its `steps − 2`).
    pub throughput: f64,
    /// Samples/s per rank over the steps measured.
    pub exact_throughput: f64,
    /// The time the metrics are taken over.
    pub total_time: f64,
}

/// Which DLIO's throughput formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Formula {
    /// DLIO 3.0.2: the counted steps over the metric time.
    #[default]
    Dlio302,
    /// DLIO v2.0: `steps − 2` over the metric time.
    DlioV2,
}

/// DLIO's block metrics. `planned_steps` is the epoch's step count from the plan (DLIO's
/// `self.steps`), which sets where the excluded tail starts.
pub fn block_metrics(
    steps: &[StepTimes],
    planned_steps: usize,
    wall: f64,
    batch_size: u64,
    (exclude_start, exclude_end): (usize, usize),
    formula: Formula,
) -> BlockMetrics {
    // Python slices: compute[start:end+1], proc[:start], proc[end+1:]; clipped to the data.
    let end_excl = planned_steps.saturating_sub(exclude_end).min(steps.len());
    let start = exclude_start.min(steps.len());
    let counted = if start < end_excl {
        &steps[start..end_excl]
    } else {
        &[][..]
    };
    let head: f64 = steps[..start].iter().map(|s| s.proc).sum();
    let tail: f64 = steps[end_excl.max(start)..].iter().map(|s| s.proc).sum();
    let total_time = wall - head - tail;
    let compute: f64 = counted.iter().map(|s| s.compute).sum();
    let au_percent = if compute == 0.0 {
        0.0
    } else {
        100.0 * compute / total_time
    };
    let batch = batch_size as f64;
    let exact = counted.len() as f64 / total_time * batch;
    BlockMetrics {
        au_percent,
        throughput: match formula {
            Formula::Dlio302 => exact,
            Formula::DlioV2 => (steps.len() as f64 - 2.0) / total_time * batch,
        },
        exact_throughput: exact,
        total_time,
    }
}

/// DLIO's `compute_metrics_eval`: AU as for training, but throughput over the whole
/// evaluation, `steps / wall · batch_size` (no `− 2`, nothing excluded).
pub fn eval_metrics(
    steps: &[StepTimes],
    planned_steps: usize,
    wall: f64,
    batch_size: u64,
    exclude: (usize, usize),
) -> BlockMetrics {
    let m = block_metrics(
        steps,
        planned_steps,
        wall,
        batch_size,
        exclude,
        Formula::default(),
    );
    let throughput = steps.len() as f64 / wall * batch_size as f64;
    BlockMetrics {
        throughput,
        exact_throughput: throughput,
        ..m
    }
}

/// An epoch's figures from its blocks, weighted by their steps (DLIO's `end_train`).
pub fn epoch_metrics(blocks: &[(BlockMetrics, usize)]) -> (f64, f64) {
    let steps: usize = blocks.iter().map(|(_, n)| n).sum();
    if steps == 0 {
        return (0.0, 0.0);
    }
    let w = |f: fn(&BlockMetrics) -> f64| {
        blocks.iter().map(|(m, n)| f(m) * *n as f64).sum::<f64>() / steps as f64
    };
    (w(|m| m.au_percent), w(|m| m.throughput))
}

/// Run-level figures over ranks: mean AU, summed throughput, and the AU check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankSummary {
    pub au_percent: f64,
    pub throughput: f64,
    pub meets_au: bool,
}

/// Combines per-rank metrics as DLIO's `end_run` does (`au_threshold` is `metric.au`, e.g. 0.90).
pub fn combine_ranks(per_rank: &[BlockMetrics], au_threshold: f64) -> RankSummary {
    let n = per_rank.len().max(1) as f64;
    let au_percent = per_rank.iter().map(|m| m.au_percent).sum::<f64>() / n;
    RankSummary {
        au_percent,
        throughput: per_rank.iter().map(|m| m.throughput).sum(),
        meets_au: au_percent >= au_threshold * 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(proc: &[f64], compute: f64) -> Vec<StepTimes> {
        proc.iter().map(|&p| StepTimes { proc: p, compute }).collect()
    }

    #[test]
    fn matches_dlio_formula_by_hand() {
        // 5 steps of 0.1 s compute; the first step waits 0.4 s extra (cold start).
        let s = steps(&[0.5, 0.12, 0.11, 0.1, 0.1], 0.1);
        let wall = 0.93;
        let m = block_metrics(&s, 5, wall, 4, (1, 0), Formula::DlioV2);
        // total_time = 0.93 - 0.5; compute counted = steps 1..=4 = 0.4
        assert!((m.total_time - 0.43).abs() < 1e-12);
        assert!((m.au_percent - 100.0 * 0.4 / 0.43).abs() < 1e-9);
        assert!(
            (m.throughput - 3.0 / 0.43 * 4.0).abs() < 1e-9,
            "DLIO v2.0's (steps - 2)"
        );
        assert!((m.exact_throughput - 4.0 / 0.43 * 4.0).abs() < 1e-9);
        let m3 = block_metrics(&s, 5, wall, 4, (1, 0), Formula::Dlio302);
        assert_eq!(m3.throughput, m.exact_throughput, "DLIO 3.0.2: the counted steps");
        assert_eq!(m3.au_percent, m.au_percent);
    }

    #[test]
    fn excluded_tail_and_no_compute() {
        let s = steps(&[0.2, 0.2, 0.2, 0.2], 0.0);
        let m = block_metrics(&s, 4, 0.8, 1, (1, 1), Formula::default());
        assert_eq!(m.au_percent, 0.0, "no emulated compute: AU 0, as DLIO");
        assert!((m.total_time - 0.4).abs() < 1e-12);
        // A block shorter than planned (total_training_steps cut it): only the start is excluded.
        let m = block_metrics(&steps(&[0.2, 0.2], 0.1), 10, 0.4, 1, (1, 1), Formula::default());
        assert!((m.total_time - 0.2).abs() < 1e-12 && (m.au_percent - 50.0).abs() < 1e-9);
    }

    #[test]
    fn eval_counts_every_step_and_epochs_weight_blocks() {
        let s = steps(&[0.3, 0.1, 0.1, 0.1], 0.1);
        let m = eval_metrics(&s, 4, 0.6, 2, (1, 0));
        assert!((m.throughput - 4.0 / 0.6 * 2.0).abs() < 1e-9);
        assert!((m.au_percent - 100.0 * 0.3 / 0.3).abs() < 1e-9);
        let a = BlockMetrics {
            au_percent: 90.0,
            throughput: 10.0,
            exact_throughput: 10.0,
            total_time: 1.0,
        };
        let b = BlockMetrics {
            au_percent: 60.0,
            throughput: 40.0,
            ..a
        };
        assert_eq!(epoch_metrics(&[(a, 3), (b, 1)]), (82.5, 17.5));
        assert_eq!(epoch_metrics(&[]), (0.0, 0.0));
    }

    #[test]
    fn ranks_average_au_and_sum_throughput() {
        let a = BlockMetrics {
            au_percent: 95.0,
            throughput: 10.0,
            exact_throughput: 11.0,
            total_time: 1.0,
        };
        let b = BlockMetrics {
            au_percent: 85.0,
            throughput: 12.0,
            exact_throughput: 13.0,
            total_time: 1.0,
        };
        let r = combine_ranks(&[a, b], 0.90);
        assert_eq!((r.au_percent, r.throughput, r.meets_au), (90.0, 22.0, true));
        assert!(!combine_ranks(&[b], 0.90).meets_au);
    }
}
