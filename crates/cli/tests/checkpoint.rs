//! `mlstor run` of checkpoint-only workflows: DLIO's layout and summary keys, fsync really
//! done (or not), refusal before any write, two ranks under mpirun, the dataset and the
//! checkpoints on different storage in one run, and Ctrl-C leaving no partial checkpoint.
mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{fails, json, mlstor, mpirun, ok, s3_bucket, wait_until};
use mlstor_store::conformance::skip_or_fail;

/// `mlstor args --json`: the run's results.json value.
fn ok_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(ok(dir, &all).trim()).expect("one JSON object")
}

/// Every file under `dir`, relative, with its size.
fn files(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                out.push((p.strip_prefix(dir).expect("prefix").display().to_string(), size));
            }
        }
    }
    out.sort();
    out
}

fn which(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn checkpoint_run_writes_dlio_layout_and_summary_keys() {
    let d = tempfile::tempdir().expect("tempdir");
    let v = ok_json(
        d.path(),
        &["run", "llama3_tiny", "--verify", "--results-dir", "res"],
    );
    let names: Vec<String> = files(&d.path().join("checkpoints/llama_tiny"))
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(
        names,
        [
            "global_epoch1_step1/zero_pp_rank_0_mp_rank_0_model_states.pt",
            "global_epoch1_step1/zero_pp_rank_0_mp_rank_0_optim_states.pt",
            "global_epoch1_step2/zero_pp_rank_0_mp_rank_0_model_states.pt",
            "global_epoch1_step2/zero_pp_rank_0_mp_rank_0_optim_states.pt",
        ]
    );
    let m = &v["metric"];
    for k in [
        "save_checkpoint_io_mean_GB_per_second",
        "save_checkpoint_io_stdev_GB_per_second",
        "save_checkpoint_duration_mean_seconds",
        "save_checkpoint_duration_stdev_seconds",
        "load_checkpoint_io_mean_GB_per_second",
        "load_checkpoint_io_stdev_GB_per_second",
        "load_checkpoint_duration_mean_seconds",
        "load_checkpoint_duration_stdev_seconds",
    ] {
        assert!(
            m[k].as_f64().is_some_and(|x| x > 0.0 || k.contains("stdev")),
            "{k}: {m}"
        );
    }
    let size = m["checkpoint_size_GB"].as_f64().expect("size");
    assert!((size - 34726400.0 / (1u64 << 30) as f64).abs() < 1e-12, "{size}");
    assert_eq!(v["checkpoint"]["fsync"], true, "llama3_tiny says fsync: True");
    assert_eq!(v["checkpoint"]["verify"], true);
    assert_eq!(v["per_rank"][0]["saves"].as_array().map(Vec::len), Some(2));
    // The results folder: DLIO's files with its checkpoint keys, and results.json.
    let res = d.path().join("res");
    let summary = json(&res.join("summary.json"));
    assert_eq!(
        summary["metric"], v["metric"],
        "summary.json carries DLIO's checkpoint keys"
    );
    assert_eq!(summary["num_accelerators"], 1);
    assert_eq!(
        summary["epochs"], 0,
        "DLIO: no training epochs in a checkpoint-only run"
    );
    let epoch = &json(&res.join("0_per_epoch_stats.json"))["1"];
    for k in ["save_ckpt1", "save_ckpt2", "load_ckpt1", "load_ckpt2"] {
        assert!(
            epoch[k]["duration"].as_f64().is_some_and(|d| d > 0.0),
            "{k}: {epoch}"
        );
        assert!(
            epoch[k]["throughput"].as_f64().is_some_and(|t| t > 0.0),
            "{k}: {epoch}"
        );
    }
    assert_eq!(json(&res.join("results.json"))["checkpoint"], v["checkpoint"]);
    assert!(res.join("0_output.json").is_file() && res.join("dlio_config/config.yaml").is_file());
}

#[test]
fn checkpoint_fsync_is_done_exactly_when_asked() {
    if !which("strace") {
        skip_or_fail("strace is not installed");
        return;
    }
    let count = |extra: &[&str]| -> usize {
        let d = tempfile::tempdir().expect("tempdir");
        let log = d.path().join("strace.log");
        let mut args = vec![
            "-f".to_string(),
            "-qq".into(),
            "-e".into(),
            "trace=fsync,fdatasync".into(),
            "-o".into(),
            log.display().to_string(),
            env!("CARGO_BIN_EXE_mlstor").into(),
            "run".into(),
            "llama3_tiny".into(),
            "--json".into(),
            "--results-dir".into(),
            "res".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let out = Command::new("strace")
            .current_dir(d.path())
            .args(&args)
            .output()
            .expect("strace");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let text = std::fs::read_to_string(&log).expect("strace log");
        // `fsync(` opens every call's line (a call another thread interrupts is resumed on a
        // second line, which does not repeat it).
        let calls = text.lines().filter(|l| l.contains("fsync(")).count();
        assert_eq!(
            v["checkpoint"]["fsync"],
            calls > 0,
            "the report says what happened: {calls} call(s)"
        );
        calls
    };
    // 2 checkpoints x 2 files, each file and its directory.
    assert_eq!(count(&[]), 8, "checkpoint.fsync: True");
    assert_eq!(count(&["--dlio-compat"]), 0, "DLIO v2.0 never fsyncs");
    assert_eq!(count(&["--set", "checkpoint.fsync=False"]), 0);
}

#[test]
fn checkpoint_impossible_rank_count_is_refused_before_writing() {
    let d = tempfile::tempdir().expect("tempdir");
    // TP 8: one rank cannot hold a tensor-parallel group of 8.
    let err = fails(d.path(), &["run", "llama3_70b"], "model.parallelism.tensor");
    assert!(err.contains("1 rank"), "{err}");
    assert_eq!(files(d.path()), [], "nothing written");
    // Also when the workflow would generate a dataset first.
    let args = ["run", "llama3_70b", "--set", "workflow.generate_data=True"];
    fails(d.path(), &args, "model.parallelism.tensor");
    assert_eq!(files(d.path()), [], "no dataset either");
    // Not enough checkpoints to restore: named with the folder.
    let args = [
        "run",
        "llama3_tiny",
        "--set",
        "checkpoint.num_checkpoints_write=0",
    ];
    fails(
        d.path(),
        &args,
        "checkpoint.num_checkpoints_read is 2 but file://",
    );
}

#[test]
fn checkpoint_two_ranks_under_mpirun() {
    let Some(mut cmd) = mpirun(2) else { return };
    let d = tempfile::tempdir().expect("tempdir");
    let out = cmd
        .current_dir(d.path())
        .arg(env!("CARGO_BIN_EXE_mlstor"))
        .args(["run", "llama3_tiny", "--verify", "--json", "--results-dir", "res"])
        .output()
        .expect("mpirun");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line from rank 0");
    assert_eq!(v["ranks"], 2);
    assert_eq!(v["per_rank"][1]["rank"], 1);
    let ckpt = files(&d.path().join("checkpoints/llama_tiny"));
    assert_eq!(ckpt.len(), 8, "2 ranks x 2 files x 2 checkpoints: {ckpt:?}");
    assert!(
        ckpt.iter()
            .any(|(n, _)| n.ends_with("zero_pp_rank_1_mp_rank_0_optim_states.pt"))
    );
    let total: u64 = v["checkpoint"]["bytes_per_checkpoint"].as_u64().expect("bytes");
    let step1: u64 = ckpt
        .iter()
        .filter(|(n, _)| n.starts_with("global_epoch1_step1/"))
        .map(|f| f.1)
        .sum();
    assert_eq!(total, step1);
    for r in 0..2 {
        let e = json(&d.path().join(format!("res/{r}_per_epoch_stats.json")));
        assert!(e["1"]["save_ckpt2"]["duration"].is_number(), "rank {r}: {e}");
    }
}

#[test]
fn checkpoint_and_dataset_on_separate_storage_in_one_run() {
    let Some(bucket) = s3_bucket() else { return };
    let Ok(container) = std::env::var("MLSTOR_TEST_CONTAINER") else {
        skip_or_fail("MLSTOR_TEST_CONTAINER is not set");
        return;
    };
    let d = tempfile::tempdir().expect("tempdir");
    let p = format!("ckpt-cli-{}-{:08x}", std::process::id(), fastrand::u32(..));
    let data = format!("s3://{bucket}/{p}/data");
    let ckpt = format!("az://{container}/{p}/ckpt");
    let v = ok_json(
        d.path(),
        &[
            "run",
            "llama3_tiny",
            "--verify",
            "--set",
            "workflow.generate_data=True",
            "--set",
            &format!("dataset.data_folder={data}"),
            "--set",
            &format!("checkpoint.checkpoint_folder={ckpt}"),
        ],
    );
    assert_eq!(v["checkpoint_uri"], ckpt.as_str());
    assert_eq!(v["data_uri"], data.as_str());
    assert_eq!(v["generate"]["files"], 8);
    assert_eq!(
        v["checkpoint"]["fsync"], false,
        "object stores are durable on completion; no fsync"
    );
    let listing = |uri: &str| -> Vec<String> {
        let out = mlstor(d.path(), &["ls", "-r", uri]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let data_files = listing(&format!("{data}/"));
    assert_eq!(
        data_files.iter().filter(|l| l.ends_with(".tfrecord")).count(),
        8,
        "{data_files:?}"
    );
    let ckpt_files = listing(&format!("{ckpt}/"));
    assert_eq!(
        ckpt_files.iter().filter(|l| l.contains("_states.pt")).count(),
        4,
        "{ckpt_files:?}"
    );
    for uri in [data, ckpt] {
        let out = mlstor(d.path(), &["rm", "-r", &format!("{uri}/")]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Ctrl-C, and SIGTERM (batch schedulers, `timeout`) alike (issue #19 item 6), one after the
/// other (each run may claim ~2 GB of disk before it is stopped).
#[test]
fn checkpoint_ctrl_c_or_sigterm_leaves_no_partial_checkpoint() {
    interrupted_save_leaves_whole_checkpoints("-INT", 130);
    interrupted_save_leaves_whole_checkpoints("-TERM", 143);
}

fn interrupted_save_leaves_whole_checkpoints(signal: &str, code: i32) {
    let d = tempfile::tempdir().expect("tempdir");
    // ~150 MB per checkpoint, many of them: Ctrl-C lands in the middle of one.
    let child = Command::new(env!("CARGO_BIN_EXE_mlstor"))
        .current_dir(d.path())
        .args(["run", "llama3_tiny", "--part-size", "1MiB", "--json"])
        .args([
            "--set",
            "model.transformer.hidden_size=512",
            "--set",
            "model.num_layers=8",
        ])
        .args([
            "--set",
            "checkpoint.num_checkpoints_write=12",
            "--set",
            "checkpoint.num_checkpoints_read=0",
        ])
        .args(["--set", "checkpoint.fsync=False"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let root = d.path().join("checkpoints/llama_tiny");
    let complete = |f: &[(String, u64)]| {
        let done = |n: &String| n.starts_with("global_epoch1_step1/") && !n.contains(".mlstor-tmp.");
        f.iter().filter(|(n, _)| done(n)).count() == 2
    };
    wait_until(
        Duration::from_secs(30),
        "the first checkpoint never completed",
        || complete(&files(&root)),
    );
    std::thread::sleep(Duration::from_millis(30));
    let out = common::signal(child, signal);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "an interrupted run exits 128 + the signal"
    );
    assert!(err.contains("cancelled") && !err.contains("panicked"), "{err}");
    // Whatever is left is whole checkpoints: both files, full size; no temporary files.
    let left = files(&root);
    let sizes: std::collections::BTreeSet<(String, u64)> = left
        .iter()
        .map(|(n, s)| (n.split('/').nth(1).unwrap_or("").to_string(), *s))
        .collect();
    assert_eq!(
        sizes.len(),
        2,
        "two distinct (file, size) pairs across checkpoints: {left:?}"
    );
    assert_eq!(left.len() % 2, 0, "no checkpoint half written: {left:?}");
    assert!(left.iter().all(|(n, _)| !n.contains(".mlstor-tmp.")), "{left:?}");
}

#[test]
fn checkpoint_bigger_than_the_disk_is_refused_before_writing() {
    let d = tempfile::tempdir().expect("tempdir");
    // llama3_8b on one rank: ~112 GB a checkpoint; a million of them fit nowhere.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mlstor"))
        .current_dir(d.path())
        .args([
            "run",
            "llama3_8b",
            "--quiet",
            "--set",
            "checkpoint.num_checkpoints_write=1000000",
        ])
        .args(["--set", "checkpoint.num_checkpoints_read=0"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("are free") && !err.contains("panicked"), "{err}");
    let written: u64 = walk(d.path());
    assert_eq!(written, 0, "nothing written");
}

fn walk(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|it| {
            it.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p)
                    } else {
                        e.metadata().map_or(0, |m| m.len())
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
