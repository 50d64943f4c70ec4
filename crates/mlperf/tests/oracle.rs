//! mlstor's sizing and per-run rules against mlpstorage's own code on the same inputs:
//! `tests/oracle_shim.py` runs the unmodified `calculate_training_data_size`,
//! `TrainingRunRulesChecker` and `CheckpointingRunRulesChecker` (tests/data) with the test
//! Python (`MLSTOR_TEST_PYTHON`, else `python3`; they need nothing beyond the standard library).
//! The sizing cases include every training workload file of MLPerf Storage v3.0.

use std::path::{Path, PathBuf};

use mlstor_mlperf::datasize::{self, Inputs};
use mlstor_mlperf::edition::{TOOL_INJECTED_PARAMS, TRAINING_CLOSED_PARAMS, TRAINING_OPEN_PARAMS};
use mlstor_mlperf::rules::{BenchmarkType, Run, Validation, check_run};
use serde_json::{Value, json};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn python() -> String {
    std::env::var("MLSTOR_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn workloads_dir() -> PathBuf {
    std::env::var_os("MLSTOR_ANCHORS")
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/tests/data/mlpstorage-v3"),
            PathBuf::from,
        )
        .join("workloads")
}

/// Every v3.0 workload file, parsed.
fn all_workloads() -> Vec<(String, Value)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(workloads_dir())
        .expect("the v3.0 workload files")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let v: Value = serde_yaml_ng::from_str(&std::fs::read_to_string(&p).ok()?).ok()?;
            Some((p.file_name()?.to_string_lossy().into_owned(), v))
        })
        .collect()
}

/// (name, dataset, reader) of every v3.0 workload file that trains.
fn training_workloads() -> Vec<(String, Value, Value)> {
    all_workloads()
        .into_iter()
        .filter_map(|(name, v)| {
            let (d, r) = (v.get("dataset")?, v.get("reader")?);
            (d.get("num_samples_per_file").is_some() && r.get("batch_size").is_some())
                .then(|| (name, d.clone(), r.clone()))
        })
        .collect()
}

fn oracle(cases: &Value) -> Value {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("cases.json");
    std::fs::write(&file, cases.to_string()).expect("write cases");
    let shim = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle_shim.py");
    let out = std::process::Command::new(python())
        .arg(&shim)
        .arg(&file)
        .output()
        .expect("start the test Python (MLSTOR_TEST_PYTHON or python3)");
    assert!(
        out.status.success(),
        "mlpstorage's code failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the oracle's JSON")
}

#[test]
fn sizing_and_rules_agree_with_mlpstorage() {
    // Sizing: every v3.0 training workload, at several memory sizes, host and accelerator counts.
    let mut sizing = Vec::new();
    let workloads = training_workloads();
    assert!(
        workloads.len() >= 20,
        "only {} training workloads found",
        workloads.len()
    );
    for (i, (name, dataset, reader)) in workloads.iter().enumerate() {
        for (memory_gb, hosts, processes) in [
            (1.0, 1, 1),
            (16.0, 1, 8),
            (64.0, 2, 16),
            (0.5, 3, 7),
            (256.0, 4, 64),
            (1536.0, 8, 512),
        ] {
            let memory_gb = memory_gb + (i % 3) as f64; // vary across files
            sizing.push(
                json!({"name": name, "memory_gb": memory_gb, "hosts": hosts, "processes": processes,
                "dataset": dataset, "reader": reader}),
            );
        }
    }
    let runs = rule_cases();
    // The core-config hash of provenance.json: every workload file as training, the llama3
    // ones as checkpointing too, and a few overridden shapes (strings, floats, booleans).
    let mut core = Vec::new();
    for (name, mut v) in all_workloads() {
        core.push(json!({"name": name, "family": "training", "parameters": v.clone()}));
        if name.starts_with("llama") {
            core.push(json!({"name": name, "family": "checkpointing", "parameters": v.clone()}));
        }
        if let Some(r) = v.get_mut("reader") {
            r["batch_size"] = json!("7");
            r["file_shuffle"] = json!("True");
        }
        if let Some(t) = v.get_mut("train") {
            t["computation_time"] = json!("0.0625");
            t["epochs"] = json!(3.0);
        }
        core.push(json!({"name": format!("{name} overridden"), "family": "training", "parameters": v}));
    }
    let answers = oracle(
        &json!({"datasize": sizing, "runs": runs.iter().map(run_json).collect::<Vec<_>>(), "core_config": core}),
    );
    for (case, want) in core
        .iter()
        .zip(answers["core_config"].as_array().expect("core_config answers"))
    {
        let family = if case["family"] == "training" {
            BenchmarkType::Training
        } else {
            BenchmarkType::Checkpointing
        };
        let got = mlstor_mlperf::provenance::core_config(&case["parameters"], family);
        assert_eq!(&got, want, "{}", case["name"]);
    }

    for (case, want) in sizing
        .iter()
        .zip(answers["datasize"].as_array().expect("datasize answers"))
    {
        let d = datasize::training(&Inputs {
            total_memory_bytes: case["memory_gb"].as_f64().expect("gb")
                * GIB
                * case["hosts"].as_f64().expect("hosts"),
            processes: case["processes"].as_u64().expect("np"),
            batch_size: datasize::as_u64(&case["reader"]["batch_size"]),
            samples_per_file: datasize::as_u64(&case["dataset"]["num_samples_per_file"]),
            record_length: datasize::record_length(&case["dataset"]),
        });
        let got = json!({"num_files_train": d.num_files_train, "num_subfolders_train": d.num_subfolders_train, "total_disk_bytes": d.total_disk_bytes});
        assert_eq!(&got, want, "{}", case);
    }

    let mut categories = [0usize; 3];
    for (run, want) in runs.iter().zip(answers["runs"].as_array().expect("run answers")) {
        let v = check_run(run);
        let mut issues: Vec<Value> = v
            .issues
            .iter()
            .map(|i| json!([i.validation.as_str(), i.parameter.clone().unwrap_or_default()]))
            .collect();
        issues.sort_by_key(|a| a.to_string());
        let mut want_issues = want["issues"].as_array().cloned().unwrap_or_default();
        want_issues.sort_by_key(|a| a.to_string());
        assert_eq!(v.category.as_str(), want["category"], "{}\n{v:#?}", run_json(run));
        assert_eq!(issues, want_issues, "{}", run_json(run));
        categories[v.category as usize] += 1;
    }
    // The corpus reaches every outcome.
    assert!(categories.iter().all(|&n| n > 0), "{categories:?}");
}

fn run_json(r: &Run) -> Value {
    json!({
        "benchmark_type": r.benchmark_type.map(|b| b.as_str()),
        "model": r.model, "command": r.command, "parameters": r.parameters,
        "override_parameters": r.override_parameters, "total_memory_bytes": r.total_memory_bytes,
        "num_processes": r.num_processes, "accelerator": r.accelerator, "run_args": r.run_args,
    })
}

fn training(model: &str, files: u64) -> Run {
    Run {
        benchmark_type: Some(BenchmarkType::Training),
        model: model.into(),
        command: "run".into(),
        num_processes: 8,
        parameters: json!({
            "dataset": {"num_files_train": files, "num_samples_per_file": 1, "record_length_bytes": 146600628, "format": "npz"},
            "reader": {"batch_size": 7},
            "workflow": {"train": true, "checkpoint": false},
        }),
        total_memory_bytes: Some(64.0 * GIB),
        run_args: json!({}),
        metrics: Some(json!({"metric": {}})), // finished (mlpstorage's run checks do not look)
        ..Run::default()
    }
}

/// Each allowed and each forbidden override, each tool-injected parameter, too few files,
/// the unet3d checkpoint and odirect rules, and checkpointing's rank counts, accelerator
/// memory and subset mode.
fn rule_cases() -> Vec<Run> {
    let mut runs = Vec::new();
    let forbidden = [
        "reader.batch_size",
        "train.computation_time",
        "train.epochs",
        "dataset.record_length_bytes",
        "storage.storage_library",
        "model.name",
    ];
    for p in TRAINING_CLOSED_PARAMS
        .iter()
        .chain(TRAINING_OPEN_PARAMS)
        .chain(TOOL_INJECTED_PARAMS)
        .chain(&forbidden)
    {
        for model in ["unet3d", "retinanet"] {
            let mut r = training(model, 28000);
            r.override_parameters.insert((*p).into(), json!("1"));
            runs.push(r);
        }
    }
    let mut r = training("unet3d", 28000);
    r.override_parameters
        .insert("workflow.checkpoint".into(), json!("True"));
    runs.push(r);
    for files in [0, 2343, 2344, 27999, 28000] {
        runs.push(training("unet3d", files));
        let mut r = training("unet3d", files);
        r.total_memory_bytes = None;
        runs.push(r);
        let mut r = training("unet3d", files);
        r.total_memory_bytes = Some(8192.0 * GIB);
        runs.push(r);
    }
    for (model, command, checkpoint) in [
        ("unet3d", "run_benchmark", true),
        ("unet3d", "run_benchmark", false),
        ("unet3d", "run", false),
        ("retinanet", "run_benchmark", false),
    ] {
        let mut r = training(model, 28000);
        r.command = command.into();
        r.parameters["workflow"]["checkpoint"] = json!(checkpoint);
        runs.push(r);
    }
    for (model, odirect) in [
        ("unet3d", json!(true)),
        ("retinanet", json!(true)),
        ("retinanet", json!(false)),
        ("flux", json!("yes")),
        ("bert", json!(false)),
    ] {
        let mut r = training(model, 28000);
        r.parameters["reader"]["odirect"] = odirect;
        runs.push(r);
    }
    let mut r = training("unet3d", 28000);
    r.parameters = json!({"reader": {"batch_size": 7}});
    runs.push(r);
    let mut r = training("unet3d", 28000);
    r.benchmark_type = Some(BenchmarkType::Checkpointing);
    runs.push(r);
    for model in ["llama3-8b", "llama3-70b", "llama3-405b", "llama3-1t", "llama3-3b"] {
        for np in [1, 4, 8, 12, 16, 64, 256, 512, 768, 1024] {
            for accelerator in [Some("b200"), Some("h100"), Some("mi355"), None, Some("tpu")] {
                for subset in [false, true] {
                    runs.push(Run {
                        benchmark_type: Some(BenchmarkType::Checkpointing),
                        model: model.into(),
                        command: "run".into(),
                        num_processes: np,
                        accelerator: accelerator.map(str::to_string),
                        parameters: json!({"checkpoint": {"num_checkpoints_write": 10, "num_checkpoints_read": 10}}),
                        run_args: json!({"checkpoint_subset": subset}),
                        metrics: Some(json!({"metric": {}})),
                        ..Run::default()
                    });
                }
            }
        }
    }
    let _ = Validation::Closed;
    runs
}
