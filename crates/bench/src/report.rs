//! The end-of-run text report: a table per epoch and in total, the latency percentiles,
//! and MLPerf Storage's AU check.

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_BORDERS_ONLY};

use crate::metrics::latency::Percentiles;
use crate::results::summary::{Overall, PhaseSummary, RunSummary, TrainingCheckpoints};

fn row(label: String, p: &PhaseSummary) -> Vec<String> {
    vec![
        label,
        p.steps.to_string(),
        format!("{:.2}", p.duration_s),
        format!("{:.2}", p.au_percent),
        format!("{:.2}", p.au_min_percent),
        format!("{:.1}", p.throughput),
        format!("{:.1}", p.dlio_mib_per_s),
        format!("{:.1}", p.read_mb_per_s),
        format!("{:.2}", p.load_s),
        format!("{:.2}", p.compute_s),
        format!("{:.2}", p.other_s),
    ]
}

fn total_row(label: &str, o: &Overall, steps: u64, duration: f64) -> Vec<String> {
    vec![
        label.to_string(),
        steps.to_string(),
        format!("{duration:.2}"),
        format!("{:.2} ± {:.2}", o.au_percent.mean, o.au_percent.stdev),
        format!("{:.2}", o.au_min_percent),
        format!("{:.1} ± {:.1}", o.throughput.mean, o.throughput.stdev),
        format!("{:.1}", o.dlio_mib_per_s.mean),
        format!("{:.1}", o.read_mb_per_s.mean),
        String::new(),
        String::new(),
        String::new(),
    ]
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY);
    t.set_header(header.iter().map(Cell::new));
    t
}

fn right_align(t: &mut Table, from: usize) {
    for i in from..t.column_count() {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn latency_row(name: &str, p: &Percentiles) -> Vec<String> {
    let f = |v: f64| format!("{v:.3}");
    vec![
        name.to_string(),
        p.count.to_string(),
        f(p.mean_ms),
        f(p.p50_ms),
        f(p.p90_ms),
        f(p.p99_ms),
        f(p.p999_ms),
        f(p.max_ms),
    ]
}

/// The report for a run of `workload` (AU threshold and figures from `s`).
pub fn render(workload: &str, s: &RunSummary) -> String {
    let mut out = String::new();
    let mut t = table(&[
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
    ]);
    for e in &s.epochs {
        t.add_row(row(e.epoch.to_string(), &e.train));
        if let Some(v) = &e.eval {
            t.add_row(row(format!("{} eval", e.epoch), v));
        }
    }
    let steps = |eval: bool| -> (u64, f64) {
        s.epochs
            .iter()
            .filter_map(|e| if eval { e.eval.as_ref() } else { Some(&e.train) })
            .fold((0, 0.0), |(n, d), p| (n + p.steps, d + p.duration_s))
    };
    if let Some(o) = &s.train {
        let (n, d) = steps(false);
        t.add_row(total_row("train", o, n, d));
    }
    if let Some(o) = &s.eval {
        let (n, d) = steps(true);
        t.add_row(total_row("eval", o, n, d));
    }
    right_align(&mut t, 1);
    out.push_str(&format!(
        "{workload}: {} rank(s) on {} host(s); MB/s (DLIO) = samples/s x record_length_bytes / 2^20, \
         MB/s read = bytes read / time / 10^6\n{t}\n",
        s.ranks, s.hosts
    ));
    if let Some(c) = &s.checkpoint {
        out.push_str(&checkpoint_line(c));
    }
    if let Some(o) = &s.train {
        let mut l = table(&[
            "latency (ms)",
            "count",
            "mean",
            "p50",
            "p90",
            "p99",
            "p99.9",
            "max",
        ]);
        l.add_row(latency_row("storage read", &o.read_latency));
        l.add_row(latency_row("batch wait", &o.batch_wait));
        right_align(&mut l, 1);
        out.push_str(&format!("{l}\n"));
        out.push_str(&format!(
            "client CPU: {:.2} s over all ranks, {:.3} CPU-s per GB read\n",
            s.cpu_s, s.cpu_s_per_gb
        ));
        out.push_str(&au_check(o, s));
    }
    out
}

/// The checkpoints saved during training, in one line.
fn checkpoint_line(c: &TrainingCheckpoints) -> String {
    let head = format!(
        "checkpoints during training on {}: {:.3} GiB each ({:.3} GB written by all ranks), fsync {}",
        c.uri,
        c.size_gb,
        c.bytes_per_checkpoint as f64 / 1e9,
        if c.fsync { "done" } else { "not done" }
    );
    match &c.save {
        Some(p) => format!(
            "{head}: {} saved, {:.3} s each (slowest rank), {:.3} GB/s all ranks, DLIO {:.3} GiB/s (rank 0)\n",
            p.checkpoints.len(),
            p.seconds.mean,
            p.gb_per_second.mean,
            p.dlio_gb_per_second.mean
        ),
        None => format!("{head}: none was due (checkpoint_after_epoch / steps_between_checkpoints)\n"),
    }
}

/// MLPerf Storage's training check: mean AU against `metric.au`.
pub fn au_check(o: &Overall, s: &RunSummary) -> String {
    let verdict = if o.meets_au { "PASS" } else { "FAIL" };
    let mut line = format!(
        "AU check: {verdict}: mean AU {:.2}% {} {:.0}% (metric.au {:.2}) over {} epoch(s) x {} rank(s); lowest rank-epoch {:.2}%\n",
        o.au_percent.mean,
        if o.meets_au { ">=" } else { "<" },
        s.au_threshold * 100.0,
        s.au_threshold,
        s.epochs.len(),
        s.ranks,
        o.au_min_percent
    );
    let compute: f64 = s.epochs.iter().map(|e| e.train.compute_s).sum();
    if compute < 1e-3 {
        line.push_str("(no compute was emulated: this run measures pure I/O, and AU is ~0 by definition)\n");
    }
    line
}
