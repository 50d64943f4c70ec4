//! The end-of-run text reports: for training a table per epoch and in total, the latency
//! percentiles and MLPerf Storage's AU check ([`render`]); for checkpoints the saves and
//! restores over all ranks ([`render_checkpoint`]).

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_BORDERS_ONLY};

use crate::metrics::latency::Percentiles;
use crate::plan::memory::MemoryEstimate;
use crate::plan::{Direction, Plan};
use crate::report::view::{RunView, TableView, checkpoint_table, epoch_table};
use crate::results::checkpoint::{CheckpointSummary, PhaseSummary as CheckpointPhase};
use crate::results::read::{MlstorRun, RunFolder};
use crate::results::summary::{Overall, RunSummary, TrainingCheckpoints};

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

/// A table of the view as text.
fn to_table(v: &TableView) -> Table {
    let mut t = table(&v.header.iter().map(String::as_str).collect::<Vec<_>>());
    for r in &v.rows {
        t.add_row(r.clone());
    }
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
    let mut t = to_table(&epoch_table(s));
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

/// The end-of-run table: saves and restores over all ranks.
pub fn render_checkpoint(workload: &str, uri: &str, s: &CheckpointSummary) -> String {
    let mut out = format!(
        "{workload}: {} rank(s), checkpoint {:.3} GiB ({:.3} GB written per checkpoint) on {uri}; fsync {}, restores {}\n",
        s.ranks,
        s.checkpoint_size_gb,
        s.bytes_per_checkpoint as f64 / 1e9,
        if s.fsync { "done" } else { "not done" },
        if s.verify { "verified" } else { "not verified" },
    );
    let phases: Vec<(&str, &CheckpointPhase)> = [("save", &s.save), ("restore", &s.restore)]
        .into_iter()
        .filter_map(|(what, p)| p.as_ref().map(|p| (what, p)))
        .collect();
    let t = to_table(&checkpoint_table(&phases));
    out.push_str(&t.to_string());
    out.push('\n');
    for w in &s.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}

/// `--dry-run`: what the plan will do, where, and each rank's memory.
pub fn render_plan(
    workload: &str,
    plan: &Plan,
    data_uri: &str,
    checkpoint_uri: Option<&str>,
    memory: &[MemoryEstimate],
) -> String {
    let w = &plan.workload;
    let d = &w.dataset;
    let mut out = format!(
        "plan of {workload}: {} rank(s){}\ndataset: {data_uri} ({}, {} train + {} eval files of {} sample(s), {} per sample)\n",
        plan.ranks,
        if plan.dlio_compat {
            ", DLIO v2.0's reading (--dlio-compat)"
        } else {
            ""
        },
        d.format.extension(),
        d.num_files_train,
        d.num_files_eval,
        d.num_samples_per_file,
        bytes(d.record_length_bytes as u64),
    );
    if let Some(n) = plan.generate_files {
        let per: Vec<String> = (0..plan.ranks.min(8))
            .map(|r| plan.generate_files_of(r).to_string())
            .collect();
        out.push_str(&format!(
            "generate: {n} file(s), ~{} (per rank: {}{})\n",
            bytes((n as f64 * d.num_samples_per_file as f64 * d.record_length_bytes) as u64),
            per.join(", "),
            if plan.ranks > 8 { ", ..." } else { "" }
        ));
    }
    if let Some(t) = &plan.train {
        out.push_str(&format!(
            "train: {} epoch(s), {} step(s) of batch {} per rank and epoch (DLIO: {} per epoch), {:?} sampler, read_threads {}\n",
            t.epochs.len(),
            t.epochs.first().map_or(0, |e| e.steps),
            w.reader.batch_size,
            t.steps_per_epoch,
            t.sampler,
            w.reader.read_threads
        ));
        for e in &t.epochs {
            let cuts: Vec<String> = e
                .blocks
                .iter()
                .filter(|b| b.checkpoint)
                .map(|b| b.end.to_string())
                .collect();
            let mut line = format!("  epoch {}: {} steps", e.epoch, e.steps);
            if !cuts.is_empty() {
                line.push_str(&format!(", checkpoint after step {}", cuts.join(", ")));
            }
            if e.checkpoint_after {
                line.push_str(", checkpoint after the epoch");
            }
            if e.eval {
                line.push_str(&format!(", evaluation of {} steps", t.eval_steps));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    if let Some(c) = &plan.checkpoint {
        let uri = checkpoint_uri.unwrap_or("?");
        out.push_str(&format!(
            "checkpoints: {uri}, {} per checkpoint over all ranks ({} files; DLIO's checkpoint_size_GB {:.3})\n",
            bytes(c.layout.total_bytes),
            c.layout.total_files,
            c.layout.checkpoint_size_gb()
        ));
        let saves = plan.saves();
        let restores = c.ops.iter().filter(|o| o.direction == Direction::Restore).count();
        out.push_str(&format!("  {saves} save(s), {restores} restore(s)\n"));
    }
    let mut t = table(&["rank", "loader", "order", "checkpoint", "results", "total"]);
    for (r, m) in memory.iter().enumerate().take(16) {
        t.add_row(vec![
            r.to_string(),
            bytes(m.loader),
            bytes(m.order),
            bytes(m.checkpoint),
            bytes(m.results),
            bytes(m.total()),
        ]);
    }
    right_align(&mut t, 1);
    out.push_str(&format!("memory per rank (estimated):\n{t}\n"));
    if memory.len() > 16 {
        out.push_str(&format!("... {} more rank(s)\n", memory.len() - 16));
    }
    out
}

/// The report of a finished results folder, from its files alone: mlstor's end-of-run
/// tables for mlstor's folders, the facts and tables of its view for DLIO's.
pub fn render_folder(f: &RunFolder) -> String {
    match &f.run {
        MlstorRun::Training { summary, .. } => render(&f.title(), summary),
        MlstorRun::Checkpoint { summary, uri, .. } => render_checkpoint(&f.title(), uri, summary),
        MlstorRun::Other => render_view(&RunView::of(f)),
    }
}

/// A view's facts and tables.
pub fn render_view(v: &RunView) -> String {
    let mut out = format!("{} ({}, {})\n", v.title, v.source, v.folder);
    let mut facts = Table::new();
    facts.load_preset(UTF8_BORDERS_ONLY);
    for (k, val) in &v.facts {
        facts.add_row(vec![k.clone(), val.clone()]);
    }
    out.push_str(&format!("{facts}\n"));
    for t in &v.tables {
        let mut table = to_table(t);
        right_align(&mut table, 1);
        out.push_str(&format!("{}:\n{table}\n", t.title));
    }
    out
}
