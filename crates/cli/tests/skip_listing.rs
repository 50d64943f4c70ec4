//! `dataset.skip_listing` (DLIO 3.0.2): the files are named, not listed; rank 0 spot-checks
//! every `listing_validation_interval`-th with a HEAD; missing files and DLIO's own naming
//! mismatch (10 subfolders) are clear errors. Counted at the store through the op-log, on
//! file:// and on the S3 test server.
mod common;

use std::path::Path;

use common::{fails, json, log_records, ok, s3_bucket};

/// Runs `workload` with `extra` settings and an op-log; returns (summary, op-log records).
fn run(
    dir: &Path,
    workload: &str,
    extra: &[&str],
) -> (serde_json::Value, Vec<(String, String, u64, String)>) {
    let log = dir.join("ops.tsv");
    let r = dir.join("results");
    let mut args = vec![
        "run",
        workload,
        "--quiet",
        "--results-dir",
        r.to_str().expect("utf8"),
        "--op-log",
        log.to_str().expect("utf8"),
    ];
    args.extend_from_slice(extra);
    ok(dir, &args);
    (json(&r.join("summary.json")), log_records(&log))
}

fn count(log: &[(String, String, u64, String)], op: &str, phase: &str) -> usize {
    log.iter().filter(|r| r.0 == op && r.3.starts_with(phase)).count()
}

/// unet3d_tiny (8 npz files, read whole) and dlrm_tiny (4 parquet files, read by row group),
/// once listed and once named, on `folder` (empty: the workload's own).
fn named_like_listed(folder: &str) {
    for name in ["unet3d_tiny", "dlrm_tiny"] {
        let d = tempfile::tempdir().expect("tempdir");
        let set_folder = format!("++workload.dataset.data_folder={folder}/{name}");
        let mut base: Vec<&str> = Vec::new();
        if !folder.is_empty() {
            base.push(&set_folder);
        }
        let (listed, log) = run(d.path(), name, &base);
        assert!(count(&log, "list", "") > 0, "{name}: listed");

        let mut named_args = base.clone();
        named_args.extend([
            "--set",
            "workflow.generate_data=False",
            "--set",
            "dataset.skip_listing=True",
        ]);
        let (named, log) = run(d.path(), name, &named_args);
        assert_eq!(count(&log, "list", ""), 0, "{name}: no listing: {log:?}");
        // Spot checks: the first and last file (interval 1000); parquet adds a HEAD per file for the
        // footer's position.
        let heads = count(&log, "head", "");
        let want = if name == "dlrm_tiny" { 2 + 4 } else { 2 };
        assert_eq!(heads, want, "{name}: {log:?}");
        let steps = |s: &serde_json::Value| s["metric"]["train_throughput_samples_per_second"].clone();
        assert_eq!(
            steps(&listed).as_array().map(Vec::len),
            steps(&named).as_array().map(Vec::len),
            "{name}: the same epochs"
        );
        let reads = |l: &[(String, String, u64, String)]| {
            l.iter()
                .filter(|r| r.3.starts_with("train") && r.0.starts_with("get"))
                .map(|r| r.2)
                .sum::<u64>()
        };
        let (_, listed_log) = run(d.path(), name, &{
            let mut a = base.clone();
            a.extend(["--set", "workflow.generate_data=False"]);
            a
        });
        assert_eq!(reads(&log), reads(&listed_log), "{name}: the same bytes read");
        if !folder.is_empty() {
            ok(d.path(), &["rm", "-r", &format!("{folder}/{name}")]);
        }
    }
}

#[test]
fn skip_listing_reads_what_listing_reads_on_file() {
    named_like_listed("");
}

#[test]
fn skip_listing_reads_what_listing_reads_on_s3() {
    let Some(bucket) = s3_bucket() else { return };
    named_like_listed(&format!("s3://{bucket}/skip-listing-{}", std::process::id()));
}

/// `mlstor run unet3d_tiny` on the generated dataset, named instead of listed, with `sets`.
fn run_named(dir: &Path, sets: &[&str], culprit: &str) -> String {
    let mut args = vec![
        "run",
        "unet3d_tiny",
        "--set",
        "workflow.generate_data=False",
        "--set",
        "dataset.skip_listing=True",
    ];
    for s in sets {
        args.extend(["--set", s]);
    }
    fails(dir, &args, culprit)
}

#[test]
fn skip_listing_names_the_missing_files() {
    let d = tempfile::tempdir().expect("tempdir");
    ok(d.path(), &["generate", "unet3d_tiny"]);
    // 16 files expected: named `_of_16`, none of which exist (8 were written).
    let err = run_named(d.path(), &["dataset.num_files_train=16"], "skip_listing");
    assert!(
        err.contains("2 of the 2 checked are missing") && err.contains("train/img_00_of_16.npz"),
        "{err}"
    );
    // Checks off: the first read names the file instead.
    let err = run_named(
        d.path(),
        &[
            "dataset.listing_validation_interval=0",
            "dataset.num_files_train=16",
        ],
        "img_",
    );
    assert!(err.contains("_of_16.npz"), "{err}");
}

#[test]
fn skip_listing_says_why_ten_subfolders_are_not_found() {
    let d = tempfile::tempdir().expect("tempdir");
    let sets = [
        "--set",
        "dataset.num_files_train=20",
        "--set",
        "dataset.num_samples_per_file=1",
        "--set",
        "dataset.num_subfolders_train=10",
    ];
    let mut generate = vec!["generate", "unet3d_tiny"];
    generate.extend(sets);
    ok(d.path(), &generate);
    assert!(
        d.path().join("data/unet3d_tiny/train/03").is_dir(),
        "the generator pads to 2 digits"
    );
    let mut args = vec![
        "run",
        "unet3d_tiny",
        "--set",
        "workflow.generate_data=False",
        "--set",
        "dataset.skip_listing=True",
        "--set",
        "dataset.listing_validation_interval=5",
    ];
    args.extend(sets);
    let err = fails(d.path(), &args, "skip_listing");
    assert!(
        err.contains("names them differently from its generator") && err.contains("train/0/img_00_of_20.npz"),
        "{err}"
    );
    // Listed, the same dataset trains.
    let mut args = vec![
        "run",
        "unet3d_tiny",
        "--quiet",
        "--set",
        "workflow.generate_data=False",
    ];
    args.extend(sets);
    ok(d.path(), &args);
}
