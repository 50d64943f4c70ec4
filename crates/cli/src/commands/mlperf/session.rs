//! What every mlperf command resolves first: the division, the workload and its
//! parameters, where results go, the hosts and the clients' memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use mlstor_mlperf::edition::{self, ACCELERATORS, SUBMISSION_ACCELERATORS};
use mlstor_mlperf::hosts::{self, Host};
use mlstor_mlperf::rules::BenchmarkType;
use mlstor_mlperf::tree::Location;
use serde_json::Value;

use super::CommonArgs;

/// The file `mlstor mlperf init` writes in a results folder (mlpstorage's sentinel name).
pub const SENTINEL: &str = "mlperf-results.yaml";
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

pub struct Session {
    pub mode: String,
    pub model: String,
    pub benchmark_type: BenchmarkType,
    pub accelerator: Option<String>,
    /// The workload (a shipped name or a file) and its YAML text.
    pub workload: String,
    pub workload_text: String,
    /// The user's `--params`, dotted keys.
    pub params: BTreeMap<String, Value>,
    pub results_dir: PathBuf,
}

impl Session {
    pub fn new(
        mode: &str,
        benchmark_type: BenchmarkType,
        model: &str,
        c: &CommonArgs,
        workload_default: String,
    ) -> Result<Session> {
        let accelerator = c.accelerator_type.as_ref().map(|a| a.to_ascii_lowercase());
        if let Some(a) = &accelerator {
            let allowed: Vec<&str> = if mode == "whatif" {
                ACCELERATORS.iter().map(|a| a.0).collect()
            } else {
                SUBMISSION_ACCELERATORS.to_vec()
            };
            if !allowed.contains(&a.as_str()) {
                bail!(
                    "--accelerator-type {a}: {mode} runs use {} (h100 and a100 are what-if only)",
                    allowed.join(" or ")
                );
            }
        }
        if c.workload.is_some() && mode != "whatif" {
            bail!(
                "--workload is for what-if runs only: {mode} runs use the model's MLPerf Storage v3.0 workload file"
            );
        }
        let workload = c.workload.clone().unwrap_or(workload_default);
        let workload_text = match mlstor_bench::workloads::shipped(&workload) {
            Some(t) => t.to_string(),
            None if Path::new(&workload).is_file() => std::fs::read_to_string(&workload)
                .with_context(|| format!("cannot read workload file {workload}"))?,
            None => bail!(
                "no workload {workload:?}: the combination of model {model} and accelerator {} has no MLPerf Storage v3.0 workload file (shipped: {})",
                accelerator.as_deref().unwrap_or("-"),
                mlstor_bench::workloads::names().collect::<Vec<_>>().join(", ")
            ),
        };
        let mut params = BTreeMap::new();
        for p in &c.params {
            let Some((k, v)) = p.split_once('=') else {
                bail!("--params {p:?}: write KEY=VALUE (e.g. reader.read_threads=8)");
            };
            let k = k.trim().trim_start_matches("++").trim_start_matches("workload.");
            if k.is_empty() {
                bail!("--params {p:?}: the key is empty");
            }
            params.insert(k.to_string(), scalar(v));
        }
        let results_dir = c
            .results_dir
            .clone()
            .or_else(|| std::env::var_os("MLPSTORAGE_RESULTS_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("mlperf-results"));
        Ok(Session {
            mode: mode.to_string(),
            model: model.to_string(),
            benchmark_type,
            accelerator,
            workload,
            workload_text,
            params,
            results_dir,
        })
    }

    /// The workload's YAML as JSON with `overrides` laid over it (mlpstorage's
    /// `combined_params`: the file as written plus the dotted parameters).
    pub fn parameters(&self, overrides: &BTreeMap<String, Value>) -> Result<Value> {
        let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&self.workload_text)
            .with_context(|| format!("workload {} is not valid YAML", self.workload))?;
        let mut v = serde_json::to_value(yaml).with_context(|| format!("workload {}", self.workload))?;
        for (k, val) in overrides {
            set_dotted(&mut v, k, val.clone());
        }
        Ok(v)
    }

    /// The run folder for `command` at `datetime`.
    pub fn location(&self, c: &CommonArgs, command: Option<&str>, datetime: &str) -> Result<Location> {
        let orgname = match c.orgname.clone().or_else(|| std::env::var("MLPSTORAGE_ORGNAME").ok()) {
            Some(o) => o,
            None => read_sentinel(&self.results_dir)?.with_context(|| {
                format!(
                    "no organisation name: give --orgname NAME, set MLPSTORAGE_ORGNAME, or run `mlstor mlperf init NAME {}` once",
                    self.results_dir.display()
                )
            })?,
        };
        let systemname = c
            .systemname
            .clone()
            .or_else(|| std::env::var("MLPSTORAGE_SYSTEMNAME").ok())
            .context("no system name: give --systemname NAME or set MLPSTORAGE_SYSTEMNAME")?;
        Ok(Location {
            results_dir: self.results_dir.clone(),
            mode: self.mode.clone(),
            orgname,
            systemname,
            benchmark_type: self.benchmark_type,
            model: self.model.clone(),
            command: command.map(str::to_string),
            datetime: datetime.to_string(),
        })
    }
}

impl Session {
    /// A new run folder for `command`, created now (so that two invocations in the same
    /// second never share one: the second waits for the next second), and its location.
    pub fn claim(
        &self,
        c: &CommonArgs,
        command: Option<&str>,
        after: Option<&str>,
    ) -> Result<(Location, PathBuf)> {
        let mut datetime = datetime_after(after);
        loop {
            let l = self.location(c, command, &datetime)?;
            let dir = l.path()?;
            let parent = dir.parent().context("a run folder has a parent")?;
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok((l, dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    datetime = datetime_after(Some(&datetime))
                }
                Err(e) => return Err(e).with_context(|| format!("cannot create {}", dir.display())),
            }
        }
    }
}

/// The run with the values of credential-like keys masked (`***`), for the records.
pub fn masked(run: &mlstor_mlperf::rules::Run) -> mlstor_mlperf::rules::Run {
    let mut r = run.clone();
    mask(&mut r.parameters);
    mask(&mut r.run_args);
    for (k, v) in r.override_parameters.iter_mut() {
        if k.rsplit('.')
            .next()
            .is_some_and(mlstor_bench::config::is_secret_key)
        {
            *v = Value::String("***".into());
        }
    }
    if let Some(params) = r.run_args.get_mut("params").and_then(Value::as_array_mut) {
        for p in params {
            if let Some(s) = p.as_str() {
                *p = Value::String(mlstor_bench::config::mask_override(s));
            }
        }
    }
    r
}

/// Replaces the values of credential-like keys with `***`, at any depth.
pub fn mask(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                if mlstor_bench::config::is_secret_key(k) && !val.is_null() {
                    *val = Value::String("***".into());
                } else {
                    mask(val);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(mask),
        _ => {}
    }
}

/// `--params` values typed as YAML would type them (`8` a number, `True` a bool).
pub fn scalar(v: &str) -> Value {
    match v.trim() {
        "True" | "true" => Value::Bool(true),
        "False" | "false" => Value::Bool(false),
        t => t
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| t.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| Value::String(v.to_string())),
    }
}

/// Sets `a.b.c` in a JSON object, making the objects on the way.
pub fn set_dotted(root: &mut Value, key: &str, val: Value) {
    let mut cur = root;
    let parts: Vec<&str> = key.split('.').collect();
    for (i, p) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = Value::Object(Default::default());
        }
        let Value::Object(m) = cur else { return };
        if i + 1 == parts.len() {
            m.insert((*p).to_string(), val);
            return;
        }
        cur = m
            .entry((*p).to_string())
            .or_insert_with(|| Value::Object(Default::default()));
    }
}

/// The organisation recorded by `mlstor mlperf init` (or mlpstorage's `init`).
pub fn read_sentinel(results_dir: &Path) -> Result<Option<String>> {
    let path = results_dir.join(SENTINEL);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let v: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).with_context(|| format!("{} is not valid YAML", path.display()))?;
    Ok(v.get("orgname").and_then(|o| o.as_str()).map(str::to_string))
}

/// The hosts and the ranks each runs (default: this host with every rank).
pub fn hosts(c: &CommonArgs, processes: u64) -> Result<Vec<Host>> {
    if c.hosts.is_empty() {
        return Ok(vec![Host {
            name: "localhost".into(),
            slots: processes.max(1),
        }]);
    }
    Ok(hosts::parse(&c.hosts, processes)?)
}

/// This host's memory (`MemTotal` of /proc/meminfo), in bytes.
pub fn local_memory_bytes() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// The clients' memory the sizing uses: the declared GB x hosts, or (CLOSED and OPEN) the
/// measured memory when it is larger, as mlpstorage does (storage#785). Measured only when
/// every host is this one; what-if runs take the declaration as given.
pub struct Memory {
    pub declared_bytes: f64,
    pub measured_bytes: Option<f64>,
    pub used_bytes: f64,
    pub hosts: u64,
}

/// `measure_remote`: measure listed hosts over mpirun (datasize; a run's ranks measure their
/// hosts themselves).
pub fn memory(mode: &str, c: &CommonArgs, hosts: &[Host], measure_remote: bool) -> Result<Memory> {
    let gb = c
        .client_host_memory_in_gb
        .context("give --client-host-memory-in-gb GB (each client host's memory)")?;
    if !(gb > 0.0 && gb.is_finite()) {
        bail!("--client-host-memory-in-gb {gb}: must be a positive number of GB");
    }
    let n = c.num_client_hosts.unwrap_or(hosts.len() as u64).max(1);
    let declared = gb * GIB * n as f64;
    let this = hostname();
    let local = hosts::all_local(hosts, &this);
    let measured = if n == 1 && local {
        local_memory_bytes()
    } else if !local && mode != "whatif" && measure_remote {
        super::launch::remote_memory(c, hosts)
    } else {
        None
    };
    let used = match measured {
        Some(m) if mode != "whatif" && m > declared => {
            eprintln!(
                "warning: the client hosts have {:.1} GiB, more than the declared {:.1} GiB; sizing against the measured memory (as mlpstorage does, storage#785)",
                m / GIB,
                declared / GIB
            );
            m
        }
        _ => declared,
    };
    Ok(Memory {
        declared_bytes: declared,
        measured_bytes: measured,
        used_bytes: used,
        hosts: n,
    })
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// `YYYYmmdd_HHMMSS` now, in local time as mlpstorage writes it; never the same as `after`.
pub fn datetime_after(after: Option<&str>) -> String {
    loop {
        let now = chrono::Local::now().format("%Y%m%d_%H%M%S").to_string();
        if after != Some(now.as_str()) {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

pub fn gib(bytes: f64) -> f64 {
    bytes / GIB
}

/// The accelerator a training workload needs, checked against the model's division.
pub fn training_model(mode: &str, model: &str) -> Result<()> {
    let all = edition::TRAINING_MODELS;
    if !all.contains(&model) {
        bail!("unknown training model {model:?}: one of {}", all.join(", "));
    }
    if mode != "whatif" && !edition::SUBMISSION_TRAINING_MODELS.contains(&model) {
        bail!(
            "{model} is a what-if model in MLPerf Storage v3.0: run it with `mlstor mlperf whatif training {model} ...` ({mode} has {})",
            edition::SUBMISSION_TRAINING_MODELS.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_never_hold_credentials() {
        let mut run = mlstor_mlperf::rules::Run {
            parameters: json!({"storage": {"storage_options": {"secret_access_key": "k1", "endpoint_url": "http://e"}}}),
            run_args: json!({"params": ["storage.storage_options.secret_access_key=k2", "reader.read_threads=8"]}),
            ..Default::default()
        };
        run.override_parameters
            .insert("storage.storage_options.secret_access_key".into(), json!("k3"));
        let m = masked(&run);
        let text = format!("{:?}", (&m.parameters, &m.run_args, &m.override_parameters));
        assert!(
            !text.contains("k1") && !text.contains("k2") && !text.contains("k3"),
            "{text}"
        );
        assert!(
            text.contains("http://e") && text.contains("read_threads=8"),
            "{text}"
        );
        assert_eq!(scalar("8"), json!(8));
        assert_eq!(scalar("True"), json!(true));
        assert_eq!(scalar("0.5"), json!(0.5));
        assert_eq!(scalar("s3dlio"), json!("s3dlio"));
    }
}
