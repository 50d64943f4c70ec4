//! mlpstorage's results tree: where each run is recorded, the `*_metadata.json` that says
//! what ran, and finding and reading runs back (from mlstor's trees and from
//! mlpstorage + DLIO's).
//!
//! ```text
//! <results>/<closed|open|whatif>/<org>/results/<system>/training/<model>/<datasize|datagen|run|configview>/<YYYYmmdd_HHMMSS>/
//! <results>/<closed|open|whatif>/<org>/results/<system>/checkpointing/<model>/<YYYYmmdd_HHMMSS>/
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::rules::{BenchmarkType, Run};

/// Why a tree could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("{name} {value:?} is not a safe path component (letters, digits, '.', '_', '-' only)")]
    UnsafeComponent { name: &'static str, value: String },
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid JSON")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: {why}")]
    Run { path: PathBuf, why: String },
}

/// Where one run goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub results_dir: PathBuf,
    /// `closed`, `open` or `whatif`.
    pub mode: String,
    pub orgname: String,
    pub systemname: String,
    pub benchmark_type: BenchmarkType,
    pub model: String,
    /// Training's phase (`datasize`, `datagen`, `run`, `configview`); none for checkpointing.
    pub command: Option<String>,
    pub datetime: String,
}

impl Location {
    /// mlpstorage's `generate_output_location`: every segment checked, no trailing slash.
    pub fn path(&self) -> Result<PathBuf, TreeError> {
        let mut p = self.results_dir.clone();
        for (name, value) in [
            ("mode", &self.mode),
            ("orgname", &self.orgname),
            ("systemname", &self.systemname),
            ("model", &self.model),
            ("datetime", &self.datetime),
        ] {
            safe(name, value)?;
        }
        p.push(&self.mode);
        p.push(&self.orgname);
        p.push("results");
        p.push(&self.systemname);
        p.push(self.benchmark_type.as_str());
        p.push(&self.model);
        if let Some(c) = &self.command {
            safe("command", c)?;
            p.push(c);
        }
        p.push(&self.datetime);
        Ok(p)
    }
}

fn safe(name: &'static str, value: &str) -> Result<(), TreeError> {
    let ok = !value.is_empty()
        && value != "."
        && value != ".."
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(TreeError::UnsafeComponent {
            name,
            value: value.to_string(),
        })
    }
}

/// The metadata file's name: `training_20261203_130000_metadata.json`.
pub fn metadata_name(benchmark_type: BenchmarkType, datetime: &str) -> String {
    format!("{}_{datetime}_metadata.json", benchmark_type.as_str())
}

/// Writes `value` as indented JSON to `dir/name` through a temporary name (never half a file).
pub fn write_json(dir: &Path, name: &str, value: &Value) -> Result<PathBuf, TreeError> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    let text = serde_json::to_string_pretty(value).map_err(|source| TreeError::Json {
        path: path.clone(),
        source,
    })?;
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&tmp, text + "\n"))
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|source| TreeError::Write {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

fn read_json(path: &Path) -> Result<Value, TreeError> {
    let text = std::fs::read_to_string(path).map_err(|source| TreeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| TreeError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// A folder the walk found but could not read as a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub path: PathBuf,
    pub why: String,
}

/// Every run under `dir` (a folder holding `summary.json` or exactly one `*_metadata.json`),
/// in path order, and the folders that looked like runs but could not be read.
pub fn find_runs(dir: &Path) -> Result<(Vec<Run>, Vec<Skipped>), TreeError> {
    let mut runs = Vec::new();
    let mut skipped = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    if !dir.is_dir() {
        return Err(TreeError::Run {
            path: dir.to_path_buf(),
            why: "no such folder".into(),
        });
    }
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) if d != dir => {
                skipped.push(Skipped {
                    path: d.clone(),
                    why: format!("cannot read the folder: {e}"),
                });
                continue;
            }
            Err(source) => {
                return Err(TreeError::Read {
                    path: d.clone(),
                    source,
                });
            }
        };
        let mut files = Vec::new();
        let mut subdirs = Vec::new();
        for e in entries.flatten() {
            let p = e.path();
            // The entry's own type: a link to a folder is not followed (a link to a parent
            // would walk forever).
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                if p.file_name()
                    .is_some_and(|n| n != "dlio_config" && !n.to_string_lossy().starts_with('.'))
                {
                    subdirs.push(p);
                }
            } else if let Some(n) = p.file_name().and_then(|n| n.to_str()) {
                files.push(n.to_string());
            }
        }
        subdirs.sort();
        stack.extend(subdirs.into_iter().rev());
        let metadata: Vec<&String> = files.iter().filter(|f| f.ends_with("_metadata.json")).collect();
        let summary = files.iter().any(|f| f == "summary.json");
        if metadata.len() > 1 {
            skipped.push(Skipped {
                path: d.clone(),
                why: format!(
                    "{} *_metadata.json files; only one may identify a run: remove the ones that do not belong here",
                    metadata.len()
                ),
            });
            continue;
        }
        if metadata.is_empty() && !summary {
            continue;
        }
        match read_run(&d, metadata.first().map(|m| d.join(m)).as_deref()) {
            Ok(r) => runs.push(r),
            Err(e) => skipped.push(Skipped {
                path: d.clone(),
                why: error_chain(&e),
            }),
        }
    }
    runs.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok((runs, skipped))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

/// One run folder: its metadata when it has the keys that say what ran, else DLIO's
/// `summary.json` and `dlio_config/` (as mlpstorage's `ResultFilesExtractor` does).
pub fn read_run(dir: &Path, metadata: Option<&Path>) -> Result<Run, TreeError> {
    let meta = metadata.map(read_json).transpose()?;
    let summary_path = dir.join("summary.json");
    let summary = summary_path
        .is_file()
        .then(|| read_json(&summary_path))
        .transpose()?;
    let complete = meta.as_ref().is_some_and(|m| {
        ["benchmark_type", "run_datetime", "num_processes", "parameters"]
            .iter()
            .all(|k| m.get(k).is_some())
    });
    let mut run = if complete {
        from_metadata(meta.as_ref().unwrap_or(&Value::Null), summary.as_ref())
    } else {
        from_dlio(dir, summary.as_ref())?
    };
    run.dir = Some(dir.to_path_buf());
    Ok(run)
}

fn from_metadata(m: &Value, summary: Option<&Value>) -> Run {
    let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let system = m.get("system_info").filter(|v| v.is_object());
    Run {
        benchmark_type: m
            .get("benchmark_type")
            .and_then(Value::as_str)
            .and_then(benchmark_type),
        model: s("model"),
        command: s("command"),
        run_datetime: s("run_datetime"),
        num_processes: m.get("num_processes").and_then(Value::as_u64).unwrap_or(0),
        parameters: m.get("parameters").cloned().unwrap_or(Value::Null),
        override_parameters: m
            .get("override_parameters")
            .and_then(Value::as_object)
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        accelerator: m.get("accelerator").and_then(Value::as_str).map(str::to_string),
        total_memory_bytes: system
            .and_then(|s| s.get("total_memory_bytes"))
            .and_then(Value::as_f64)
            .or_else(|| summary.and_then(summary_memory)),
        num_hosts: system
            .and_then(|s| s.get("num_hosts"))
            .and_then(Value::as_u64)
            .or_else(|| summary.and_then(|s| s.get("num_hosts")).and_then(Value::as_u64)),
        run_args: m.get("args").cloned().unwrap_or_else(|| json!({})),
        metrics: summary.cloned(),
        dir: None,
        exit_status: m.get("exit_status").and_then(Value::as_i64),
    }
}

fn benchmark_type(s: &str) -> Option<BenchmarkType> {
    match s.to_ascii_lowercase().as_str() {
        "training" => Some(BenchmarkType::Training),
        "checkpointing" => Some(BenchmarkType::Checkpointing),
        _ => None,
    }
}

/// Client memory from DLIO's `summary.json` (`host_memory_GB`: one entry per host).
pub fn summary_memory(s: &Value) -> Option<f64> {
    let gb: f64 = s
        .get("host_memory_GB")?
        .as_array()?
        .iter()
        .filter_map(Value::as_f64)
        .sum();
    Some(gb * f64::from(1u32 << 30))
}

/// A DLIO run folder without (usable) metadata: the workload from `dlio_config/config.yaml`,
/// the overrides from `dlio_config/overrides.yaml`, the rest from `summary.json`.
fn from_dlio(dir: &Path, summary: Option<&Value>) -> Result<Run, TreeError> {
    let bad = |why: &str| TreeError::Run {
        path: dir.to_path_buf(),
        why: why.to_string(),
    };
    let summary = summary.ok_or_else(|| bad("no usable *_metadata.json and no summary.json"))?;
    let config_path = dir.join("dlio_config/config.yaml");
    let text = std::fs::read_to_string(&config_path).map_err(|source| TreeError::Read {
        path: config_path.clone(),
        source,
    })?;
    let config: Value =
        serde_yaml_ng::from_str(&text).map_err(|e| bad(&format!("dlio_config/config.yaml: {e}")))?;
    let workload = config.get("workload").cloned().unwrap_or(config);
    let overrides: Vec<String> = std::fs::read_to_string(dir.join("dlio_config/overrides.yaml"))
        .ok()
        .and_then(|t| serde_yaml_ng::from_str(&t).ok())
        .unwrap_or_default();
    let flag = |k: &str| {
        workload
            .get("workflow")
            .and_then(|w| w.get(k))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let (benchmark_type, command) = if flag("train") {
        (BenchmarkType::Training, "run")
    } else if flag("generate_data") {
        (BenchmarkType::Training, "datagen")
    } else if flag("checkpoint") {
        (BenchmarkType::Checkpointing, "run")
    } else {
        return Err(bad(
            "cannot tell the benchmark type: the workflow neither trains, generates nor checkpoints",
        ));
    };
    let workload_name = overrides.iter().find_map(|o| o.strip_prefix("workload="));
    let accelerator = (benchmark_type == BenchmarkType::Training)
        .then(|| {
            workload_name
                .and_then(|w| w.split('_').nth(1))
                .map(str::to_string)
        })
        .flatten();
    let model = workload
        .get("model")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .replace("llama_", "llama3-")
        .replace('_', "-");
    let override_parameters: BTreeMap<String, Value> = overrides
        .iter()
        .filter_map(|o| {
            o.strip_prefix("++workload.")
                .or_else(|| o.strip_prefix("workload."))
        })
        .filter_map(|o| o.split_once('='))
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    Ok(Run {
        benchmark_type: Some(benchmark_type),
        model,
        command: command.to_string(),
        run_datetime: summary
            .get("start")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        num_processes: summary
            .get("num_accelerators")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        parameters: workload,
        override_parameters,
        accelerator,
        total_memory_bytes: summary_memory(summary),
        num_hosts: summary.get("num_hosts").and_then(Value::as_u64),
        run_args: json!({}),
        metrics: Some(summary.clone()),
        dir: None,
        exit_status: None,
    })
}

/// `YYYYmmdd_HHMMSS` or an ISO-8601 time (`2026-12-03T13:00:00[.ffffff]`) as seconds since
/// an arbitrary epoch (for differences only).
pub fn parse_time(s: &str) -> Option<i64> {
    let digits: String = s
        .chars()
        .take_while(|c| *c != '.')
        .filter(char::is_ascii_digit)
        .collect();
    if digits.len() < 14 {
        return None;
    }
    let n = |a: usize, b: usize| digits[a..b].parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (n(0, 4)?, n(4, 6)?, n(6, 8)?, n(8, 10)?, n(10, 12)?, n(12, 14)?);
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * ((mo + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
}

/// The metadata of a run as mlpstorage writes it (`Benchmark.metadata`), with mlstor's
/// own keys (`tool`, `exit_status`, `end_datetime`) added.
pub fn metadata(run: &Run, location: &Location, extra: Map<String, Value>) -> Value {
    let mut m = Map::new();
    m.insert("benchmark_type".into(), json!(location.benchmark_type.as_str()));
    m.insert("model".into(), json!(run.model));
    m.insert("command".into(), json!(run.command));
    m.insert("run_datetime".into(), json!(run.run_datetime));
    m.insert("num_processes".into(), json!(run.num_processes));
    m.insert("accelerator".into(), json!(run.accelerator));
    m.insert("result_dir".into(), json!(run.dir));
    m.insert("parameters".into(), run.parameters.clone());
    m.insert("override_parameters".into(), json!(run.override_parameters));
    m.insert(
        "system_info".into(),
        run.total_memory_bytes.map_or(
            Value::Null,
            |t| json!({"total_memory_bytes": t as u64, "num_hosts": run.num_hosts.unwrap_or(1)}),
        ),
    );
    m.insert("args".into(), run.run_args.clone());
    m.extend(extra);
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_follow_mlpstorage() {
        let mut l = Location {
            results_dir: "/r".into(),
            mode: "closed".into(),
            orgname: "Acme".into(),
            systemname: "sys1".into(),
            benchmark_type: BenchmarkType::Training,
            model: "unet3d".into(),
            command: Some("run".into()),
            datetime: "20261203_130000".into(),
        };
        assert_eq!(
            l.path().expect("path"),
            Path::new("/r/closed/Acme/results/sys1/training/unet3d/run/20261203_130000")
        );
        l.benchmark_type = BenchmarkType::Checkpointing;
        l.model = "llama3-8b".into();
        l.command = None;
        assert_eq!(
            l.path().expect("path"),
            Path::new("/r/closed/Acme/results/sys1/checkpointing/llama3-8b/20261203_130000")
        );
        l.systemname = "../x".into();
        assert!(matches!(
            l.path(),
            Err(TreeError::UnsafeComponent {
                name: "systemname",
                ..
            })
        ));
    }

    #[test]
    fn a_dlio_run_without_metadata_is_read_from_its_own_files() {
        // What mlpstorage + DLIO leave when the metadata is gone: summary.json and dlio_config/.
        let d = tempfile::tempdir().expect("tmp");
        let run = d
            .path()
            .join("closed/A/results/s/training/unet3d/run/20261203_130000");
        std::fs::create_dir_all(run.join("dlio_config")).expect("mkdir");
        std::fs::write(
            run.join("summary.json"),
            r#"{"start": "2026-12-03T13:00:00.1", "end": "2026-12-03T13:10:00.2", "num_accelerators": 8, "num_hosts": 2, "host_memory_GB": [256.0, 256.0], "metric": {"train_au_meet_expectation": "success"}}"#,
        )
        .expect("summary");
        std::fs::write(
            run.join("dlio_config/config.yaml"),
            "workload:\n  model:\n    name: unet3d\n  workflow:\n    train: true\n  dataset:\n    num_files_train: 28000\n    num_samples_per_file: 1\n    record_length_bytes: 146600628\n  reader:\n    batch_size: 7\n",
        )
        .expect("config");
        std::fs::write(
            run.join("dlio_config/overrides.yaml"),
            "- workload=unet3d_b200\n- ++workload.dataset.num_files_train=28000\n- ++workload.reader.read_threads=8\n",
        )
        .expect("overrides");
        let (runs, skipped) = find_runs(d.path()).expect("walk");
        assert!(skipped.is_empty(), "{skipped:?}");
        let r = &runs[0];
        assert_eq!(r.benchmark_type, Some(BenchmarkType::Training));
        assert_eq!((r.model.as_str(), r.command.as_str()), ("unet3d", "run"));
        assert_eq!(r.accelerator.as_deref(), Some("b200"));
        assert_eq!(r.num_processes, 8);
        assert_eq!(r.total_memory_bytes, Some(512.0 * f64::from(1u32 << 30)));
        assert_eq!(
            r.override_parameters.get("reader.read_threads"),
            Some(&json!("8"))
        );
        assert_eq!(
            crate::rules::check_run(r).category,
            crate::rules::Validation::Closed
        );
    }

    #[test]
    fn times_parse_both_ways() {
        let a = parse_time("20261203_130000").expect("dt");
        let b = parse_time("2026-12-03T13:00:30.123456").expect("iso");
        assert_eq!(b - a, 30);
        assert_eq!(
            parse_time("20260301_000000").expect("mar") - parse_time("20260228_000000").expect("feb"),
            86_400
        );
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn runs_are_found_and_bad_ones_named() {
        let d = tempfile::tempdir().expect("tmp");
        let run_dir = d
            .path()
            .join("closed/A/results/s/training/unet3d/run/20261203_130000");
        let run = Run {
            benchmark_type: Some(BenchmarkType::Training),
            model: "unet3d".into(),
            command: "run".into(),
            run_datetime: "20261203_130000".into(),
            num_processes: 2,
            parameters: json!({"dataset": {"num_files_train": 10}}),
            total_memory_bytes: Some(1e9),
            num_hosts: Some(1),
            run_args: json!({}),
            ..Run::default()
        };
        let loc = Location {
            results_dir: d.path().into(),
            mode: "closed".into(),
            orgname: "A".into(),
            systemname: "s".into(),
            benchmark_type: BenchmarkType::Training,
            model: "unet3d".into(),
            command: Some("run".into()),
            datetime: "20261203_130000".into(),
        };
        write_json(
            &run_dir,
            &metadata_name(BenchmarkType::Training, "20261203_130000"),
            &metadata(&run, &loc, Map::new()),
        )
        .expect("write");
        let two = d
            .path()
            .join("closed/A/results/s/training/unet3d/run/20261203_140000");
        std::fs::create_dir_all(&two).expect("mkdir");
        std::fs::write(two.join("a_metadata.json"), "{}").expect("a");
        std::fs::write(two.join("b_metadata.json"), "{}").expect("b");
        let broken = d
            .path()
            .join("closed/A/results/s/training/unet3d/run/20261203_150000");
        std::fs::create_dir_all(&broken).expect("mkdir");
        std::fs::write(broken.join("summary.json"), "{\"start\": ").expect("cut");
        let (runs, skipped) = find_runs(d.path()).expect("walk");
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].total_memory_bytes, Some(1e9));
        assert_eq!(runs[0].parameters["dataset"]["num_files_train"], 10);
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(skipped.iter().any(|s| s.why.contains("2 *_metadata.json")));
        assert!(skipped.iter().any(|s| s.why.contains("not valid JSON")));
        assert!(find_runs(&d.path().join("nope")).is_err());
    }
}

/// The system description of a run (mlpstorage's `<type>_cluster_info.json`, the keys of its
/// `ClusterInformation`): from what the ranks measured (DLIO's `summary.json`: memory and
/// CPUs per host) when the run wrote one, else from the declaration (`collection_method`
/// `args`, as mlpstorage falls back to).
pub fn cluster_info(
    summary: Option<&Value>,
    declared_bytes_per_host: Option<f64>,
    hosts: &[String],
    at: &str,
) -> Value {
    let gib = 1024.0 * 1024.0 * 1024.0;
    let measured = summary.and_then(|s| {
        let memory: Vec<f64> = s
            .get("host_memory_GB")?
            .as_array()?
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        let cpus: Vec<u64> = s
            .get("host_cpu_count")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        let name = s.get("hostname").and_then(Value::as_str);
        let model = s
            .get("host_processor_name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        Some(
            memory
                .iter()
                .enumerate()
                .map(|(i, gb)| {
                    let hostname = match (memory.len(), name) {
                        (1, Some(n)) => n.to_string(),
                        _ => format!("host_{i}"),
                    };
                    (
                        hostname,
                        (gb * gib) as u64,
                        cpus.get(i).copied().unwrap_or(0),
                        model.to_string(),
                    )
                })
                .collect::<Vec<_>>(),
        )
    });
    let (method, hosts): (&str, Vec<(String, u64, u64, String)>) = match measured {
        Some(h) if !h.is_empty() => ("dlio_summary", h),
        _ => (
            "args",
            hosts
                .iter()
                .map(|h| {
                    (
                        h.clone(),
                        declared_bytes_per_host.unwrap_or(0.0) as u64,
                        0,
                        String::new(),
                    )
                })
                .collect(),
        ),
    };
    let total: u64 = hosts.iter().map(|h| h.1).sum();
    let cores: u64 = hosts.iter().map(|h| h.2).sum();
    let mut issues = Vec::new();
    if hosts.iter().any(|h| h.1 != hosts[0].1) {
        issues.push("hosts differ in memory".to_string());
    }
    json!({
        "total_memory_bytes": total,
        "total_cores": cores,
        "num_hosts": hosts.len(),
        "min_memory_bytes": hosts.iter().map(|h| h.1).min().unwrap_or(0),
        "max_memory_bytes": hosts.iter().map(|h| h.1).max().unwrap_or(0),
        "collection_method": method,
        "collection_timestamp": at,
        "host_consistency_issues": issues,
        "hosts": hosts.iter().map(|(name, mem, cpus, model)| json!({
            "hostname": name,
            "memory": {"total": mem},
            "cpu": {"num_logical_cores": cpus, "model": model},
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod cluster_tests {
    use super::*;

    #[test]
    fn measured_hosts_win_over_the_declaration() {
        let s =
            json!({"host_memory_GB": [16.0, 16.0], "host_cpu_count": [8, 8], "host_processor_name": "EPYC"});
        let c = cluster_info(Some(&s), Some(1.0), &["a".into()], "t");
        assert_eq!(c["num_hosts"], 2);
        assert_eq!(c["total_memory_bytes"], 32u64 << 30);
        assert_eq!(c["collection_method"], "dlio_summary");
        let c = cluster_info(
            None,
            Some(4.0 * 1024.0 * 1024.0 * 1024.0),
            &["a".into(), "b".into()],
            "t",
        );
        assert_eq!(c["collection_method"], "args");
        assert_eq!(c["total_memory_bytes"], 8u64 << 30);
    }
}
