//! From raw samples to the figures a table shows: medians and spread over repeats, latency
//! percentiles over every object of every repeat, the check, the "Difference" against the
//! best other library and the verdict. Everything here is computed from the JSON alone, so a
//! saved comparison renders again the same way.

use crate::spec::Op;
use crate::worker::Outcome;

/// What the parent found when it checked a library's work.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    /// Objects whose bytes (reads) or listing entry (writes) were right.
    pub ok: usize,
    /// Read back with the wrong content (CRC-32 differs from the generator's).
    pub wrong: usize,
    /// Read back shorter or longer than written, or listed with the wrong size.
    pub short: usize,
    /// Not there (failed calls, or missing from the listing after a write).
    pub missing: usize,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.wrong == 0 && self.short == 0 && self.missing == 0
    }

    /// "ok (CRC-32 of every object)" or what went wrong.
    pub fn describe(&self, op: Op) -> String {
        if self.passed() {
            return match op {
                Op::Read => "ok: every object's CRC-32".into(),
                Op::Write => "ok: every object listed, right size".into(),
            };
        }
        let mut parts = Vec::new();
        for (n, what) in [
            (self.wrong, "wrong data"),
            (self.short, "wrong length"),
            (self.missing, "missing"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        format!("FAILED: {}", parts.join(", "))
    }
}

/// One library, one op, one repeat.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    pub rep: usize,
    pub size: usize,
    pub outcome: Outcome,
    pub check: Check,
}

impl Sample {
    /// Bytes the library moved successfully.
    pub fn bytes(&self) -> u64 {
        self.outcome.latency_s.iter().flatten().count() as u64 * self.size as u64
    }
    pub fn gbps(&self) -> f64 {
        per_second(self.bytes() as f64 / 1e9, self.outcome.seconds)
    }
    pub fn objects_per_s(&self) -> f64 {
        per_second(
            self.outcome.latency_s.iter().flatten().count() as f64,
            self.outcome.seconds,
        )
    }
    pub fn cpu_per_gb(&self) -> Option<f64> {
        let gb = self.bytes() as f64 / 1e9;
        (gb > 0.0).then(|| self.outcome.cpu_seconds / gb)
    }
}

fn per_second(x: f64, s: f64) -> f64 {
    if s > 0.0 { x / s } else { 0.0 }
}

/// Median, smallest and largest of a set of repeats.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        let median = if v.len() % 2 == 1 {
            v[m]
        } else {
            (v[m - 1] + v[m]) / 2.0
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[v.len() - 1],
        })
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub count: usize,
}

/// The `q`-quantile (0..=1) of sorted values, nearest rank.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Percentiles {
    /// Percentiles of seconds, in ms; `None` with no values.
    pub fn of_seconds(values: impl Iterator<Item = f64>) -> Option<(Percentiles, Vec<f64>)> {
        let mut v: Vec<f64> = values.filter(|x| x.is_finite()).map(|s| s * 1e3).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let p = Percentiles {
            p50: quantile(&v, 0.5),
            p90: quantile(&v, 0.9),
            p99: quantile(&v, 0.99),
            p999: quantile(&v, 0.999),
            count: v.len(),
        };
        Some((p, v))
    }
}

/// Everything the table shows of one library and op.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stats {
    pub library: String,
    pub op: Op,
    pub repeats: usize,
    pub gbps: Spread,
    pub objects_per_s: Spread,
    pub cpu_per_gb: Option<Spread>,
    pub latency_ms: Option<Percentiles>,
    pub ttfb_ms: Option<Percentiles>,
    /// The latency CDF: (ms, fraction) at every percent and at 99.9%.
    pub cdf: Vec<(f64, f64)>,
    pub rss_growth_bytes: Option<i64>,
    pub errors: usize,
    pub retries: Option<u64>,
    pub check: Check,
}

impl Stats {
    pub fn of(library: &str, op: Op, samples: &[Sample]) -> Option<Stats> {
        if samples.is_empty() {
            return None;
        }
        let vals = |f: &dyn Fn(&Sample) -> f64| samples.iter().map(f).collect::<Vec<f64>>();
        let cpu: Vec<f64> = samples.iter().filter_map(Sample::cpu_per_gb).collect();
        let lat = Percentiles::of_seconds(
            samples
                .iter()
                .flat_map(|s| s.outcome.latency_s.iter().flatten().copied()),
        );
        let ttfb = Percentiles::of_seconds(
            samples
                .iter()
                .flat_map(|s| s.outcome.ttfb_s.iter().flat_map(|v| v.iter().flatten().copied())),
        );
        let mut check = Check::default();
        for s in samples {
            check.ok += s.check.ok;
            check.wrong += s.check.wrong;
            check.short += s.check.short;
            check.missing += s.check.missing;
        }
        let cdf = match &lat {
            Some((_, sorted)) => (1..=100)
                .map(|p| p as f64 / 100.0)
                .chain([0.999])
                .map(|q| (quantile(sorted, q), q))
                .collect(),
            None => Vec::new(),
        };
        let retries: Vec<u64> = samples.iter().filter_map(|s| s.outcome.retries).collect();
        Some(Stats {
            library: library.to_string(),
            op,
            repeats: samples.len(),
            gbps: Spread::of(&vals(&Sample::gbps))?,
            objects_per_s: Spread::of(&vals(&Sample::objects_per_s))?,
            cpu_per_gb: Spread::of(&cpu),
            latency_ms: lat.map(|l| l.0),
            ttfb_ms: ttfb.map(|t| t.0),
            cdf,
            rss_growth_bytes: samples.iter().filter_map(|s| s.outcome.rss_growth_bytes).max(),
            errors: samples.iter().map(|s| s.outcome.errors.len()).sum(),
            retries: (!retries.is_empty()).then(|| retries.iter().sum()),
            check,
        })
    }

    /// Trusted: every object checked right and no call failed. Untrusted rows are shown but
    /// never win.
    pub fn trusted(&self) -> bool {
        self.check.passed() && self.errors == 0
    }
}

/// This library's GB/s and CPU per GB over the best other trusted library's: (speed ratio,
/// CPU ratio, the other's name).
pub fn difference(me: &Stats, all: &[Stats]) -> Option<(f64, Option<f64>, String)> {
    let others: Vec<&Stats> = all
        .iter()
        .filter(|s| s.op == me.op && s.library != me.library && s.trusted())
        .collect();
    let best = others
        .iter()
        .max_by(|a, b| a.gbps.median.total_cmp(&b.gbps.median))?;
    let cheapest = others
        .iter()
        .filter_map(|s| s.cpu_per_gb.map(|c| c.median))
        .min_by(f64::total_cmp);
    let cpu = match (me.cpu_per_gb, cheapest) {
        (Some(m), Some(c)) if c > 0.0 => Some(m.median / c),
        _ => None,
    };
    Some((me.gbps.median / best.gbps.median, cpu, best.library.clone()))
}

/// The verdict of one op in the seed scripts' words: the fastest trusted library against the
/// runner-up.
pub fn verdict(op: Op, all: &[Stats]) -> Vec<String> {
    let mut ranked: Vec<&Stats> = all.iter().filter(|s| s.op == op && s.trusted()).collect();
    ranked.sort_by(|a, b| b.gbps.median.total_cmp(&a.gbps.median));
    let mut out = Vec::new();
    let untrusted: Vec<&str> = all
        .iter()
        .filter(|s| s.op == op && !s.trusted())
        .map(|s| s.library.as_str())
        .collect();
    match ranked.as_slice() {
        [] => out.push(format!(
            "FINAL VERDICT ({}): no library finished with correct data",
            op.as_str()
        )),
        [only] => out.push(format!(
            "FINAL VERDICT ({}): {} ran alone ({:.3} GB/s); nothing to compare with",
            op.as_str(),
            only.library,
            only.gbps.median
        )),
        [first, second, ..] => {
            let r = first.gbps.median / second.gbps.median;
            out.push(format!(
                "FINAL VERDICT ({}): {} is {r:.2}x FASTER than {}",
                op.as_str(),
                first.library,
                second.library
            ));
            out.push(format!("Performance gain: {:+.1}%", (r - 1.0) * 100.0));
            if let (Some(a), Some(b)) = (first.cpu_per_gb, second.cpu_per_gb)
                && b.median > 0.0
            {
                out.push(format!(
                    "Client CPU per GB: {} uses {:.2}x what {} uses",
                    first.library,
                    a.median / b.median,
                    second.library
                ));
            }
        }
    }
    if !untrusted.is_empty() {
        out.push(format!(
            "Not ranked (errors or wrong data): {}",
            untrusted.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(rep: usize, seconds: f64, n: usize, size: usize, cpu: f64) -> Sample {
        Sample {
            rep,
            size,
            outcome: Outcome {
                seconds,
                cpu_seconds: cpu,
                latency_s: (0..n).map(|i| Some(0.001 * (i + 1) as f64)).collect(),
                ..Outcome::default()
            },
            check: Check {
                ok: n,
                ..Check::default()
            },
        }
    }

    #[test]
    fn spread_median_and_quantiles() {
        let s = Spread::of(&[3.0, 1.0, 2.0, 10.0]).expect("spread");
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 10.0));
        assert_eq!(Spread::of(&[f64::NAN]), None);
        let v: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 500.0);
        assert_eq!(quantile(&v, 0.999), 999.0);
        assert_eq!(quantile(&v, 1.0), 1000.0);
        assert_eq!(quantile(&v[..1], 0.01), 1.0);
    }

    #[test]
    fn verdict_arithmetic() {
        // 10 objects x 100 MB: a in 1.0 s (1 GB/s), b in 1.35 s; CPU 0.5 vs 1.0 s.
        let a = Stats::of("a", Op::Read, &[sample(0, 1.0, 10, 100_000_000, 0.5)]).expect("a");
        let b = Stats::of("b", Op::Read, &[sample(0, 1.35, 10, 100_000_000, 1.0)]).expect("b");
        assert!((a.gbps.median - 1.0).abs() < 1e-12);
        assert_eq!(a.cpu_per_gb.expect("cpu").median, 0.5);
        let all = vec![a.clone(), b.clone()];
        let v = verdict(Op::Read, &all);
        assert_eq!(v[0], "FINAL VERDICT (read): a is 1.35x FASTER than b");
        assert_eq!(v[1], "Performance gain: +35.0%");
        assert_eq!(v[2], "Client CPU per GB: a uses 0.50x what b uses");
        let (speed, cpu, other) = difference(&b, &all).expect("diff");
        assert!((speed - 1.0 / 1.35).abs() < 1e-9);
        assert_eq!((cpu, other.as_str()), (Some(2.0), "a"));
        // A library with wrong data is neither ranked nor anyone's "best other".
        let mut bad = Stats::of("c", Op::Read, &[sample(0, 0.1, 10, 100_000_000, 0.1)]).expect("c");
        bad.check.wrong = 1;
        let all = vec![a.clone(), b, bad];
        assert_eq!(
            verdict(Op::Read, &all)[0],
            "FINAL VERDICT (read): a is 1.35x FASTER than b"
        );
        assert_eq!(
            verdict(Op::Read, &all).last().map(String::as_str),
            Some("Not ranked (errors or wrong data): c")
        );
        assert_eq!(difference(&a, &all).expect("diff").2, "b");
        assert!(verdict(Op::Write, &all)[0].contains("no library"));
    }

    #[test]
    fn stats_pool_repeats() {
        let s = Stats::of(
            "x",
            Op::Write,
            &[
                sample(0, 2.0, 4, 1_000_000, 0.1),
                sample(1, 1.0, 4, 1_000_000, 0.1),
                sample(2, 4.0, 4, 1_000_000, 0.1),
            ],
        )
        .expect("stats");
        assert_eq!(s.repeats, 3);
        assert!((s.gbps.median - 0.002).abs() < 1e-12, "{:?}", s.gbps);
        assert_eq!(s.latency_ms.expect("lat").count, 12);
        assert_eq!(s.cdf.len(), 101);
        assert_eq!(s.check.ok, 12);
    }
}
