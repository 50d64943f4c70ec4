//! Latency histograms (HDR, microsecond resolution, 3 significant digits) and the
//! percentiles reports carry: p50, p90, p99, p99.9, max.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Operation latencies, mergeable across workers and ranks.
#[derive(Debug, Clone)]
pub struct Latency(Histogram<u64>);

impl Default for Latency {
    fn default() -> Latency {
        Latency::new()
    }
}

/// A latency summary in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    pub fn new() -> Latency {
        // 1 µs .. ~1 hour with auto-resize; 3 significant digits.
        // `new` fails only for more than 5 significant digits.
        #[allow(clippy::expect_used)]
        let mut h = Histogram::new(3).expect("3 significant digits are valid");
        h.auto(true);
        Latency(h)
    }

    pub fn record(&mut self, d: Duration) {
        let us = d.as_micros().clamp(1, u64::MAX as u128) as u64;
        // Auto-resizing histograms accept every value.
        let _ = self.0.record(us);
    }

    pub fn merge(&mut self, other: &Latency) {
        let _ = self.0.add(&other.0);
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    pub fn percentiles(&self) -> Percentiles {
        let h = &self.0;
        if h.is_empty() {
            return Percentiles::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            count: h.len(),
            mean_ms: h.mean() / 1000.0,
            p50_ms: ms(h.value_at_quantile(0.5)),
            p90_ms: ms(h.value_at_quantile(0.9)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            p999_ms: ms(h.value_at_quantile(0.999)),
            max_ms: ms(h.max()),
        }
    }

    /// The recorded values as (microseconds, count) pairs, to carry a histogram across ranks.
    pub fn to_counts(&self) -> Vec<(u64, u64)> {
        self.0
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect()
    }

    pub fn from_counts(counts: &[(u64, u64)]) -> Latency {
        let mut l = Latency::new();
        for &(us, n) in counts {
            let _ = l.0.record_n(us.max(1), n);
        }
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_merging() {
        let mut a = Latency::new();
        for ms in 1..=100 {
            a.record(Duration::from_millis(ms));
        }
        let p = a.percentiles();
        assert_eq!(p.count, 100);
        assert!((p.p50_ms - 50.0).abs() < 0.1, "{p:?}");
        assert!((p.p99_ms - 99.0).abs() < 0.1, "{p:?}");
        assert!((p.max_ms - 100.0).abs() < 0.1, "{p:?}");
        let mut b = Latency::from_counts(&a.to_counts());
        assert_eq!(b.percentiles(), p, "counts carry the histogram");
        b.merge(&a);
        assert_eq!(b.count(), 200);
        assert_eq!(Latency::new().percentiles(), Percentiles::default());
    }
}
