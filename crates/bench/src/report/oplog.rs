//! `mlstor report --op-log FILE...`: what a run's requests did, from its op-logs alone (one
//! per rank; times merged on the wall clock): per operation the count, errors, bytes,
//! latency and time-to-first-byte percentiles; and, as `warp analyze` does, the run cut into
//! time segments with the fastest, median and slowest segment's throughput.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use comfy_table::{Table, presets::UTF8_BORDERS_ONLY};
use mlstor_store::Op;
use serde::Serialize;

use crate::metrics::latency::{Latency, Percentiles};
use crate::records::RecordsError;
use crate::records::oplog::OpLogReader;

/// Bins of this width hold the per-time counts segments are made of.
const BIN_NS: u64 = 10_000_000;

/// One operation over the whole log.
#[derive(Debug, Clone, Serialize)]
pub struct OpSummary {
    pub op: &'static str,
    pub requests: u64,
    pub errors: u64,
    pub bytes: u64,
    pub latency: Percentiles,
    /// Time to first byte, where the backend could tell (object stores).
    pub first_byte: Percentiles,
}

/// One time segment.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Segment {
    pub start_s: f64,
    pub seconds: f64,
    /// Requests that ended in it, and their bytes.
    pub requests: u64,
    pub bytes: u64,
}

impl Segment {
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds.max(1e-9)
    }

    pub fn requests_per_s(&self) -> f64 {
        self.requests as f64 / self.seconds.max(1e-9)
    }
}

/// The analysis of one or more op-logs.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub files: Vec<String>,
    pub ranks: Vec<usize>,
    /// From the first request's start to the last one's end.
    pub seconds: f64,
    pub ops: Vec<OpSummary>,
    pub segment_seconds: f64,
    pub segments: Vec<Segment>,
}

#[derive(Default)]
struct Acc {
    requests: u64,
    errors: u64,
    bytes: u64,
    latency: Latency,
    first_byte: Latency,
}

/// Reads `paths` and analyses them; `segment`: the segment length (default: a tenth of the
/// run, at least 10 ms, at most 1 s).
pub fn analyze(paths: &[PathBuf], segment: Option<Duration>) -> Result<Analysis, RecordsError> {
    let mut per_op: BTreeMap<Op, Acc> = BTreeMap::new();
    let mut bins: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    let (mut first, mut last) = (u64::MAX, 0u64);
    let mut ranks = Vec::new();
    for p in paths {
        let reader = OpLogReader::open(p)?;
        let t0 = reader.start_unix_ns;
        for r in reader {
            let r = r?;
            if !ranks.contains(&r.rank) {
                ranks.push(r.rank);
            }
            let (start, end) = (t0 + r.start_ns, t0 + r.end_ns);
            first = first.min(start);
            last = last.max(end);
            let a = per_op.entry(r.op).or_default();
            if r.error.is_some() {
                a.errors += 1;
                continue;
            }
            a.requests += 1;
            a.bytes += r.bytes;
            a.latency
                .record(Duration::from_nanos(r.end_ns.saturating_sub(r.start_ns)));
            if let Some(f) = r.first_byte_ns {
                a.first_byte
                    .record(Duration::from_nanos(f.saturating_sub(r.start_ns)));
            }
            let bin = bins.entry(end / BIN_NS).or_default();
            bin.0 += 1;
            bin.1 += r.bytes;
        }
    }
    ranks.sort_unstable();
    let span = last.saturating_sub(first.min(last));
    let seg_ns = segment.map_or_else(
        || (span / 10).clamp(BIN_NS, 1_000_000_000),
        |d| (d.as_nanos() as u64).max(BIN_NS),
    );
    let seg_ns = seg_ns / BIN_NS * BIN_NS;
    let mut segments: BTreeMap<u64, Segment> = BTreeMap::new();
    let origin = first.min(last);
    for (bin, (n, bytes)) in bins {
        let at = (bin * BIN_NS).saturating_sub(origin);
        let k = at / seg_ns;
        let s = segments.entry(k).or_insert(Segment {
            start_s: (k * seg_ns) as f64 / 1e9,
            seconds: seg_ns as f64 / 1e9,
            requests: 0,
            bytes: 0,
        });
        s.requests += n;
        s.bytes += bytes;
    }
    let mut segments: Vec<Segment> = segments.into_values().collect();
    // The last segment is cut by the run's end: only whole segments compare.
    if segments.len() > 1 {
        segments.pop();
    }
    Ok(Analysis {
        files: paths.iter().map(|p| p.display().to_string()).collect(),
        ranks,
        seconds: span as f64 / 1e9,
        ops: per_op
            .into_iter()
            .map(|(op, a)| OpSummary {
                op: op.as_str(),
                requests: a.requests,
                errors: a.errors,
                bytes: a.bytes,
                latency: a.latency.percentiles(),
                first_byte: a.first_byte.percentiles(),
            })
            .collect(),
        segment_seconds: seg_ns as f64 / 1e9,
        segments,
    })
}

fn ms(p: &Percentiles, f: impl Fn(&Percentiles) -> f64) -> String {
    if p.count == 0 {
        "-".into()
    } else {
        format!("{:.3}", f(p))
    }
}

/// The analysis as tables.
pub fn render(a: &Analysis) -> String {
    let mut out = format!(
        "op-log: {} file(s), rank(s) {:?}, {:.3} s from the first request to the last\n",
        a.files.len(),
        a.ranks,
        a.seconds
    );
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY);
    t.set_header(vec![
        "op",
        "requests",
        "errors",
        "MB",
        "MB/s",
        "mean ms",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "ttfb p50 ms",
        "ttfb p99 ms",
    ]);
    for o in &a.ops {
        t.add_row(vec![
            o.op.to_string(),
            o.requests.to_string(),
            o.errors.to_string(),
            format!("{:.1}", o.bytes as f64 / 1e6),
            format!("{:.1}", o.bytes as f64 / 1e6 / a.seconds.max(1e-9)),
            ms(&o.latency, |p| p.mean_ms),
            ms(&o.latency, |p| p.p50_ms),
            ms(&o.latency, |p| p.p90_ms),
            ms(&o.latency, |p| p.p99_ms),
            ms(&o.latency, |p| p.max_ms),
            ms(&o.first_byte, |p| p.p50_ms),
            ms(&o.first_byte, |p| p.p99_ms),
        ]);
    }
    out.push_str(&format!("{t}\n"));
    if a.segments.is_empty() {
        return out;
    }
    let mut by_rate = a.segments.clone();
    by_rate.sort_by(|x, y| x.mb_per_s().total_cmp(&y.mb_per_s()));
    let mut s = Table::new();
    s.load_preset(UTF8_BORDERS_ONLY);
    s.set_header(vec!["segment", "from s", "MB/s", "requests/s"]);
    for (name, seg) in [
        ("fastest", by_rate[by_rate.len() - 1]),
        ("median", by_rate[by_rate.len() / 2]),
        ("slowest", by_rate[0]),
    ] {
        s.add_row(vec![
            name.to_string(),
            format!("{:.2}", seg.start_s),
            format!("{:.1}", seg.mb_per_s()),
            format!("{:.1}", seg.requests_per_s()),
        ]);
    }
    out.push_str(&format!(
        "{} whole segment(s) of {:.3} s (requests counted where they end):\n{s}\n",
        a.segments.len(),
        a.segment_seconds
    ));
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Instant;

    use bytes::Bytes;
    use mlstor_store::{StoreExt, StoreOptions, store_for_uri};

    use super::*;
    use crate::records::Recorder;

    #[tokio::test]
    async fn per_op_figures_and_segments() {
        let d = tempfile::tempdir().expect("tmp");
        let mut files = Vec::new();
        for rank in 0..2 {
            let path = d.path().join(format!("ops.rank{rank}.tsv.zst"));
            let rec = Arc::new(
                Recorder::new()
                    .with_log(&path, rank, Instant::now())
                    .expect("log"),
            );
            let opts = StoreOptions {
                sink: Some(rec.clone()),
                ..Default::default()
            };
            let store = store_for_uri(&format!("memory://oplog-report-{rank}"), &opts).expect("store");
            for i in 0..10 {
                store
                    .put(&format!("k{i}"), Bytes::from(vec![0u8; 1000]))
                    .await
                    .expect("put");
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
            for i in 0..10 {
                store.get(&format!("k{i}")).await.expect("get");
            }
            assert!(store.get("missing").await.is_err());
            rec.finish().expect("close");
            files.push(path);
        }
        let a = analyze(&files, None).expect("analysis");
        assert_eq!(a.ranks, [0, 1]);
        let get = a.ops.iter().find(|o| o.op == "get").expect("gets");
        assert_eq!((get.requests, get.errors, get.bytes), (20, 2, 20_000));
        let put = a.ops.iter().find(|o| o.op == "put").expect("puts");
        assert_eq!((put.requests, put.latency.count), (20, 20));
        assert!(!a.segments.is_empty() && a.segment_seconds >= 0.01);
        let text = render(&a);
        assert!(text.contains("fastest") && text.contains("│ get"), "{text}");
        let bad = analyze(&[d.path().join("missing.tsv")], None).expect_err("no file");
        assert!(bad.to_string().contains("missing.tsv"), "{bad}");
    }
}
