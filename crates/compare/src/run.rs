//! One comparison, start to end: which libraries can run, the objects' CRCs, then for every
//! repeat every library in turn (the order rotates each repeat, so no library always goes
//! first), each in its own clean prefix: its write, the check of what it wrote, its read of
//! it, the check of what it read, and the prefix deleted.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use mlstor_store::{Store, StoreExt};

use crate::CompareError;
use crate::data::Objects;
use crate::library::Runner;
use crate::spec::{Op, Spec};
use crate::summary::{Check, Sample};
use crate::worker::{self, Job, Launch};

/// Everything a comparison measured: the raw samples (re-rendered by `--from-json`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub tool: String,
    pub started: String,
    pub environment: Environment,
    pub settings: Settings,
    pub libraries: Vec<LibraryRun>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    pub target: String,
    /// This run's folder in the bucket; library `L`'s repeat `r` is `{run_prefix}L/rR/`.
    pub run_prefix: String,
    pub files: usize,
    pub size: usize,
    pub threads: usize,
    pub repeat: usize,
    pub warmup: usize,
    pub ops: Vec<Op>,
    /// As given (credentials in URLs removed).
    pub endpoints: Vec<String>,
    pub batch_objects: usize,
    pub data: String,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Environment {
    pub mlstor_version: String,
    pub cpu_model: Option<String>,
    pub cpus: usize,
    pub memory_bytes: Option<u64>,
    pub kernel: Option<String>,
    pub python: Option<String>,
    pub python_version: Option<String>,
}

/// One library's results.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LibraryRun {
    pub name: String,
    pub usage: String,
    pub version: Option<String>,
    pub write: Vec<Sample>,
    pub read: Vec<Sample>,
    /// Worker failures, one line each (`rep 2 read: ...`).
    pub failures: Vec<String>,
}

impl LibraryRun {
    pub fn samples(&self, op: Op) -> &[Sample] {
        match op {
            Op::Write => &self.write,
            Op::Read => &self.read,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    pub name: String,
    pub why: String,
}

/// The mlstor binary and the global flags its `compare-worker` gets.
#[derive(Debug, Clone)]
pub struct Native {
    pub exe: PathBuf,
    pub args: Vec<String>,
}

/// Runs `spec`; `admin` is a store on the target's root (prefixes are created, checked and
/// deleted through it); `say` hears one line per finished step.
pub async fn run(
    spec: &Spec,
    admin: Arc<dyn Store>,
    native: Native,
    say: &(dyn Fn(&str) + Sync),
) -> Result<Report, CompareError> {
    spec.check()?;
    let scratch = tempfile::tempdir().map_err(|e| CompareError::io(&std::env::temp_dir(), e))?;
    let script = worker::write_python_worker(scratch.path())?;
    let python_launch = Launch::Python {
        python: spec.python.clone(),
        script,
    };
    let native_launch = Launch::Native {
        exe: native.exe,
        args: native.args,
    };

    // Which libraries can run here.
    let mut runnable: Vec<(String, String, Option<PathBuf>, &Launch)> = Vec::new();
    let mut skipped = Vec::new();
    let py_libs: Vec<_> = spec
        .libraries
        .iter()
        .filter(|l| l.runner == Runner::Python && l.speaks(&spec.target.scheme))
        .collect();
    let importable = if py_libs.is_empty() {
        Vec::new()
    } else {
        let mods: Vec<&str> = py_libs.iter().map(|l| l.module).collect();
        match worker::importable(&spec.python, &mods) {
            Ok(v) => v,
            Err(e) => vec![false; mods.len()]
                .into_iter()
                .inspect(|_| say(&e.to_string()))
                .collect(),
        }
    };
    let found: HashMap<&str, bool> = py_libs.iter().map(|l| l.name).zip(importable).collect();
    for l in &spec.libraries {
        if !l.speaks(&spec.target.scheme) {
            skipped.push(Skipped {
                name: l.name.into(),
                why: format!("does not speak {}://", spec.target.scheme),
            });
        } else if l.runner == Runner::Native {
            runnable.push((l.name.into(), l.usage.into(), None, &native_launch));
        } else if found.get(l.name) == Some(&true) {
            runnable.push((l.name.into(), l.usage.into(), None, &python_launch));
        } else {
            skipped.push(Skipped {
                name: l.name.into(),
                why: format!(
                    "not installed for {} ({})",
                    spec.python.display(),
                    l.install_hint()
                ),
            });
        }
    }
    for (name, file) in &spec.plugins {
        runnable.push((
            name.clone(),
            format!("plugin {}", file.display()),
            Some(file.clone()),
            &python_launch,
        ));
    }

    let objects = Arc::new(Objects::new(spec.size)?);
    let crcs = if spec.ops.contains(&Op::Read) {
        say(&format!(
            "computing the CRC-32 of {} objects (not timed)",
            spec.files
        ));
        let o = objects.clone();
        let n = spec.files;
        tokio::task::spawn_blocking(move || o.crcs(n))
            .await
            .map_err(|e| CompareError::Spec(e.to_string()))?
    } else {
        Vec::new()
    };
    let started = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string();
    let base = spec.prefix.trim_matches('/');
    let run_prefix = format!(
        "{}{}mlstor-compare-{}-{:06x}/",
        base,
        if base.is_empty() { "" } else { "/" },
        chrono::Local::now().format("%Y%m%d-%H%M%S"),
        fastrand::u32(..0xff_ffff)
    );

    let mut runs: Vec<LibraryRun> = runnable
        .iter()
        .map(|(name, usage, ..)| LibraryRun {
            name: name.clone(),
            usage: usage.clone(),
            version: None,
            write: Vec::new(),
            read: Vec::new(),
            failures: Vec::new(),
        })
        .collect();
    let n_libs = runnable.len();
    for rep in 0..spec.repeat {
        for k in 0..n_libs {
            let li = (k + rep) % n_libs;
            let (name, _, plugin, launch) = &runnable[li];
            let prefix = format!("{run_prefix}{name}/r{rep}/");
            let job = Job {
                library: name.clone(),
                op: Op::Write,
                scheme: spec.target.scheme.clone(),
                bucket: spec.target.bucket.clone(),
                prefix: prefix.clone(),
                objects: spec.files,
                size: spec.size,
                threads: spec.threads,
                warmup: spec.warmup,
                batch_objects: spec.batch_objects(),
                endpoints: spec.endpoints.clone(),
                region: spec.region.clone(),
                plugin: plugin.clone(),
            };
            let label = |op: Op| format!("rep {}/{} {name} {}", rep + 1, spec.repeat, op.as_str());
            let mut wrote = true;
            for &op in &spec.ops {
                if op == Op::Read && !spec.ops.contains(&Op::Write) {
                    populate(&admin, spec, &objects, &prefix).await?;
                }
                if op == Op::Read && !wrote {
                    continue;
                }
                let job = Job { op, ..job.clone() };
                let (l, o, j) = ((*launch).clone(), objects.clone(), job.clone());
                let res = tokio::task::spawn_blocking(move || worker::run(&l, &j, &o))
                    .await
                    .map_err(|e| CompareError::Spec(e.to_string()))?;
                let outcome = match res {
                    Ok(o) => o,
                    Err(e) => {
                        say(&format!("{}: FAILED: {e}", label(op)));
                        runs[li]
                            .failures
                            .push(format!("rep {} {}: {e}", rep + 1, op.as_str()));
                        wrote = false;
                        continue;
                    }
                };
                let check = match op {
                    Op::Write => check_written(&admin, spec, &prefix).await?,
                    Op::Read => check_read(&outcome, &crcs, spec.size),
                };
                if runs[li].version.is_none() {
                    runs[li].version.clone_from(&outcome.version);
                }
                let sample = Sample {
                    rep,
                    size: spec.size,
                    outcome,
                    check,
                };
                say(&format!(
                    "{}: {:.3} GB/s, {:.2} CPU s/GB, check {}{}",
                    label(op),
                    sample.gbps(),
                    sample.cpu_per_gb().unwrap_or(f64::NAN),
                    sample.check.describe(op),
                    match sample.outcome.errors.first() {
                        Some((k, e)) => format!("; {} error(s), first {k}: {e}", sample.outcome.errors.len()),
                        None => String::new(),
                    }
                ));
                match op {
                    Op::Write => runs[li].write.push(sample),
                    Op::Read => runs[li].read.push(sample),
                }
            }
            if !spec.keep {
                admin
                    .delete_prefix(&prefix, spec.threads.max(8))
                    .await
                    .map_err(CompareError::Store)?;
            }
        }
    }
    Ok(Report {
        tool: format!("mlstor compare {}", env!("CARGO_PKG_VERSION")),
        started,
        environment: Environment::here(&spec.python),
        settings: Settings {
            target: spec.target.uri(),
            run_prefix,
            files: spec.files,
            size: spec.size,
            threads: spec.threads,
            repeat: spec.repeat,
            warmup: spec.warmup,
            ops: spec.ops.clone(),
            endpoints: spec
                .endpoints
                .iter()
                .map(|e| mlstor_store::redact::userinfo(e))
                .collect(),
            batch_objects: spec.batch_objects(),
            data: "mlstor's generator (object i = `mlstor bench put`'s object i: unique, incompressible), \
                   made by the parent before each timed part; reads checked by CRC-32 against it"
                .into(),
        },
        libraries: runs,
        skipped,
    })
}

/// Writes (untimed, with mlstor) the objects and warm-up objects a read-only run reads.
async fn populate(
    admin: &Arc<dyn Store>,
    spec: &Spec,
    objects: &Arc<Objects>,
    prefix: &str,
) -> Result<(), CompareError> {
    let keys: Vec<String> = (0..spec.files)
        .map(|i| format!("{prefix}obj-{i:06}"))
        .chain((0..spec.warmup).map(|i| format!("{prefix}warmup-{i:06}")))
        .collect();
    for chunk in keys.chunks(spec.threads.max(1)) {
        let mut tasks = Vec::new();
        for k in chunk {
            let i: usize = k.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0);
            let mut b = vec![0u8; spec.size];
            objects.fill(i, &mut b);
            let (store, k) = (admin.clone(), k.clone());
            tasks.push(tokio::spawn(async move { store.put(&k, Bytes::from(b)).await }));
        }
        for t in tasks {
            t.await
                .map_err(|e| CompareError::Spec(e.to_string()))?
                .map_err(CompareError::Store)?;
        }
    }
    Ok(())
}

/// After a write: every object listed, with the right size.
async fn check_written(admin: &Arc<dyn Store>, spec: &Spec, prefix: &str) -> Result<Check, CompareError> {
    let listed: HashMap<String, u64> = admin
        .list_objects(&format!("{prefix}obj-"))
        .await
        .map_err(CompareError::Store)?
        .into_iter()
        .map(|m| (m.key, m.size))
        .collect();
    let mut c = Check::default();
    for i in 0..spec.files {
        match listed.get(&format!("{prefix}obj-{i:06}")) {
            Some(&s) if s == spec.size as u64 => c.ok += 1,
            Some(_) => c.short += 1,
            None => c.missing += 1,
        }
    }
    Ok(c)
}

/// After a read: every object's length and CRC-32 against the generator's.
pub fn check_read(o: &worker::Outcome, crcs: &[u32], size: usize) -> Check {
    let mut c = Check::default();
    let got = o.crc32.as_deref().unwrap_or(&[]);
    let lens = o.lengths.as_deref().unwrap_or(&[]);
    for (i, want) in crcs.iter().enumerate() {
        match (got.get(i).copied().flatten(), lens.get(i).copied().flatten()) {
            (Some(_), Some(n)) if n != size as u64 => c.short += 1,
            (Some(crc), Some(_)) if crc == *want => c.ok += 1,
            (Some(_), Some(_)) => c.wrong += 1,
            _ => c.missing += 1,
        }
    }
    c
}

impl Environment {
    fn here(python: &std::path::Path) -> Environment {
        let host = mlstor_bench::host::HostInfo::current();
        let python_version = std::process::Command::new(python)
            .args(["-c", "import sys; print(sys.version.split()[0])"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        Environment {
            mlstor_version: env!("CARGO_PKG_VERSION").to_string(),
            cpu_model: Some(host.processor).filter(|p| !p.is_empty()),
            cpus: host.cpus,
            memory_bytes: Some(host.memory_bytes).filter(|&m| m > 0),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .ok()
                .map(|s| s.trim().to_string()),
            python: Some(python.display().to_string()),
            python_version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::worker::Outcome;

    #[test]
    fn reads_are_checked_object_by_object() {
        let o = Outcome {
            crc32: Some(vec![Some(1), Some(9), Some(3), None]),
            lengths: Some(vec![Some(10), Some(10), Some(4), None]),
            ..Outcome::default()
        };
        let c = check_read(&o, &[1, 2, 3, 4], 10);
        assert_eq!((c.ok, c.wrong, c.short, c.missing), (1, 1, 1, 1));
        assert!(!c.passed());
        assert_eq!(
            c.describe(Op::Read),
            "FAILED: 1 wrong data, 1 wrong length, 1 missing"
        );
    }
}
