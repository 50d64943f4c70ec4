//! Golden results: fixed-seed runs whose result files must keep their content. Every file
//! of the results folder is compared with `tests/golden/<case>/` after the values that
//! change from run to run are masked: timings, rates and AU (every non-integer number),
//! timestamps, the host's description, latency histogram buckets (their total count is
//! kept) and the temporary folder's path. Names, keys, counts, bytes, steps and requests
//! stay, so a change to what a run records or how files are laid out fails here.
//!
//! `MLSTOR_BLESS=1 cargo test -p mlstor --test golden` rewrites the golden files (review
//! the diff before committing it).
mod common;

use std::path::{Path, PathBuf};

use std::process::Command;

use common::mpirun;
use serde_json::{Map, Value};

/// Keys whose values describe the host or the moment, not the run.
const HOST_KEYS: &[&str] = &[
    "hostname",
    "processor",
    "host_processor_name",
    "host_cpuinfo",
    "host_meminfo",
    "memory_bytes",
    "host_memory_GB",
    "cpus",
    "host_cpu_count",
    "start",
    "end",
    "duration",
    // Which rank was slowest, and whether the AU met the threshold, depend on timing.
    "slowest_rank",
    "meets_au",
    "train_au_meet_expectation",
    "eval_au_meet_expectation",
    "potential_caching",
];

/// Histograms as (µs, count) pairs: the buckets depend on timing, their total does not.
const HISTOGRAM_KEYS: &[&str] = &["read_latency", "batch_wait", "latency_counts"];

fn normalize(v: &Value, dir: &str) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let nv = if HOST_KEYS.contains(&k.as_str()) {
                    Value::String("<host/time>".into())
                } else if HISTOGRAM_KEYS.contains(&k.as_str()) && v.is_array() {
                    let total: u64 = v
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p.get(1)?.as_u64())
                        .sum();
                    Value::String(format!("<histogram of {total}>"))
                } else {
                    normalize(v, dir)
                };
                out.insert(k.clone(), nv);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| normalize(x, dir)).collect()),
        Value::Number(n) if n.is_f64() => Value::String("<f>".into()),
        Value::String(s) => Value::String(s.replace(dir, "<DIR>")),
        other => other.clone(),
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read results dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).expect("under dir").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Compares (or with MLSTOR_BLESS=1 writes) every file of `results` against `golden/<case>`.
fn check(case: &str, results: &Path, tmp: &Path) {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(case);
    let bless = std::env::var("MLSTOR_BLESS").is_ok_and(|v| v == "1");
    let dir = tmp.to_str().expect("utf8");
    let found = files(results);
    if bless {
        let _ = std::fs::remove_dir_all(&golden);
    }
    let mut want = if golden.is_dir() {
        files(&golden)
    } else {
        Vec::new()
    };
    want.sort();
    if !bless {
        assert_eq!(found, want, "{case}: the results folder's files");
    }
    for f in &found {
        let text = std::fs::read_to_string(results.join(f)).expect("read result");
        let normalized = if f.extension().is_some_and(|e| e == "json") {
            let v: Value = serde_json::from_str(&text).expect("json");
            serde_json::to_string_pretty(&normalize(&v, dir)).expect("serialize") + "\n"
        } else {
            text.replace(dir, "<DIR>")
        };
        let g = golden.join(f);
        if bless {
            std::fs::create_dir_all(g.parent().expect("parent")).expect("mkdir");
            std::fs::write(&g, normalized).expect("write golden");
        } else {
            let expected = std::fs::read_to_string(&g).expect("read golden");
            assert!(
                normalized == expected,
                "{case}/{}: differs from the golden file (MLSTOR_BLESS=1 rewrites it):\n{}",
                f.display(),
                line_diff(&expected, &normalized)
            );
        }
    }
}

/// The lines only one side has (with their line numbers), a few dozen at most.
fn line_diff(expected: &str, found: &str) -> String {
    let count = |t: &str| {
        let mut m = std::collections::HashMap::<String, i64>::new();
        for l in t.lines() {
            *m.entry(l.to_string()).or_default() += 1;
        }
        m
    };
    let (mut e, f) = (count(expected), count(found));
    for (l, n) in &f {
        *e.entry(l.clone()).or_default() -= n;
    }
    let mut out = Vec::new();
    for (i, l) in expected.lines().enumerate() {
        if e.get(l).is_some_and(|&n| n > 0) {
            out.push(format!("- {:>5}: {l}", i + 1));
        }
    }
    for (i, l) in found.lines().enumerate() {
        if e.get(l).is_some_and(|&n| n < 0) {
            out.push(format!("+ {:>5}: {l}", i + 1));
        }
    }
    out.truncate(60);
    out.join("\n")
}

/// `cmd` without the environment's storage settings (endpoints, regions, credentials fill
/// the results' store options otherwise), run to success.
fn run_clean(cmd: &mut Command) {
    for (k, _) in std::env::vars() {
        let storage = [
            "AWS_",
            "AZURE_",
            "GOOGLE_",
            "STORAGE_EMULATOR",
            "ENDPOINT_URL",
            "ACCESS_KEY_ID",
        ]
        .iter()
        .any(|p| k.starts_with(p))
            || matches!(k.as_str(), "SECRET_ACCESS_KEY" | "REGION");
        if storage {
            cmd.env_remove(k);
        }
    }
    let out = cmd.output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn mlstor_in(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mlstor"));
    c.current_dir(dir);
    c
}

/// A small training run: 8 npz files of 2 samples + 2 for evaluation, batch 2, 2 epochs,
/// evaluation after each, a checkpoint every 3 steps into a folder of its own.
fn training_args(results: &Path, ck: &Path) -> Vec<String> {
    let mut a: Vec<String> = ["run", "unet3d_tiny", "--quiet", "--results-dir"]
        .map(String::from)
        .to_vec();
    a.push(results.to_str().expect("utf8").to_string());
    for s in [
        "dataset.num_files_train=8".to_string(),
        "dataset.num_files_eval=2".into(),
        "dataset.num_samples_per_file=2".into(),
        "dataset.record_length_bytes=4096".into(),
        "dataset.record_length_bytes_stdev=1024".into(),
        "reader.batch_size=2".into(),
        "reader.batch_size_eval=1".into(),
        "train.computation_time=0.001".into(),
        "train.seed=7".into(),
        "workflow.evaluation=True".into(),
        "evaluation.eval_time=0.001".into(),
        "workflow.checkpoint=True".into(),
        "checkpoint.steps_between_checkpoints=3".into(),
        format!("checkpoint.checkpoint_folder={}", ck.display()),
    ] {
        a.push("--set".into());
        a.push(s);
    }
    a
}

#[test]
fn golden_training_one_rank() {
    let d = tempfile::tempdir().expect("tempdir");
    let r = d.path().join("results");
    run_clean(mlstor_in(d.path()).args(training_args(&r, &d.path().join("ck"))));
    check("training_1rank", &r, d.path());
}

#[test]
fn golden_training_two_ranks() {
    let Some(mut cmd) = mpirun(2) else { return };
    let d = tempfile::tempdir().expect("tempdir");
    let r = d.path().join("results");
    cmd.current_dir(d.path())
        .arg(env!("CARGO_BIN_EXE_mlstor"))
        .args(training_args(&r, &d.path().join("ck")));
    run_clean(&mut cmd);
    check("training_2ranks", &r, d.path());
}

#[test]
fn golden_checkpoint_workflow() {
    let d = tempfile::tempdir().expect("tempdir");
    let r = d.path().join("results");
    let ck = format!("checkpoint.checkpoint_folder={}", d.path().join("ck").display());
    run_clean(mlstor_in(d.path()).args([
        "run",
        "llama3_tiny",
        "--quiet",
        "--verify",
        "--results-dir",
        r.to_str().expect("utf8"),
        "--set",
        &ck,
    ]));
    check("checkpoint_1rank", &r, d.path());
}
