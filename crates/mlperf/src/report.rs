//! What a results tree holds, result by result: its runs grouped as mlpstorage groups them
//! (division, organisation, system, benchmark, model), each result's verdict, its status
//! (SHORT / INVALID / PAPERWORK / READY / WHATIF) and its row of the submission's tables
//! (`results.csv` / `results.json`, with report_generator.py's columns).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::edition;
use crate::rules::submission::{SetVerdict, check_set};
use crate::rules::{BenchmarkType, Run, Validation};
use crate::tree::{self, Skipped, TreeError};

/// One result: the runs of one division, organisation, system, benchmark and model.
pub struct Group {
    pub mode: String,
    pub orgname: String,
    pub systemname: String,
    pub runs: Vec<Run>,
}

impl Group {
    pub fn title(&self, v: &SetVerdict) -> String {
        format!(
            "{}/{}/{} {} {}",
            self.mode,
            self.orgname,
            self.systemname,
            v.benchmark_type.as_str(),
            v.model
        )
    }
}

/// Each result with its verdict, and the folders that could not be read.
pub type Checked = (Vec<(Group, SetVerdict)>, Vec<Skipped>);

/// Reads the tree and checks each result.
pub fn load(dir: &Path) -> Result<Checked, TreeError> {
    let (runs, skipped) = tree::find_runs(dir)?;
    let mut groups: BTreeMap<(String, String, String, BenchmarkType, String), Vec<Run>> = BTreeMap::new();
    let mut untyped = Vec::new();
    for r in runs {
        let Some(t) = r.benchmark_type else {
            untyped.push(Skipped {
                path: r.dir.clone().unwrap_or_default(),
                why: "cannot tell whether this is a training or a checkpointing run".into(),
            });
            continue;
        };
        let (mode, org, sys) = r.dir.as_deref().map(|d| place(dir, d)).unwrap_or_default();
        groups
            .entry((mode, org, sys, t, r.model.clone()))
            .or_default()
            .push(r);
    }
    let mut out = Vec::new();
    for ((mode, orgname, systemname, t, model), runs) in groups {
        let refs: Vec<&Run> = runs.iter().collect();
        let v = check_set(t, &model, &refs);
        out.push((
            Group {
                mode,
                orgname,
                systemname,
                runs,
            },
            v,
        ));
    }
    let mut skipped = skipped;
    skipped.extend(untyped);
    Ok((out, skipped))
}

/// (division, organisation, system) from a run folder's path in the tree, `-` where the
/// tree does not have mlpstorage's shape.
fn place(root: &Path, run: &Path) -> (String, String, String) {
    let full: Vec<String> = run
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    // .../<mode>/<org>/results/<system>/<training|checkpointing>/...
    if let Some(i) = full.iter().rposition(|c| c == "results")
        && i >= 2
        && i + 1 < full.len()
        && ["closed", "open", "whatif"].contains(&full[i - 2].as_str())
    {
        return (full[i - 2].clone(), full[i - 1].clone(), full[i + 1].clone());
    }
    let _ = root;
    ("-".into(), "-".into(), "-".into())
}

/// Set findings that a run still to come would fix (SHORT), not a broken run (INVALID).
const SHORT: &[&str] = &[
    "num_runs",
    "datasize",
    "datagen",
    "checkpoint.num_checkpoints_read",
    "checkpoint.num_checkpoints_write",
];

/// Where a result stands: `INVALID` (a run or the set breaks a rule), `SHORT` (runs still
/// to do), `WHATIF` (not a submission), `PAPERWORK` (no system description), `READY`; and
/// what is missing or wrong.
pub fn status(root: &Path, grp: &Group, v: &SetVerdict) -> (&'static str, Vec<String>) {
    let runs_invalid = v
        .runs
        .iter()
        .any(|(c, _, rv)| (c == "run" || c == "run_benchmark") && rv.category == Validation::Invalid);
    let short: Vec<String> = v
        .issues
        .iter()
        .filter(|i| {
            i.validation == Validation::Invalid && SHORT.contains(&i.parameter.as_deref().unwrap_or(""))
        })
        .map(|i| i.message.clone())
        .collect();
    let broken: Vec<String> = v
        .issues
        .iter()
        .filter(|i| {
            i.validation == Validation::Invalid
                && !SHORT.contains(&i.parameter.as_deref().unwrap_or(""))
                && i.parameter.as_deref() != Some("category")
        })
        .map(|i| i.to_string())
        .chain(v.runs.iter().flat_map(|(c, at, rv)| {
            rv.issues
                .iter()
                .filter(|i| i.validation == Validation::Invalid)
                .map(move |i| format!("{c} {at}: {i}"))
        }))
        .collect();
    let description = system_description(root, grp);
    let mut broken = broken;
    if grp.mode == "closed" && v.category == Validation::Open {
        broken.push("an OPEN result in the closed division: submit it under open/, or drop the OPEN parameters (Rules.md 3.6.2)".into());
    }
    let (state, missing) = if runs_invalid || !broken.is_empty() {
        ("INVALID", broken)
    } else if !short.is_empty() {
        ("SHORT", short)
    } else if grp.mode == "whatif" {
        ("WHATIF", vec!["what-if results are not a submission".to_string()])
    } else if description.is_none() {
        (
            "PAPERWORK",
            vec![format!(
                "the system description {}/{}/systems/{}.yaml",
                grp.mode, grp.orgname, grp.systemname
            )],
        )
    } else {
        ("READY", Vec::new())
    };
    (state, missing)
}

pub fn system_description(dir: &Path, grp: &Group) -> Option<PathBuf> {
    // <results>/<mode>/<org>/systems/<system>.yaml (or .json)
    let root = find_mode_root(dir, grp)?;
    ["yaml", "yml", "json"]
        .iter()
        .map(|e| root.join("systems").join(format!("{}.{e}", grp.systemname)))
        .find(|p| p.is_file())
}

fn find_mode_root(dir: &Path, grp: &Group) -> Option<PathBuf> {
    let run = grp.runs.first()?.dir.as_ref()?;
    let mut p = run.as_path();
    while let Some(parent) = p.parent() {
        if p.file_name().is_some_and(|n| n == "results")
            && parent
                .file_name()
                .is_some_and(|n| n.to_string_lossy() == grp.orgname)
        {
            return Some(parent.to_path_buf());
        }
        p = parent;
    }
    let _ = dir;
    None
}

/// mlpstorage's `results.csv` columns (report_generator.py `_FINAL_SCHEMA`), in order.
pub fn columns() -> Vec<String> {
    let mut c: Vec<String> = [
        "Public ID",
        "Organization",
        "Division",
        "Benchmark Type",
        "Model",
        "Name",
        "Description",
        "Type",
        "Access Protocol",
        "Availability",
        "RU's",
        "Integrated Client Storage (TiB)",
        "Usable Capacity (TiB)",
        "Provisioned Power (W)",
        "Training - Accelerator Type",
        "Training - # Client Nodes",
        "Training - Code",
        "Training - Logs",
        "Training - # Simulated Accelerators",
        "Training - Read B/W (GiB/s)",
        "Checkpointing - Checkpoint Mode",
        "Checkpointing - # Client Nodes",
        "Checkpointing - DP Instances",
        "Checkpointing - Code",
        "Checkpointing - Logs",
        "Checkpointing - Write B/W (GiB/s)",
        "Checkpointing - Write Duration (secs)",
        "Checkpointing - Read B/W (GiB/s)",
        "Checkpointing - Read Duration (secs)",
        "VDB - # Client Nodes",
        "VDB - Code",
        "VDB - Logs",
        "VDB - Vector Count",
        "VDB - Vector Dimension",
        "VDB - Index Type",
        "VDB - Queries per Sec",
        "VDB - Query Latency (ms)",
        "VDB - Recall Percentage",
        "VDB - Storage IOPs",
        "VDB - Read B/W (GiB/s)",
        "KVCache - # Client Nodes",
        "KVCache - Code",
        "KVCache - Logs",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for label in [
        "llama3.1-8b Storage Only",
        "llama3.1-8b Storage + Mem",
        "llama3.1-70b Storage Only",
    ] {
        for m in [
            "Throughput (tok/s)",
            "Read B/W (GiB/s)",
            "Write B/W (GiB/s)",
            "P95 Read Latency (ms)",
        ] {
            c.push(format!("KVCache {label} - {m}"));
        }
    }
    c
}

fn model_label(model: &str) -> String {
    match model {
        "unet3d" => "Unet3D",
        "retinanet" => "RetinaNet",
        "llama3-8b" => "8B",
        "llama3-70b" => "70B",
        "llama3-405b" => "405B",
        "llama3-1t" => "1250B",
        m => m,
    }
    .to_string()
}

fn metric(r: &Run, key: &str) -> Option<f64> {
    r.metrics.as_ref()?.get("metric")?.get(key)?.as_f64()
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn num(v: Option<f64>) -> Value {
    v.map_or(Value::String(String::new()), |x| {
        json!((x * 1000.0).round() / 1000.0)
    })
}

/// One row of the report for a result.
pub fn row(root: &Path, grp: &Group, v: &SetVerdict) -> BTreeMap<String, Value> {
    let mut r: BTreeMap<String, Value> = columns()
        .into_iter()
        .map(|c| (c, Value::String(String::new())))
        .collect();
    let mut set = |k: &str, val: Value| {
        r.insert(k.to_string(), val);
    };
    set("Organization", json!(grp.orgname));
    set("Division", json!(grp.mode));
    set("Benchmark Type", json!(v.benchmark_type.as_str()));
    set("Model", json!(model_label(&v.model)));
    set("Name", json!(grp.systemname));
    if let Some(p) = system_description(root, grp)
        && let Ok(text) = std::fs::read_to_string(&p)
        && let Ok(d) = serde_yaml_ng::from_str::<Value>(&text)
    {
        for (col, key) in [
            ("Name", "name"),
            ("Description", "description"),
            ("Type", "type"),
            ("Access Protocol", "access_protocol"),
            ("Availability", "availability"),
            ("RU's", "rack_units"),
            ("Integrated Client Storage (TiB)", "integrated_client_storage_tib"),
            ("Usable Capacity (TiB)", "usable_capacity_tib"),
            ("Provisioned Power (W)", "provisioned_power_w"),
        ] {
            if let Some(x) = d.get(key) {
                set(col, x.clone());
            }
        }
    }
    let mut measured: Vec<&Run> = grp
        .runs
        .iter()
        .filter(|r| r.command == "run" || r.command == "run_benchmark")
        .collect();
    measured.sort_by(|a, b| a.run_datetime.cmp(&b.run_datetime));
    let logs = measured
        .first()
        .and_then(|r| r.dir.as_ref())
        .and_then(|d| d.parent())
        .map(|d| d.strip_prefix(root).unwrap_or(d).display().to_string())
        .unwrap_or_default();
    let nodes = measured
        .iter()
        .find_map(|r| r.metrics.as_ref()?.get("num_hosts")?.as_u64())
        .map_or(json!(""), |n| json!(n));
    match v.benchmark_type {
        BenchmarkType::Training => {
            let real: Vec<&Run> = if measured.len() > edition::TRAINING_RUNS {
                measured[1..].to_vec()
            } else {
                measured.clone()
            };
            let bw: Vec<f64> = real
                .iter()
                .filter_map(|r| metric(r, "train_io_mean_MB_per_second"))
                .collect();
            set(
                "Training - Accelerator Type",
                json!(
                    real.first()
                        .and_then(|r| r.accelerator.clone())
                        .unwrap_or_default()
                ),
            );
            set("Training - # Client Nodes", nodes);
            set("Training - Logs", json!(logs));
            set(
                "Training - # Simulated Accelerators",
                real.iter()
                    .find_map(|r| r.metrics.as_ref()?.get("num_accelerators")?.as_u64())
                    .map_or(json!(""), |n| json!(n)),
            );
            set(
                "Training - Read B/W (GiB/s)",
                num((bw.len() == real.len())
                    .then(|| mean(&bw))
                    .flatten()
                    .map(|m| m / 1024.0)),
            );
        }
        BenchmarkType::Checkpointing => {
            let count = |r: &Run, k: &str| r.block("checkpoint").get(k).map_or(0, crate::datasize::as_u64);
            let writes: Vec<&Run> = measured
                .iter()
                .copied()
                .filter(|r| count(r, "num_checkpoints_write") > 0)
                .collect();
            let reads: Vec<&Run> = measured
                .iter()
                .copied()
                .filter(|r| count(r, "num_checkpoints_read") > 0)
                .collect();
            let subset = measured.iter().any(|r| {
                r.block("checkpoint").get("mode").and_then(Value::as_str) == Some("subset")
                    || r.run_args.get("checkpoint_subset").and_then(Value::as_bool) == Some(true)
            });
            set(
                "Checkpointing - Checkpoint Mode",
                json!(if subset { "Subset" } else { "Full" }),
            );
            set("Checkpointing - # Client Nodes", nodes);
            if let Some(l) = edition::llm(&v.model) {
                set(
                    "Checkpointing - DP Instances",
                    json!(l.closed_processes / l.tp_x_pp),
                );
            }
            set("Checkpointing - Logs", json!(logs));
            let m =
                |runs: &[&Run], k: &str| mean(&runs.iter().filter_map(|r| metric(r, k)).collect::<Vec<_>>());
            for (col, runs, key) in [
                (
                    "Checkpointing - Write B/W (GiB/s)",
                    &writes,
                    "save_checkpoint_io_mean_GB_per_second",
                ),
                (
                    "Checkpointing - Write Duration (secs)",
                    &writes,
                    "save_checkpoint_duration_mean_seconds",
                ),
                (
                    "Checkpointing - Read B/W (GiB/s)",
                    &reads,
                    "load_checkpoint_io_mean_GB_per_second",
                ),
                (
                    "Checkpointing - Read Duration (secs)",
                    &reads,
                    "load_checkpoint_duration_mean_seconds",
                ),
            ] {
                set(col, num(m(runs, key)));
            }
        }
    }
    r
}

pub fn csv_field(v: &Value) -> String {
    let s = v.as_str().map_or_else(|| v.to_string(), str::to_string);
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{Location, metadata, metadata_name, write_json};
    use serde_json::Map;

    /// A CLOSED unet3d result written the way `mlstor mlperf` writes it.
    fn closed_tree(root: &Path, runs: usize) {
        let write = |command: &str, i: usize, bw: f64| {
            let datetime = format!("20261203_1{i:05}");
            let l = Location {
                results_dir: root.into(),
                mode: "closed".into(),
                orgname: "Acme".into(),
                systemname: "box".into(),
                benchmark_type: BenchmarkType::Training,
                model: "unet3d".into(),
                command: Some(command.into()),
                datetime: datetime.clone(),
            };
            let dir = l.path().expect("path");
            let run = Run {
                benchmark_type: Some(BenchmarkType::Training),
                model: "unet3d".into(),
                command: command.into(),
                run_datetime: datetime.clone(),
                num_processes: 8,
                parameters: json!({"dataset": {"num_files_train": 28000, "num_samples_per_file": 1, "record_length_bytes": 146600628}, "reader": {"batch_size": 7}}),
                accelerator: Some("b200".into()),
                total_memory_bytes: Some(64.0 * 1024.0 * 1024.0 * 1024.0),
                num_hosts: Some(1),
                run_args: json!({}),
                ..Run::default()
            };
            write_json(
                &dir,
                &metadata_name(BenchmarkType::Training, &datetime),
                &metadata(&run, &l, Map::new()),
            )
            .expect("metadata");
            if command == "run" {
                let summary = json!({"num_hosts": 1, "num_accelerators": 8, "metric": {"train_au_meet_expectation": "success", "train_io_mean_MB_per_second": bw}});
                write_json(&dir, "summary.json", &summary).expect("summary");
            }
        };
        write("datasize", 0, 0.0);
        write("datagen", 1, 0.0);
        for i in 0..runs {
            // The warm-up (the earliest) is slow; the five measured runs read 1024..5120 MiB/s.
            write("run", 10 + i, if i == 0 { 1.0 } else { 1024.0 * i as f64 });
        }
    }

    #[test]
    fn a_complete_closed_result_needs_only_its_paperwork() {
        let d = tempfile::tempdir().expect("tmp");
        closed_tree(d.path(), 6);
        let (groups, skipped) = load(d.path()).expect("load");
        assert!(skipped.is_empty());
        let (grp, v) = &groups[0];
        assert_eq!(v.category, Validation::Closed, "{:#?}", v.issues);
        assert_eq!(status(d.path(), grp, v).0, "PAPERWORK");
        let systems = d.path().join("closed/Acme/systems");
        std::fs::create_dir_all(&systems).expect("mkdir");
        std::fs::write(systems.join("box.yaml"), "name: Box 9000\naccess_protocol: NFS\n").expect("desc");
        assert_eq!(status(d.path(), grp, v), ("READY", Vec::new()));
        let r = row(d.path(), grp, v);
        assert_eq!(r["Division"], "closed");
        assert_eq!(r["Name"], "Box 9000");
        assert_eq!(r["Access Protocol"], "NFS");
        assert_eq!(r["Training - Accelerator Type"], "b200");
        assert_eq!(r["Training - # Simulated Accelerators"], 8);
        // mean of 1024..5120 MiB/s (the warm-up left out) / 1024 = 3 GiB/s
        assert_eq!(r["Training - Read B/W (GiB/s)"], 3.0);
        assert_eq!(r.len(), columns().len());
    }

    #[test]
    fn a_result_with_runs_to_do_is_short() {
        let d = tempfile::tempdir().expect("tmp");
        closed_tree(d.path(), 3);
        let (groups, _) = load(d.path()).expect("load");
        let (grp, v) = &groups[0];
        let (state, missing) = status(d.path(), grp, v);
        assert_eq!(state, "SHORT");
        assert!(missing[0].contains("found 3"), "{missing:?}");
    }
}
