//! One option path: every global store flag reaches every command that has stores (`run`'s
//! dataset and checkpoint storage, the checkpoint workflow, `generate`, `bench`), as each
//! command's effective store options show (`--dry-run --json`, `--json`), and in effect:
//! against an endpoint that accepts connections and never answers, `--idle-timeout 1
//! --max-attempts 2` ends every command in seconds, not after five 60 s attempts.
mod common;

use std::io::Read;
use std::net::TcpListener;
use std::process::Command;
use std::time::{Duration, Instant};

use common::ok;
use serde_json::Value;

/// Every global store flag, with values no default has.
const FLAGS: &[&str] = &[
    "--load-balance",
    "random",
    "--part-size",
    "6MiB",
    "--part-concurrency",
    "3",
    "--max-attempts",
    "2",
    "--connect-timeout",
    "1.5",
    "--idle-timeout",
    "2.5",
];

const DOORS: &[&str] = &[
    "--endpoint",
    "http://127.0.0.1:9",
    "--endpoint",
    "http://127.0.0.1:10",
    "--pin-rank",
    "--rank",
    "1",
];

/// Checks the flags' values in a store's effective options.
fn assert_flags(s: &Value, doors: bool) {
    assert_eq!(s["load_balance"], "Random", "{s}");
    assert_eq!(s["part_size"], 6 << 20, "{s}");
    assert_eq!(s["part_concurrency"], 3, "{s}");
    assert_eq!(s["max_attempts"], 2, "{s}");
    assert_eq!(s["connect_timeout_s"], 1.5, "{s}");
    assert_eq!(s["idle_timeout_s"], 2.5, "{s}");
    if doors {
        assert_eq!(
            s["endpoints"],
            serde_json::json!(["http://127.0.0.1:9", "http://127.0.0.1:10"]),
            "{s}"
        );
        assert_eq!(
            (s["pin_to_rank"].as_bool(), s["rank"].as_u64()),
            (Some(true), Some(1)),
            "{s}"
        );
    }
}

fn all_flags() -> Vec<&'static str> {
    FLAGS.iter().chain(DOORS).copied().collect()
}

#[test]
fn options_reach_run_and_the_checkpoint_storage() {
    let d = tempfile::tempdir().expect("tempdir");
    let mut args = vec![
        "run",
        "unet3d_tiny",
        "--dry-run",
        "--json",
        "--set",
        "dataset.data_folder=s3://bucket/data",
        "--set",
        "workflow.checkpoint=True",
        "--set",
        "checkpoint.checkpoint_folder=s3://bucket/ckpt",
    ];
    args.extend(all_flags());
    let v: Value = serde_json::from_str(&ok(d.path(), &args)).expect("json");
    assert_flags(&v["data"], true);
    assert_flags(&v["checkpoint"], true);
    // The checkpoint-only workflow.
    let mut args = vec![
        "run",
        "llama3_tiny",
        "--dry-run",
        "--json",
        "--set",
        "checkpoint.checkpoint_folder=s3://bucket/ckpt",
    ];
    args.extend(all_flags());
    let v: Value = serde_json::from_str(&ok(d.path(), &args)).expect("json");
    assert_flags(&v["checkpoint"], true);
    assert_eq!(v["plan"]["checkpoint"]["ops"].as_array().expect("ops").len(), 4);
}

#[test]
fn options_reach_generate_and_bench() {
    let d = tempfile::tempdir().expect("tempdir");
    // memory:// roots: a second root is an independent root (object stores' URL doors and
    // rank pinning are checked above and below).
    let mut args = vec![
        "generate",
        "unet3d_tiny",
        "--json",
        "--set",
        "dataset.data_folder=memory://options-gen",
        "--endpoint",
        "memory://options-gen-2",
    ];
    args.extend(FLAGS);
    let v: Value = serde_json::from_str(&ok(d.path(), &args)).expect("json");
    assert_flags(&v["storage"], false);
    assert_eq!(
        v["storage"]["endpoints"],
        serde_json::json!(["memory://options-gen-2"])
    );
    assert_eq!(v["files"], 8);
    let mut args = vec![
        "bench",
        "put",
        "memory://options-bench",
        "-n",
        "4",
        "-s",
        "4KiB",
        "--json",
    ];
    args.extend(FLAGS);
    let v: Value = serde_json::from_str(&ok(d.path(), &args)).expect("json");
    assert_flags(&v["storage"], false);
}

/// A TCP endpoint that accepts every connection and never answers.
fn black_hole() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = s;
                let mut buf = [0u8; 4096];
                while s.read(&mut buf).is_ok_and(|n| n > 0) {}
            });
        }
    });
    format!("http://{addr}")
}

/// Runs `mlstor args` against the black hole; it must fail, naming the attempts, within
/// `limit`.
fn fails_fast(dir: &std::path::Path, args: &[&str], limit: Duration) {
    let t0 = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_mlstor"))
        .current_dir(dir)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "options-test")
        .env("AWS_SECRET_ACCESS_KEY", "options-test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .expect("run");
    let took = t0.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail: {err}");
    assert!(
        took < limit,
        "{args:?} took {took:?} (the flags did not reach it): {err}"
    );
    assert!(err.contains("2 attempt"), "{args:?}: names the attempts: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn options_idle_timeout_and_attempts_take_effect_everywhere() {
    let d = tempfile::tempdir().expect("tempdir");
    let ep = black_hole();
    let flags = [
        "--endpoint",
        ep.as_str(),
        "--idle-timeout",
        "1",
        "--max-attempts",
        "2",
        "--quiet",
    ];
    // Two attempts of 1 s each plus back-off; without the flags: 5 x 60 s.
    let limit = Duration::from_secs(30);
    let with = |base: &[&str]| -> Vec<String> {
        base.iter()
            .chain(&flags)
            .map(|s| s.to_string())
            .filter(|s| s != "--quiet" || base[0] == "run")
            .collect()
    };
    let run = with(&[
        "run",
        "unet3d_tiny",
        "--set",
        "dataset.data_folder=s3://bucket/data",
    ]);
    fails_fast(
        d.path(),
        &run.iter().map(String::as_str).collect::<Vec<_>>(),
        limit,
    );
    let ckpt = with(&[
        "run",
        "llama3_tiny",
        "--set",
        "checkpoint.checkpoint_folder=s3://bucket/ckpt",
    ]);
    fails_fast(
        d.path(),
        &ckpt.iter().map(String::as_str).collect::<Vec<_>>(),
        limit,
    );
    let generate = with(&[
        "generate",
        "unet3d_tiny",
        "--set",
        "dataset.data_folder=s3://bucket/data",
    ]);
    fails_fast(
        d.path(),
        &generate.iter().map(String::as_str).collect::<Vec<_>>(),
        limit,
    );
    let bench = with(&["bench", "get", "s3://bucket/bench", "-n", "2", "-s", "4KiB"]);
    fails_fast(
        d.path(),
        &bench.iter().map(String::as_str).collect::<Vec<_>>(),
        limit,
    );
}
