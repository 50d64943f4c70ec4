//! DLIO's output files, with DLIO's key names and value shapes, so tools that read DLIO
//! results (mlpstorage's report generator, users' scripts) read mlstor's:
//! `summary.json` (rank 0), `{rank}_per_epoch_stats.json` and `{rank}_output.json` (each
//! rank its own).

use serde_json::{Map, Value, json};

use super::checkpoint::per_epoch_entry;
use super::summary::{Overall, RunSummary};
use crate::config::schema::Workload;
use crate::host::{HostInfo, proc_dict};
use crate::records::train::{PhaseReport, RankReport};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Hosts in order of their first rank, with the ranks each runs.
fn hosts(reports: &[RankReport]) -> Vec<(&HostInfo, usize)> {
    let mut out: Vec<(&HostInfo, usize)> = Vec::new();
    for r in reports {
        match out.iter_mut().find(|(h, _)| h.hostname == r.host.hostname) {
            Some((_, n)) => *n += 1,
            None => out.push((&r.host, 1)),
        }
    }
    out
}

/// DLIO's `data_size_per_host_GB`: ranks per host × the samples a rank reads × record size.
pub fn data_size_per_host_gib(w: &Workload, ranks: usize, ranks_on_host: usize) -> f64 {
    let d = &w.dataset;
    let per_rank = d.num_samples_per_file * d.num_files_train / ranks.max(1) as u64;
    ranks_on_host as f64 * per_rank as f64 * d.record_length_bytes / GIB
}

fn phase_metrics(m: &mut Map<String, Value>, prefix: &str, o: &Overall, per_epoch: Vec<(f64, f64)>) {
    let (au, tp): (Vec<f64>, Vec<f64>) = per_epoch.into_iter().unzip();
    m.insert(format!("{prefix}_au_percentage"), json!(au));
    m.insert(format!("{prefix}_au_mean_percentage"), json!(o.au_percent.mean));
    m.insert(
        format!("{prefix}_au_meet_expectation"),
        json!(if o.meets_au { "success" } else { "fail" }),
    );
    m.insert(format!("{prefix}_au_stdev_percentage"), json!(o.au_percent.stdev));
    m.insert(format!("{prefix}_throughput_samples_per_second"), json!(tp));
    m.insert(
        format!("{prefix}_throughput_mean_samples_per_second"),
        json!(o.throughput.mean),
    );
    m.insert(
        format!("{prefix}_throughput_stdev_samples_per_second"),
        json!(o.throughput.stdev),
    );
    m.insert(
        format!("{prefix}_io_mean_MB_per_second"),
        json!(o.dlio_mib_per_s.mean),
    );
    m.insert(
        format!("{prefix}_io_stdev_MB_per_second"),
        json!(o.dlio_mib_per_s.stdev),
    );
}

/// `summary.json`. `extra_metric` adds keys of other workflows (checkpointing).
pub fn summary(
    w: &Workload,
    s: &RunSummary,
    reports: &[RankReport],
    start: &str,
    end: &str,
    extra_metric: Map<String, Value>,
) -> Value {
    let mut metric = Map::new();
    if let Some(o) = &s.train {
        let e = s
            .epochs
            .iter()
            .map(|e| (e.train.au_percent, e.train.throughput))
            .collect();
        phase_metrics(&mut metric, "train", o, e);
    }
    if let Some(o) = &s.eval {
        let e = s
            .epochs
            .iter()
            .filter_map(|e| e.eval.as_ref().map(|v| (v.au_percent, v.throughput)))
            .collect();
        phase_metrics(&mut metric, "eval", o, e);
    }
    metric.extend(extra_metric);
    let hosts = hosts(reports);
    let ranks = reports.len();
    let first_host_ranks = hosts.first().map_or(1, |h| h.1);
    let per_host = data_size_per_host_gib(w, ranks, first_host_ranks);
    let memory: Vec<f64> = hosts.iter().map(|(h, _)| h.memory_bytes as f64 / GIB).collect();
    json!({
        "start": start,
        "num_accelerators": ranks,
        "num_hosts": hosts.len(),
        "hostname": reports.first().map_or("", |r| r.host.hostname.as_str()),
        "metric": metric,
        "num_files_train": w.dataset.num_files_train,
        "num_files_eval": w.dataset.num_files_eval,
        "num_samples_per_file": w.dataset.num_samples_per_file,
        "host_cpu_count": hosts.iter().map(|(h, _)| h.cpus).collect::<Vec<_>>(),
        "host_processor_name": reports.first().map_or("", |r| r.host.processor.as_str()),
        "potential_caching": memory.iter().map(|&m| u8::from(m > per_host)).collect::<Vec<_>>(),
        "host_cpuinfo": proc_dict("/proc/cpuinfo"),
        "host_meminfo": proc_dict("/proc/meminfo"),
        "host_memory_GB": memory,
        "data_size_per_host_GB": per_host,
        "epochs": s.epochs.len(),
        "end": end,
    })
}

fn span(p: &PhaseReport) -> Value {
    json!({"start": p.start, "end": p.end, "duration": format!("{:.2}", p.wall_s)})
}

/// `{rank}_per_epoch_stats.json`: per epoch its start, end, duration (DLIO writes it as a
/// string with two decimals), its blocks, checkpoints (`save_ckpt{block}`, throughput over
/// the `checkpoint_size_gb` GiB) and evaluation.
pub fn per_epoch_stats(r: &RankReport, checkpoint_size_gb: f64) -> Value {
    let mut out = Map::new();
    for e in &r.epochs {
        let train_s: f64 = e.blocks.iter().map(|b| b.wall_s).sum();
        let mut m = Map::new();
        m.insert("start".into(), json!(e.start));
        m.insert("end".into(), json!(e.end));
        m.insert("duration".into(), json!(format!("{train_s:.2}")));
        for (i, b) in e.blocks.iter().enumerate() {
            m.insert(format!("block{}", i + 1), span(b));
        }
        for t in &e.checkpoints {
            m.insert(
                format!("save_ckpt{}", t.index),
                per_epoch_entry(t, checkpoint_size_gb),
            );
        }
        if let Some(v) = &e.eval {
            m.insert("eval".into(), span(v));
        }
        out.insert(e.epoch.to_string(), Value::Object(m));
    }
    Value::Object(out)
}

/// `{rank}_output.json`: the host (`/proc/cpuinfo` and `/proc/meminfo` as DLIO's
/// `lines_to_dict` reads them), DLIO's raw per-step arrays and per-block AU and throughput,
/// and each training epoch's `host_meminfo` at its end. A checkpoint-only run has DLIO's
/// epoch `"1"` with empty arrays, from `checkpoint_span` (its start and end).
pub fn output(w: &Workload, r: &RankReport, ranks: usize, checkpoint_span: Option<(&str, &str)>) -> Value {
    let memory = r.host.memory_bytes as f64 / GIB;
    let mut out = Map::new();
    out.insert("host_memory_GB".into(), json!(memory));
    out.insert("host_cpu_count".into(), json!(r.host.cpus));
    out.insert("host_processor_name".into(), json!(r.host.processor));
    let caching = data_size_per_host_gib(w, ranks, 1) <= memory;
    out.insert("potential_caching".into(), json!(u8::from(caching)));
    out.insert("host_cpuinfo".into(), Value::Object(proc_dict("/proc/cpuinfo")));
    out.insert("host_meminfo".into(), Value::Object(proc_dict("/proc/meminfo")));
    if let Some((start, end)) = checkpoint_span {
        let mut one: Map<String, Value> = ["load", "proc", "throughput", "au", "compute"]
            .iter()
            .map(|k| (k.to_string(), Value::Object(Map::new())))
            .collect();
        one.insert("start".into(), json!(start));
        one.insert("end".into(), json!(end));
        out.insert("1".into(), Value::Object(one));
    }
    for e in &r.epochs {
        let mut fields: Map<String, Value> = ["load", "proc", "throughput", "au", "compute", "barrier"]
            .iter()
            .map(|k| (k.to_string(), Value::Object(Map::new())))
            .collect();
        let mut put = |k: &str, name: &str, v: Value| {
            if let Some(Value::Object(m)) = fields.get_mut(k) {
                m.insert(name.to_string(), v);
            }
        };
        let phases = e
            .blocks
            .iter()
            .enumerate()
            .map(|(i, b)| (format!("block{}", i + 1), b))
            .chain(e.eval.iter().map(|v| ("eval".to_string(), v)));
        for (name, p) in phases {
            if let Some(a) = &p.arrays {
                put("load", &name, json!(a.load));
                put("proc", &name, json!(a.proc));
                put("compute", &name, json!(a.compute));
                put("barrier", &name, json!(a.barrier));
            }
            put("au", &name, json!(p.au_percent));
            put("throughput", &name, json!(p.throughput));
        }
        fields.insert("host_meminfo".into(), Value::Object(e.host_meminfo.clone()));
        fields.insert("start".into(), json!(e.start));
        fields.insert("end".into(), json!(e.end));
        out.insert(e.epoch.to_string(), Value::Object(fields));
    }
    out.insert("hostname".into(), json!(r.host.hostname));
    Value::Object(out)
}
