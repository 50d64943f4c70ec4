//! A [`Report`] as text (one table per operation, then the verdict in the seed scripts'
//! words) and as a self-contained HTML page (the `mlstor report` page's template: the same
//! tables, bar charts of GB/s and CPU per GB, latency CDFs).

use comfy_table::Table;

use crate::run::Report;
use crate::spec::Op;
use crate::summary::{Stats, difference, verdict};

/// Every library's statistics, per op, in the report's library order.
pub fn stats(r: &Report) -> Vec<Stats> {
    let mut out = Vec::new();
    for op in [Op::Write, Op::Read] {
        for l in &r.libraries {
            if let Some(s) = Stats::of(&l.name, op, l.samples(op)) {
                out.push(s);
            }
        }
    }
    out
}

fn mb(b: Option<i64>) -> String {
    b.map_or("-".into(), |b| format!("{:.0}", b.max(0) as f64 / 1e6))
}

/// What the columns mean, under each table.
fn legend(op: Op) -> String {
    format!(
        "check: {}. Difference: GB/s over the best other library's (named); CPU vs least: client \
         CPU s/GB over the lowest other library's. Latency: per object call, every repeat pooled. \
         peak RSS: growth during the timed part.",
        match op {
            Op::Read => "each object's length and CRC-32 against the generator's",
            Op::Write => "every object listed afterwards with its size",
        }
    )
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| {
        if v < 10.0 {
            format!("{v:.2}")
        } else {
            format!("{v:.1}")
        }
    })
}

const HEADER: [&str; 15] = [
    "library",
    "GB/s (median)",
    "min-max",
    "objects/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "p99.9 ms",
    "TTFB p50 ms",
    "CPU s/GB",
    "peak RSS MB",
    "errors/retries",
    "check",
    "Difference",
    "CPU vs least",
];

/// One table row per library for `op`.
fn rows(op: Op, all: &[Stats]) -> Vec<Vec<String>> {
    all.iter()
        .filter(|s| s.op == op)
        .map(|s| {
            let l = s.latency_ms;
            let (diff, cpu_diff) = match difference(s, all) {
                Some((speed, cpu, other)) => (
                    format!("{speed:.2}x {other}"),
                    cpu.map_or("-".into(), |c| format!("{c:.2}x")),
                ),
                None => ("-".into(), "-".into()),
            };
            vec![
                s.library.clone(),
                format!("{:.3}", s.gbps.median),
                format!("{:.3}-{:.3}", s.gbps.min, s.gbps.max),
                format!("{:.1}", s.objects_per_s.median),
                ms(l.map(|l| l.p50)),
                ms(l.map(|l| l.p90)),
                ms(l.map(|l| l.p99)),
                ms(l.map(|l| l.p999)),
                ms(s.ttfb_ms.map(|t| t.p50)),
                s.cpu_per_gb.map_or("-".into(), |c| format!("{:.3}", c.median)),
                mb(s.rss_growth_bytes),
                format!(
                    "{}/{}",
                    s.errors,
                    s.retries.map_or("n/a".into(), |r| r.to_string())
                ),
                if s.check.passed() {
                    "ok".into()
                } else {
                    s.check.describe(op)
                },
                diff,
                cpu_diff,
            ]
        })
        .collect()
}

fn settings_line(r: &Report) -> String {
    let s = &r.settings;
    format!(
        "{} x {} bytes ({:.3} GB) per library and op, {} threads, {} repeat(s), target {}{}",
        s.files,
        s.size,
        s.files as f64 * s.size as f64 / 1e9,
        s.threads,
        s.repeat,
        s.target,
        if s.endpoints.is_empty() {
            String::new()
        } else {
            format!(" via {}", s.endpoints.join(", "))
        }
    )
}

/// The text report.
pub fn text(r: &Report) -> String {
    let all = stats(r);
    let mut out = format!("{}\n", settings_line(r));
    for op in r.settings.ops.iter().copied() {
        let rows = rows(op, &all);
        if rows.is_empty() {
            continue;
        }
        let mut t = Table::new();
        t.set_header(HEADER.to_vec());
        for row in rows {
            t.add_row(row);
        }
        out.push_str(&format!(
            "\n{} (GB = 1e9 bytes; medians over repeats)\n{t}\n{}\n",
            op.as_str(),
            legend(op)
        ));
        for line in verdict(op, &all) {
            out.push_str(&format!("{line}\n"));
        }
    }
    for l in &r.libraries {
        for f in &l.failures {
            out.push_str(&format!("{}: {f}\n", l.name));
        }
    }
    for s in &r.skipped {
        out.push_str(&format!("skipped {}: {}\n", s.name, s.why));
    }
    out
}

/// The page's model (the fields the report template draws).
#[derive(serde::Serialize)]
struct Page {
    title: String,
    kind: &'static str,
    source: String,
    facts: Vec<(String, String)>,
    tables: Vec<TableModel>,
    bar_charts: Vec<BarModel>,
    cdf_charts: Vec<CdfModel>,
    raw: serde_json::Value,
}

#[derive(serde::Serialize)]
struct TableModel {
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

#[derive(serde::Serialize)]
struct BarModel {
    id: String,
    caption: String,
    y_title: String,
    cats: Vec<String>,
    values: Vec<Option<f64>>,
    lo: Vec<Option<f64>>,
    hi: Vec<Option<f64>>,
}

#[derive(serde::Serialize)]
struct CdfModel {
    id: String,
    caption: String,
    series: Vec<(String, Vec<(f64, f64)>)>,
}

/// The HTML page.
pub fn html(r: &Report) -> String {
    let all = stats(r);
    let mut facts = vec![("Setup".to_string(), settings_line(r))];
    for op in r.settings.ops.iter().copied() {
        for line in verdict(op, &all) {
            facts.push((format!("Verdict ({})", op.as_str()), line));
        }
    }
    let e = &r.environment;
    facts.push((
        "Machine".into(),
        format!(
            "{} CPUs ({}), {:.1} GiB, kernel {}",
            e.cpus,
            e.cpu_model.as_deref().unwrap_or("?"),
            e.memory_bytes.unwrap_or(0) as f64 / (1u64 << 30) as f64,
            e.kernel.as_deref().unwrap_or("?")
        ),
    ));
    facts.push(("Data".into(), r.settings.data.clone()));
    for l in &r.libraries {
        facts.push((
            format!("{} {}", l.name, l.version.as_deref().unwrap_or("")),
            l.usage.clone(),
        ));
    }
    for s in &r.skipped {
        facts.push((format!("{} skipped", s.name), s.why.clone()));
    }
    let mut tables = Vec::new();
    let mut bar_charts = Vec::new();
    let mut cdf_charts = Vec::new();
    for op in r.settings.ops.iter().copied() {
        let of: Vec<&Stats> = all.iter().filter(|s| s.op == op).collect();
        if of.is_empty() {
            continue;
        }
        tables.push(TableModel {
            title: format!("{}: {}", op.as_str(), legend(op)),
            header: HEADER.iter().map(|h| h.to_string()).collect(),
            rows: rows(op, &all),
        });
        let cats: Vec<String> = of.iter().map(|s| s.library.clone()).collect();
        bar_charts.push(BarModel {
            id: format!("gbps-{}", op.as_str()),
            caption: format!(
                "{} GB/s per library: median, with the min-max over repeats",
                op.as_str()
            ),
            y_title: "GB/s".into(),
            cats: cats.clone(),
            values: of.iter().map(|s| Some(s.gbps.median)).collect(),
            lo: of.iter().map(|s| Some(s.gbps.min)).collect(),
            hi: of.iter().map(|s| Some(s.gbps.max)).collect(),
        });
        bar_charts.push(BarModel {
            id: format!("cpu-{}", op.as_str()),
            caption: format!("{} client CPU seconds per GB (lower is better)", op.as_str()),
            y_title: "CPU s/GB".into(),
            cats,
            values: of.iter().map(|s| s.cpu_per_gb.map(|c| c.median)).collect(),
            lo: of.iter().map(|s| s.cpu_per_gb.map(|c| c.min)).collect(),
            hi: of.iter().map(|s| s.cpu_per_gb.map(|c| c.max)).collect(),
        });
        cdf_charts.push(CdfModel {
            id: format!("cdf-{}", op.as_str()),
            caption: format!(
                "{} latency per object: the fraction of objects done within x ms",
                op.as_str()
            ),
            series: of.iter().map(|s| (s.library.clone(), s.cdf.clone())).collect(),
        });
    }
    let page = Page {
        title: format!("mlstor compare: {}", r.settings.target),
        kind: "compare",
        source: r.tool.clone(),
        facts,
        tables,
        bar_charts,
        cdf_charts,
        raw: serde_json::to_value(r).unwrap_or(serde_json::Value::Null),
    };
    mlstor_bench::report::html::render_model(&page)
}
