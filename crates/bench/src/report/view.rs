//! One view of a finished run, whoever wrote its folder (mlstor or DLIO): the facts, the
//! per-epoch, per-rank, per-endpoint and per-checkpoint figures, the latency histograms and
//! the headline figures that two runs are compared on. The HTML page draws it as it is
//! (its JSON is the page's model); the text report and `report A B` read it too.

use serde::Serialize;
use serde_json::Value;

use crate::metrics::latency::{Latency, Percentiles};
use crate::metrics::stats::MeanStd;
use crate::records::EndpointReport;
use crate::records::checkpoint::TimedCheckpoint;
use crate::records::train::{PhaseReport, RankReport};
use crate::results::checkpoint::{CheckpointSummary, PhaseSummary as CheckpointPhase};
use crate::results::read::{MlstorRun, RunFolder, Source};
use crate::results::summary::{Overall, PhaseSummary, RunSummary};

/// Which way a figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
    Neither,
}

/// A headline figure of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    pub better: Better,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochView {
    pub epoch: u64,
    pub au_percent: Option<f64>,
    pub throughput: Option<f64>,
    pub mb_per_s: Option<f64>,
    pub eval_au_percent: Option<f64>,
    pub eval_throughput: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankView {
    pub rank: usize,
    pub host: String,
    pub au_percent: Option<f64>,
    pub throughput: Option<f64>,
    pub bytes: Option<u64>,
    pub cpu_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencyView {
    pub name: String,
    #[serde(flatten)]
    pub percentiles: Percentiles,
    /// `[upper bound ms, count]`, eight buckets a decade, ascending.
    pub buckets: Vec<(f64, u64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckpointView {
    pub rank: usize,
    /// `save` or `restore`.
    pub op: &'static str,
    pub name: String,
    /// Seconds from the run's start.
    pub start_s: f64,
    pub duration_s: f64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableView {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Everything a report shows of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunView {
    pub title: String,
    /// `mlstor <version>` or `DLIO`.
    pub source: String,
    pub folder: String,
    /// `training`, `checkpoint`, or `generate`.
    pub kind: &'static str,
    pub facts: Vec<(String, String)>,
    pub epochs: Vec<EpochView>,
    pub au_threshold_percent: Option<f64>,
    pub ranks: Vec<RankView>,
    pub latency: Vec<LatencyView>,
    pub endpoints: Vec<EndpointReport>,
    pub checkpoints: Vec<CheckpointView>,
    pub tables: Vec<TableView>,
    pub config: String,
    pub figures: Vec<Figure>,
}

/// DLIO's timestamps (`2026-12-03T09:40:24.201774`), in seconds since an arbitrary origin.
fn seconds_of(stamp: &str) -> Option<f64> {
    let t = chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(t.and_utc().timestamp_micros() as f64 / 1e6)
}

/// A latency histogram's view: percentiles and log buckets.
fn latency_view(name: &str, l: &Latency) -> Option<LatencyView> {
    let p = l.percentiles();
    if p.count == 0 {
        return None;
    }
    let counts = l.to_counts();
    // Eight buckets a decade: bucket k holds values up to 10^(k/8) µs.
    let bucket = |us: u64| ((us.max(1) as f64).log10() * 8.0).ceil() as i64;
    let (lo, hi) = (
        counts.iter().map(|c| bucket(c.0)).min().unwrap_or(0),
        counts.iter().map(|c| bucket(c.0)).max().unwrap_or(0),
    );
    let mut buckets: Vec<(f64, u64)> = (lo..=hi)
        .map(|k| (10f64.powf(k as f64 / 8.0) / 1000.0, 0))
        .collect();
    for (us, n) in counts {
        let i = (bucket(us) - lo) as usize;
        buckets[i].1 += n;
    }
    Some(LatencyView {
        name: name.to_string(),
        percentiles: p,
        buckets,
    })
}

fn merged<'a>(it: impl Iterator<Item = &'a [(u64, u64)]>) -> Latency {
    let mut l = Latency::new();
    for c in it {
        l.merge(&Latency::from_counts(c));
    }
    l
}

fn fig(out: &mut Vec<Figure>, name: &str, value: f64, unit: &'static str, better: Better) {
    if value.is_finite() {
        out.push(Figure {
            name: name.to_string(),
            value,
            unit,
            better,
        });
    }
}

fn f2(v: f64) -> String {
    format!("{v:.2}")
}

impl RunView {
    /// The view of a results folder.
    pub fn of(f: &RunFolder) -> RunView {
        let mut v = RunView {
            title: f.title(),
            source: match f.source {
                Source::Dlio => "DLIO".into(),
                Source::Mlstor => format!(
                    "mlstor {}",
                    f.results
                        .as_ref()
                        .and_then(|r| r["mlstor_version"].as_str())
                        .unwrap_or("?")
                ),
            },
            folder: f.dir.display().to_string(),
            kind: "generate",
            facts: Vec::new(),
            epochs: Vec::new(),
            au_threshold_percent: None,
            ranks: Vec::new(),
            latency: Vec::new(),
            endpoints: Vec::new(),
            checkpoints: Vec::new(),
            tables: Vec::new(),
            config: f.config_yaml.clone().unwrap_or_default(),
            figures: Vec::new(),
        };
        match (&f.run, f.source) {
            (MlstorRun::Training { summary, per_rank }, _) => v.mlstor_training(f, summary, per_rank),
            (
                MlstorRun::Checkpoint {
                    summary,
                    per_rank,
                    uri,
                },
                _,
            ) => v.mlstor_checkpoint(f, summary, per_rank, uri),
            (MlstorRun::Other, _) => v.dlio(f),
        }
        v
    }

    fn fact(&mut self, k: &str, value: impl Into<String>) {
        self.facts.push((k.to_string(), value.into()));
    }

    /// The run's start in seconds (for checkpoint timelines).
    fn t0(f: &RunFolder) -> f64 {
        let start = f
            .results
            .as_ref()
            .and_then(|r| r["start"].as_str())
            .or_else(|| f.summary.as_ref().and_then(|s| s["start"].as_str()));
        start.and_then(seconds_of).unwrap_or(0.0)
    }

    fn header_facts(&mut self, f: &RunFolder) {
        if let Some(r) = &f.results {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            self.fact("Workload", s("workload"));
            self.fact(
                "Ranks",
                format!("{} ({}, barrier {})", r["ranks"], s("rank_source"), s("barrier")),
            );
            self.fact("Start", s("start"));
            self.fact("End", s("end"));
            self.fact("Data", s("data_uri"));
            if let Some(g) = r.get("generate").filter(|g| !g.is_null()) {
                self.fact(
                    "Generated",
                    format!(
                        "{} files, {} bytes in {:.2} s",
                        g["files"],
                        g["bytes"],
                        g["seconds"].as_f64().unwrap_or(0.0)
                    ),
                );
            }
            let o: Vec<String> = r["overrides"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect();
            if !o.is_empty() {
                self.fact("Overrides", o.join(" "));
            }
        }
    }

    fn mlstor_training(&mut self, f: &RunFolder, s: &RunSummary, per_rank: &[RankReport]) {
        self.kind = "training";
        self.header_facts(f);
        self.fact("Hosts", s.hosts.to_string());
        self.au_threshold_percent = Some(s.au_threshold * 100.0);
        if let Some(o) = &s.train {
            self.fact("AU check", au_verdict(o, s.au_threshold));
        }
        self.fact(
            "Client CPU",
            format!("{:.2} s, {:.3} CPU-s per GB read", s.cpu_s, s.cpu_s_per_gb),
        );
        for e in &s.epochs {
            self.epochs.push(EpochView {
                epoch: e.epoch,
                au_percent: Some(e.train.au_percent),
                throughput: Some(e.train.throughput),
                mb_per_s: Some(e.train.dlio_mib_per_s),
                eval_au_percent: e.eval.as_ref().map(|x| x.au_percent),
                eval_throughput: e.eval.as_ref().map(|x| x.throughput),
            });
        }
        for r in per_rank {
            let per_epoch: Vec<(f64, f64)> = r.epochs.iter().map(|e| e.au_and_throughput()).collect();
            let n = per_epoch.len().max(1) as f64;
            let bytes: u64 = r
                .epochs
                .iter()
                .flat_map(|e| e.blocks.iter().chain(e.eval.iter()))
                .map(|p| p.bytes_read)
                .sum();
            self.ranks.push(RankView {
                rank: r.rank,
                host: r.host.hostname.clone(),
                au_percent: Some(per_epoch.iter().map(|x| x.0).sum::<f64>() / n),
                throughput: Some(per_epoch.iter().map(|x| x.1).sum::<f64>() / n),
                bytes: Some(bytes),
                cpu_s: Some(r.cpu_s),
            });
        }
        let phases = |eval: bool| -> Vec<&PhaseReport> {
            per_rank
                .iter()
                .flat_map(|r| &r.epochs)
                .flat_map(|e| {
                    if eval {
                        e.eval.iter().collect::<Vec<_>>()
                    } else {
                        e.blocks.iter().collect()
                    }
                })
                .collect()
        };
        let (train, eval) = (phases(false), phases(true));
        let hist = |ps: &[&PhaseReport], wait: bool| {
            merged(ps.iter().map(|p| {
                if wait {
                    p.batch_wait.as_slice()
                } else {
                    p.read_latency.as_slice()
                }
            }))
        };
        self.latency
            .extend(latency_view("storage read (train)", &hist(&train, false)));
        self.latency
            .extend(latency_view("batch wait (train)", &hist(&train, true)));
        self.latency
            .extend(latency_view("storage read (eval)", &hist(&eval, false)));
        self.latency
            .extend(latency_view("batch wait (eval)", &hist(&eval, true)));
        let saves: Vec<(usize, &TimedCheckpoint)> = per_rank
            .iter()
            .flat_map(|r| {
                r.epochs
                    .iter()
                    .flat_map(move |e| e.checkpoints.iter().map(move |t| (r.rank, t)))
            })
            .collect();
        self.latency.extend(latency_view(
            "checkpoint part write",
            &merged(saves.iter().map(|(_, t)| t.report.latency_counts.as_slice())),
        ));
        let t0 = Self::t0(f);
        self.checkpoints.extend(
            saves
                .iter()
                .map(|(rank, t)| checkpoint_view(*rank, "save", t, t0)),
        );
        self.endpoints = sum_endpoints(per_rank.iter().flat_map(|r| &r.endpoints));
        self.tables.push(epoch_table(s));
        if let Some(c) = &s.checkpoint {
            self.fact(
                "Checkpoints",
                format!(
                    "{} on {}, {:.3} GiB each, fsync {}",
                    c.save.as_ref().map_or(0, |p| p.checkpoints.len()),
                    c.uri,
                    c.size_gb,
                    c.fsync
                ),
            );
            if let Some(p) = &c.save {
                self.tables.push(checkpoint_table(&[("save", p)]));
            }
        }
        let figures = &mut self.figures;
        if let Some(o) = &s.train {
            overall_figures(figures, "train", o);
        }
        if let Some(o) = &s.eval {
            overall_figures(figures, "eval", o);
        }
        fig(
            figures,
            "client CPU-s per GB",
            s.cpu_s_per_gb,
            "s/GB",
            Better::Lower,
        );
        if let Some(c) = &s.checkpoint {
            if let Some(p) = &c.save {
                checkpoint_figures(figures, "save", p);
            }
            fig(figures, "checkpoint size GiB", c.size_gb, "GiB", Better::Neither);
        }
    }

    fn mlstor_checkpoint(
        &mut self,
        f: &RunFolder,
        s: &CheckpointSummary,
        per_rank: &[crate::records::checkpoint::CheckpointRun],
        uri: &str,
    ) {
        self.kind = "checkpoint";
        self.header_facts(f);
        self.fact(
            "Checkpoints",
            format!(
                "{uri}: {:.3} GiB ({} bytes written per checkpoint), fsync {}, restores {}",
                s.checkpoint_size_gb,
                s.bytes_per_checkpoint,
                if s.fsync { "done" } else { "not done" },
                if s.verify { "verified" } else { "not verified" }
            ),
        );
        for w in &s.warnings {
            self.fact("Warning", w.clone());
        }
        let t0 = Self::t0(f);
        for r in per_rank {
            for t in &r.saves {
                self.checkpoints.push(checkpoint_view(r.rank, "save", t, t0));
            }
            for t in &r.restores {
                self.checkpoints.push(checkpoint_view(r.rank, "restore", t, t0));
            }
        }
        let lat = |pick: fn(&crate::records::checkpoint::CheckpointRun) -> &Vec<TimedCheckpoint>| {
            merged(
                per_rank
                    .iter()
                    .flat_map(|r| pick(r).iter().map(|t| t.report.latency_counts.as_slice())),
            )
        };
        self.latency
            .extend(latency_view("save: part write", &lat(|r| &r.saves)));
        self.latency
            .extend(latency_view("restore: ranged read", &lat(|r| &r.restores)));
        let phases: Vec<(&str, &CheckpointPhase)> = [("save", &s.save), ("restore", &s.restore)]
            .into_iter()
            .filter_map(|(n, p)| p.as_ref().map(|p| (n, p)))
            .collect();
        self.tables.push(checkpoint_table(&phases));
        for (n, p) in phases {
            checkpoint_figures(&mut self.figures, n, p);
        }
        if let Some(c) = f.results.as_ref().and_then(|r| r["cpu_s_per_gb"].as_f64()) {
            fig(&mut self.figures, "client CPU-s per GB", c, "s/GB", Better::Lower);
        }
        fig(
            &mut self.figures,
            "checkpoint size GiB",
            s.checkpoint_size_gb,
            "GiB",
            Better::Neither,
        );
    }

    /// A folder DLIO wrote: its summary.json and per-rank files.
    fn dlio(&mut self, f: &RunFolder) {
        let Some(s) = &f.summary else {
            self.fact("Note", "no summary.json: a run that only generated data");
            return;
        };
        let m = &s["metric"];
        let num = |k: &str| m[k].as_f64();
        let list = |k: &str| -> Vec<f64> {
            m[k].as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_f64)
                .collect()
        };
        let config = f.config().unwrap_or(Value::Null);
        let record = config["dataset"]["record_length_bytes"].as_f64().unwrap_or(0.0);
        let (au, tp) = (
            list("train_au_percentage"),
            list("train_throughput_samples_per_second"),
        );
        let (eau, etp) = (
            list("eval_au_percentage"),
            list("eval_throughput_samples_per_second"),
        );
        self.kind = if au.is_empty() && num("save_checkpoint_io_mean_GB_per_second").is_some() {
            "checkpoint"
        } else {
            "training"
        };
        let str_of = |k: &str| {
            s[k].as_str()
                .map(str::to_string)
                .unwrap_or_else(|| s[k].to_string())
        };
        self.fact(
            "Ranks",
            format!("{} on {} host(s)", s["num_accelerators"], s["num_hosts"]),
        );
        self.fact("Start", str_of("start"));
        self.fact("End", str_of("end"));
        if let Some(d) = config["dataset"]["data_folder"].as_str() {
            self.fact("Data", d.to_string());
        }
        if let Some(a) = num("train_au_mean_percentage") {
            let threshold = config["metric"]["au"].as_f64();
            self.au_threshold_percent = threshold.map(|t| t * 100.0);
            self.fact(
                "AU check",
                format!(
                    "{}: mean AU {a:.2}% (DLIO's train_au_meet_expectation{})",
                    m["train_au_meet_expectation"]
                        .as_str()
                        .unwrap_or("?")
                        .to_uppercase(),
                    threshold.map_or(String::new(), |t| format!(", metric.au {t}"))
                ),
            );
        }
        for (i, (&a, &t)) in au.iter().zip(&tp).enumerate() {
            self.epochs.push(EpochView {
                epoch: i as u64 + 1,
                au_percent: Some(a),
                throughput: Some(t),
                mb_per_s: (record > 0.0).then(|| t * record / 1048576.0),
                eval_au_percent: eau.get(i).copied(),
                eval_throughput: etp.get(i).copied(),
            });
        }
        // Per rank: the mean of its blocks' AU and throughput ({rank}_output.json).
        for (rank, out) in &f.outputs {
            let mut aus = Vec::new();
            let mut tps = Vec::new();
            let mut waits = Latency::new();
            for (k, e) in out.as_object().into_iter().flatten() {
                if k.parse::<u64>().is_err() {
                    continue;
                }
                for (block, x) in e["au"].as_object().into_iter().flatten() {
                    if block.starts_with("block") {
                        aus.extend(x.as_f64());
                    }
                }
                for (block, x) in e["throughput"].as_object().into_iter().flatten() {
                    if block.starts_with("block") {
                        tps.extend(x.as_f64());
                    }
                }
                for (block, x) in e["load"].as_object().into_iter().flatten() {
                    if block.starts_with("block") {
                        for s in x.as_array().into_iter().flatten().filter_map(Value::as_f64) {
                            waits.record(std::time::Duration::from_secs_f64(s.max(0.0)));
                        }
                    }
                }
            }
            if let Some(l) = latency_view(&format!("batch load, rank {rank} (DLIO's load times)"), &waits)
                && *rank == 0
            {
                self.latency.push(l);
            }
            if aus.is_empty() {
                continue;
            }
            self.ranks.push(RankView {
                rank: *rank,
                host: out["hostname"].as_str().unwrap_or_default().to_string(),
                au_percent: Some(MeanStd::of(&aus).mean),
                throughput: Some(MeanStd::of(&tps).mean),
                bytes: None,
                cpu_s: None,
            });
        }
        let size_gib = num("checkpoint_size_GB").unwrap_or(0.0);
        let t0 = s["start"].as_str().and_then(seconds_of).unwrap_or(0.0);
        for (rank, e) in &f.per_epoch {
            for (_, epoch) in e.as_object().into_iter().flatten() {
                for (k, c) in epoch.as_object().into_iter().flatten() {
                    let op = if k.starts_with("save_ckpt") {
                        "save"
                    } else if k.starts_with("load_ckpt") {
                        "restore"
                    } else {
                        continue;
                    };
                    let (Some(start), Some(d)) =
                        (c["start"].as_str().and_then(seconds_of), c["duration"].as_f64())
                    else {
                        continue;
                    };
                    self.checkpoints.push(CheckpointView {
                        rank: *rank,
                        op,
                        name: k.clone(),
                        start_s: start - t0,
                        duration_s: d,
                        bytes: (size_gib * 1073741824.0) as u64,
                    });
                }
            }
        }
        let mut rows = Vec::new();
        for e in &self.epochs {
            rows.push(vec![
                e.epoch.to_string(),
                e.au_percent.map_or_else(String::new, f2),
                e.throughput.map_or_else(String::new, |t| format!("{t:.1}")),
                e.mb_per_s.map_or_else(String::new, |t| format!("{t:.1}")),
                e.eval_au_percent.map_or_else(String::new, f2),
                e.eval_throughput.map_or_else(String::new, |t| format!("{t:.1}")),
            ]);
        }
        if !rows.is_empty() {
            self.tables.push(TableView {
                title: "Per epoch (DLIO's summary.json)".into(),
                header: [
                    "epoch",
                    "AU %",
                    "samples/s",
                    "MB/s (MiB)",
                    "eval AU %",
                    "eval samples/s",
                ]
                .map(String::from)
                .to_vec(),
                rows,
            });
        }
        let mut keys = Vec::new();
        for (k, val) in m.as_object().into_iter().flatten() {
            if let Some(x) = val.as_f64() {
                keys.push(vec![k.clone(), format!("{x:.4}")]);
            } else if let Some(x) = val.as_str() {
                keys.push(vec![k.clone(), x.to_string()]);
            }
        }
        self.tables.push(TableView {
            title: "DLIO's metrics".into(),
            header: vec!["key".into(), "value".into()],
            rows: keys,
        });
        let figures = &mut self.figures;
        let mut f_if = |name: &str, k: &str, unit: &'static str, better: Better| {
            if let Some(x) = num(k) {
                fig(figures, name, x, unit, better);
            }
        };
        f_if("train AU %", "train_au_mean_percentage", "%", Better::Higher);
        f_if(
            "train samples/s",
            "train_throughput_mean_samples_per_second",
            "samples/s",
            Better::Higher,
        );
        f_if(
            "train MB/s (DLIO)",
            "train_io_mean_MB_per_second",
            "MiB/s",
            Better::Higher,
        );
        f_if("eval AU %", "eval_au_mean_percentage", "%", Better::Higher);
        f_if(
            "eval samples/s",
            "eval_throughput_mean_samples_per_second",
            "samples/s",
            Better::Higher,
        );
        f_if(
            "save GiB/s (DLIO, rank 0)",
            "save_checkpoint_io_mean_GB_per_second",
            "GiB/s",
            Better::Higher,
        );
        f_if(
            "save s (DLIO, rank 0)",
            "save_checkpoint_duration_mean_seconds",
            "s",
            Better::Lower,
        );
        f_if(
            "restore GiB/s (DLIO, rank 0)",
            "load_checkpoint_io_mean_GB_per_second",
            "GiB/s",
            Better::Higher,
        );
        f_if(
            "restore s (DLIO, rank 0)",
            "load_checkpoint_duration_mean_seconds",
            "s",
            Better::Lower,
        );
        f_if(
            "checkpoint size GiB",
            "checkpoint_size_GB",
            "GiB",
            Better::Neither,
        );
    }
}

fn au_verdict(o: &Overall, threshold: f64) -> String {
    format!(
        "{}: mean AU {:.2}% {} {:.0}% (lowest rank-epoch {:.2}%)",
        if o.meets_au { "PASS" } else { "FAIL" },
        o.au_percent.mean,
        if o.meets_au { ">=" } else { "<" },
        threshold * 100.0,
        o.au_min_percent
    )
}

fn checkpoint_view(rank: usize, op: &'static str, t: &TimedCheckpoint, t0: f64) -> CheckpointView {
    CheckpointView {
        rank,
        op,
        name: t.report.checkpoint.clone(),
        start_s: seconds_of(&t.start).map_or(0.0, |s| s - t0),
        duration_s: t.duration_s,
        bytes: t.report.bytes,
    }
}

fn sum_endpoints<'a>(all: impl Iterator<Item = &'a EndpointReport>) -> Vec<EndpointReport> {
    let mut out: Vec<EndpointReport> = Vec::new();
    for e in all {
        match out.iter_mut().find(|x| x.endpoint == e.endpoint) {
            Some(x) => {
                x.requests += e.requests;
                x.bytes += e.bytes;
                x.errors += e.errors;
            }
            None => out.push(e.clone()),
        }
    }
    out
}

/// A training run's per-epoch table (the text report adds the totals).
pub fn epoch_table(s: &RunSummary) -> TableView {
    let row = |label: String, p: &PhaseSummary| {
        vec![
            label,
            p.steps.to_string(),
            f2(p.duration_s),
            f2(p.au_percent),
            f2(p.au_min_percent),
            format!("{:.1}", p.throughput),
            format!("{:.1}", p.dlio_mib_per_s),
            format!("{:.1}", p.read_mb_per_s),
            f2(p.load_s),
            f2(p.compute_s),
            f2(p.other_s),
        ]
    };
    let mut rows = Vec::new();
    for e in &s.epochs {
        rows.push(row(e.epoch.to_string(), &e.train));
        if let Some(v) = &e.eval {
            rows.push(row(format!("{} eval", e.epoch), v));
        }
    }
    TableView {
        title: "Per epoch".into(),
        header: [
            "epoch",
            "steps",
            "time s",
            "AU %",
            "min AU %",
            "samples/s",
            "MB/s (DLIO)",
            "MB/s read",
            "wait s",
            "compute s",
            "other s",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}

/// Saves and restores over all ranks, one row each.
pub fn checkpoint_table(phases: &[(&str, &CheckpointPhase)]) -> TableView {
    TableView {
        title: "Checkpoints over all ranks".into(),
        header: [
            "",
            "checkpoints",
            "s (slowest rank)",
            "GB/s (all ranks)",
            "GB/s per rank",
            "DLIO GB/s (GiB, rank 0)",
            "piece ms p50 / p99 / max",
        ]
        .map(String::from)
        .to_vec(),
        rows: phases
            .iter()
            .map(|(n, p)| {
                vec![
                    n.to_string(),
                    p.checkpoints.len().to_string(),
                    format!("{:.3} ± {:.3}", p.seconds.mean, p.seconds.stdev),
                    format!("{:.3} ± {:.3}", p.gb_per_second.mean, p.gb_per_second.stdev),
                    format!("{:.3}", p.rank_gb_per_second.mean),
                    format!(
                        "{:.3} ± {:.3}",
                        p.dlio_gb_per_second.mean, p.dlio_gb_per_second.stdev
                    ),
                    format!(
                        "{:.1} / {:.1} / {:.1}",
                        p.latency.p50_ms, p.latency.p99_ms, p.latency.max_ms
                    ),
                ]
            })
            .collect(),
    }
}

fn overall_figures(out: &mut Vec<Figure>, phase: &str, o: &Overall) {
    let n = |what: &str| format!("{phase} {what}");
    fig(out, &n("AU %"), o.au_percent.mean, "%", Better::Higher);
    fig(out, &n("lowest AU %"), o.au_min_percent, "%", Better::Higher);
    fig(
        out,
        &n("samples/s"),
        o.throughput.mean,
        "samples/s",
        Better::Higher,
    );
    fig(
        out,
        &n("MB/s (DLIO)"),
        o.dlio_mib_per_s.mean,
        "MiB/s",
        Better::Higher,
    );
    fig(out, &n("MB/s read"), o.read_mb_per_s.mean, "MB/s", Better::Higher);
    fig(out, &n("read p50 ms"), o.read_latency.p50_ms, "ms", Better::Lower);
    fig(out, &n("read p99 ms"), o.read_latency.p99_ms, "ms", Better::Lower);
    fig(
        out,
        &n("batch wait p50 ms"),
        o.batch_wait.p50_ms,
        "ms",
        Better::Lower,
    );
    fig(
        out,
        &n("batch wait p99 ms"),
        o.batch_wait.p99_ms,
        "ms",
        Better::Lower,
    );
}

fn checkpoint_figures(out: &mut Vec<Figure>, phase: &str, p: &CheckpointPhase) {
    let n = |what: &str| format!("{phase} {what}");
    fig(
        out,
        &n("GB/s (all ranks)"),
        p.gb_per_second.mean,
        "GB/s",
        Better::Higher,
    );
    fig(out, &n("s (slowest rank)"), p.seconds.mean, "s", Better::Lower);
    fig(
        out,
        &n("GiB/s (DLIO, rank 0)"),
        p.dlio_gb_per_second.mean,
        "GiB/s",
        Better::Higher,
    );
    fig(
        out,
        &n("s (DLIO, rank 0)"),
        p.dlio_duration_s.mean,
        "s",
        Better::Lower,
    );
    fig(out, &n("piece p99 ms"), p.latency.p99_ms, "ms", Better::Lower);
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn dlio(case: &str) -> RunView {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/dlio/v3.0.2")
            .join(case);
        RunView::of(&RunFolder::open(&dir).expect("folder"))
    }

    #[test]
    fn dlio_training_folder() {
        let v = dlio("train_eval");
        assert_eq!((v.kind, v.source.as_str()), ("training", "DLIO"));
        assert_eq!(v.epochs.len(), 2);
        assert!(v.epochs.iter().all(|e| e.eval_au_percent.is_some()));
        assert_eq!(v.ranks.len(), 1);
        assert!(v.figures.iter().any(|f| f.name == "train AU %"));
        // DLIO's MB/s is samples/s x record_length / 2^20.
        let e = &v.epochs[0];
        let mb = e.throughput.expect("tp") * 262144.0 / 1048576.0;
        assert!((e.mb_per_s.expect("mb") - mb).abs() < 1e-9);
        assert!(
            v.latency
                .iter()
                .any(|l| l.name.starts_with("batch load") && l.percentiles.count == 16)
        );
    }

    #[test]
    fn dlio_checkpoint_folder() {
        let v = dlio("checkpoint_only");
        assert_eq!(v.kind, "checkpoint");
        let ops: Vec<&str> = v.checkpoints.iter().map(|c| c.op).collect();
        assert_eq!(ops.iter().filter(|o| **o == "save").count(), 2);
        assert_eq!(ops.iter().filter(|o| **o == "restore").count(), 2);
        assert!(
            v.checkpoints
                .iter()
                .all(|c| c.start_s >= 0.0 && c.duration_s > 0.0)
        );
        assert!(v.figures.iter().any(|f| f.name.starts_with("restore GiB/s")));
    }

    #[test]
    fn latency_buckets_are_log_spaced_and_hold_every_count() {
        let mut l = Latency::new();
        for us in [100, 120, 1000, 1000, 50_000] {
            l.record(std::time::Duration::from_micros(us));
        }
        let v = latency_view("x", &l).expect("view");
        assert_eq!(v.buckets.iter().map(|b| b.1).sum::<u64>(), 5);
        assert!(v.buckets.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(
            (v.buckets[0].0 - 0.1).abs() < 1e-9,
            "first bound 100 µs: {:?}",
            v.buckets[0]
        );
        assert!(latency_view("none", &Latency::new()).is_none());
    }
}
