//! `mlstor run` training end to end: every format on file:// and s3://, DLIO's result
//! files and keys, AU at its two extremes, ranks under mpirun, and bad input.
mod common;

use std::path::{Path, PathBuf};

use common::{fails, json, mlstor, mpirun, ok, s3_bucket};
use serde_json::{Value, json};

/// A tiny workload: 4 files of 2 samples of 4 KiB, batch 2, 2 epochs (4 steps each).
const TINY: &[&str] = &[
    "--set",
    "dataset.num_files_train=4",
    "--set",
    "dataset.num_samples_per_file=2",
    "--set",
    "dataset.record_length_bytes=4096",
    "--set",
    "dataset.record_length_bytes_stdev=0",
    "--set",
    "reader.batch_size=2",
    "--set",
    "train.computation_time=0.002",
];

/// (format, compression, framework) to cover.
fn formats() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("npz", "none", "pytorch"),
        ("npy", "none", "pytorch"),
        ("tfrecord", "none", "tensorflow"),
        ("csv", "none", "pytorch"),
        ("csv", "gzip", "tensorflow"),
        ("indexed_binary", "none", "pytorch"),
        ("mmap_indexed_binary", "none", "pytorch"),
        ("png", "none", "pytorch"),
        ("jpeg", "none", "tensorflow"),
        ("hdf5", "none", "pytorch"),
        ("parquet", "none", "pytorch"),
        ("parquet", "zstd", "tensorflow"),
    ]
}

/// Runs the tiny workload with `extra` arguments; returns the results folder.
fn run(dir: &Path, extra: &[&str]) -> PathBuf {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let results = dir.join(format!("results-{n}"));
    let r = results.to_str().expect("utf8").to_string();
    let mut args: Vec<&str> = vec!["run", "unet3d_tiny", "--quiet", "--results-dir", &r];
    args.extend_from_slice(TINY);
    args.extend_from_slice(extra);
    ok(dir, &args);
    results
}

fn format_args(fmt: &str, compression: &str, framework: &str, folder: &str) -> Vec<String> {
    [
        format!("dataset.format={fmt}"),
        format!("dataset.compression={compression}"),
        format!("framework={framework}"),
        format!("reader.data_loader={framework}"),
        format!("dataset.data_folder={folder}"),
    ]
    .into_iter()
    .flat_map(|s| ["--set".to_string(), s])
    .collect()
}

/// Samples read by all ranks in one epoch (every block of it), from results.json.
fn samples_per_epoch(results: &Value) -> Vec<u64> {
    let ranks = results["per_rank"].as_array().expect("per_rank");
    let epochs = ranks[0]["epochs"].as_array().expect("epochs").len();
    (0..epochs)
        .map(|e| {
            ranks
                .iter()
                .flat_map(|r| r["epochs"][e]["blocks"].as_array().expect("blocks"))
                .map(|b| b["samples"].as_u64().expect("samples"))
                .sum()
        })
        .collect()
}

#[test]
fn every_format_trains_on_file_with_verification() {
    let d = tempfile::tempdir().expect("tempdir");
    for (fmt, compression, fw) in formats() {
        let folder = format!("data/{fmt}-{compression}");
        let args = format_args(fmt, compression, fw, &folder);
        let mut extra: Vec<&str> = args.iter().map(String::as_str).collect();
        extra.push("--verify");
        let results = run(d.path(), &extra);
        let r = json(&results.join("results.json"));
        assert_eq!(samples_per_epoch(&r), [8, 8], "{fmt}: every sample each epoch");
        let read = r["summary"]["train"]["bytes_read"].as_u64().expect("bytes");
        // Whole samples were read (JPEG compresses them).
        let least = if fmt == "jpeg" { 1 } else { 2 * 8 * 4096 };
        assert!(read >= least, "{fmt}: {read} bytes read");
        assert!(results.join("summary.json").is_file(), "{fmt}");
    }
}

#[test]
fn every_format_trains_on_s3() {
    let Some(bucket) = s3_bucket() else { return };
    let d = tempfile::tempdir().expect("tempdir");
    for (fmt, compression, fw) in formats() {
        let prefix = format!("s3://{bucket}/train-{}-{fmt}-{compression}", std::process::id());
        let args = format_args(fmt, compression, fw, &prefix);
        let mut extra: Vec<&str> = args.iter().map(String::as_str).collect();
        extra.push("--verify");
        let r = json(&run(d.path(), &extra).join("results.json"));
        assert_eq!(samples_per_epoch(&r), [8, 8], "{fmt} on s3");
        assert_eq!(r["data_uri"], prefix.as_str());
        ok(d.path(), &["rm", "-r", &prefix]);
    }
}

const DLIO_SUMMARY_KEYS: &[&str] = &[
    "start",
    "end",
    "num_accelerators",
    "num_hosts",
    "hostname",
    "metric",
    "num_files_train",
    "num_files_eval",
    "num_samples_per_file",
    "host_cpu_count",
    "host_processor_name",
    "potential_caching",
    "host_cpuinfo",
    "host_meminfo",
    "host_memory_GB",
    "data_size_per_host_GB",
    "epochs",
];

fn dlio_metric_keys(prefix: &str) -> Vec<String> {
    [
        "au_percentage",
        "au_mean_percentage",
        "au_meet_expectation",
        "au_stdev_percentage",
        "throughput_samples_per_second",
        "throughput_mean_samples_per_second",
        "throughput_stdev_samples_per_second",
        "io_mean_MB_per_second",
        "io_stdev_MB_per_second",
    ]
    .iter()
    .map(|k| format!("{prefix}_{k}"))
    .collect()
}

#[test]
fn results_files_have_dlio_keys() {
    let d = tempfile::tempdir().expect("tempdir");
    let results = run(
        d.path(),
        &[
            "--set",
            "workflow.evaluation=True",
            "--set",
            "dataset.num_files_eval=2",
            "--set",
            "reader.batch_size_eval=2",
            "--set",
            "evaluation.eval_time=0.001",
        ],
    );
    let s = json(&results.join("summary.json"));
    let keys: Vec<&str> = s
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = DLIO_SUMMARY_KEYS.to_vec();
    want.sort();
    let mut got = keys.clone();
    got.sort();
    assert_eq!(got, want, "summary.json has DLIO's top-level keys");
    let mut metric: Vec<String> = s["metric"].as_object().expect("metric").keys().cloned().collect();
    metric.sort();
    let mut want: Vec<String> = dlio_metric_keys("train")
        .into_iter()
        .chain(dlio_metric_keys("eval"))
        .collect();
    want.sort();
    assert_eq!(metric, want, "metric keys are DLIO's");
    assert_eq!(s["num_accelerators"], 1);
    assert_eq!(s["epochs"], 2);
    assert_eq!(
        s["metric"]["train_au_percentage"].as_array().expect("list").len(),
        2
    );
    let e = json(&results.join("0_per_epoch_stats.json"));
    for epoch in ["1", "2"] {
        let ep = &e[epoch];
        assert!(ep["start"].is_string() && ep["end"].is_string(), "{ep}");
        assert!(
            ep["duration"].as_str().is_some_and(|d| d.parse::<f64>().is_ok()),
            "DLIO's string duration: {ep}"
        );
        assert!(ep["block1"]["duration"].is_string(), "{ep}");
        assert!(ep["eval"]["start"].is_string(), "{ep}");
    }
    let out = json(&results.join("0_output.json"));
    assert_eq!(
        out["1"]["proc"]["block1"].as_array().expect("proc").len(),
        4,
        "one per step"
    );
    assert_eq!(
        out["1"]["compute"]["eval"].as_array().expect("eval").len(),
        2,
        "4 samples, batch 2"
    );
    let config = std::fs::read_to_string(results.join("dlio_config/config.yaml")).expect("config");
    assert!(config.contains("num_files_train: 4"), "{config}");
    // The shapes DLIO 3.0.2 writes (its own files: bench's tests/data/dlio/v3.0.2/train_eval).
    let dlio_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/tests/data/dlio/v3.0.2/train_eval");
    let dlio = json(&dlio_dir.join("0_output.json"));
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    };
    let ours_top: Vec<String> = keys(&out).into_iter().filter(|k| k != "1" && k != "2").collect();
    let dlio_top: Vec<String> = keys(&dlio).into_iter().filter(|k| k != "1" && k != "2").collect();
    assert_eq!(
        ours_top, dlio_top,
        "{{rank}}_output.json's top-level keys are DLIO 3.0.2's"
    );
    for k in keys(&dlio["1"]) {
        assert!(out["1"].get(&k).is_some(), "epoch 1 has DLIO's {k}: {}", out["1"]);
    }
    assert!(
        out["host_meminfo"].get("MemTotal").is_some() && out["1"]["host_meminfo"].get("MemTotal").is_some()
    );
    assert!(out["host_cpuinfo"].is_object());
    let config: serde_yaml_ng::Value = serde_yaml_ng::from_str(&config).expect("yaml");
    assert_eq!(
        config["workload"]["dataset"]["num_files_train"], 4,
        "nested as Hydra writes it"
    );
    let overrides: Vec<String> = serde_yaml_ng::from_str(
        &std::fs::read_to_string(results.join("dlio_config/overrides.yaml")).expect("overrides"),
    )
    .expect("yaml");
    assert_eq!(overrides[0], "workload=unet3d_tiny", "{overrides:?}");
    assert!(
        overrides[1..].iter().all(|o| o.starts_with("++workload.")),
        "{overrides:?}"
    );
    let r = json(&results.join("results.json"));
    assert_eq!(
        (&r["rank_source"], &r["barrier"]),
        (&json!("single"), &json!("none"))
    );
    assert!(
        r["summary"]["eval"]["au_percent"]["mean"].is_number(),
        "{}",
        r["summary"]
    );
    assert!(
        r["summary"]["train"]["read_latency"]["p99_ms"]
            .as_f64()
            .is_some_and(|v| v > 0.0)
    );
}

#[test]
fn long_compute_keeps_the_accelerator_busy() {
    let d = tempfile::tempdir().expect("tempdir");
    let results = run(
        d.path(),
        &["--set", "train.computation_time=0.05", "--set", "train.epochs=1"],
    );
    let s = json(&results.join("summary.json"));
    let au = s["metric"]["train_au_mean_percentage"].as_f64().expect("au");
    assert!(au > 95.0, "prefetching hides the tiny reads: AU {au}");
    assert_eq!(s["metric"]["train_au_meet_expectation"], "success");
}

#[test]
fn no_compute_measures_pure_io() {
    let d = tempfile::tempdir().expect("tempdir");
    let results = run(d.path(), &["--set", "train.computation_time=0"]);
    let s = json(&results.join("summary.json"));
    let au = s["metric"]["train_au_mean_percentage"].as_f64().expect("au");
    assert!(au < 1.0, "AU {au}");
    assert_eq!(s["metric"]["train_au_meet_expectation"], "fail");
    let r = json(&results.join("results.json"));
    let exact = r["summary"]["train"]["exact_throughput"]["mean"]
        .as_f64()
        .expect("exact");
    assert!(exact > 100.0, "samples/s of pure I/O: {exact}");
}

/// Bytes of every training file of a dataset folder.
fn dataset_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir.join("train"))
        .expect("train")
        .flatten()
        .map(|e| e.metadata().expect("meta").len())
        .sum()
}

#[test]
fn two_ranks_under_mpirun_read_every_file_once_per_epoch() {
    let d = tempfile::tempdir().expect("tempdir");
    let Some(mut cmd) = mpirun(2) else { return };
    let results = d.path().join("r2");
    let out = cmd
        .current_dir(d.path())
        .arg(env!("CARGO_BIN_EXE_mlstor"))
        .args([
            "run",
            "unet3d_tiny",
            "--quiet",
            "--results-dir",
            results.to_str().expect("utf8"),
        ])
        .args([
            "--set",
            "dataset.num_files_train=8",
            "--set",
            "train.computation_time=0.002",
        ])
        .args([
            "--set",
            "reader.file_shuffle=seed",
            "--set",
            "reader.sample_shuffle=seed",
        ])
        .output()
        .expect("mpirun");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = json(&results.join("summary.json"));
    assert_eq!(s["num_accelerators"], 2);
    assert!(results.join("0_per_epoch_stats.json").is_file() && results.join("1_output.json").is_file());
    let r = json(&results.join("results.json"));
    assert_eq!(r["rank_source"], "mpi");
    assert_eq!(samples_per_epoch(&r), [8, 8]);
    // One sample per file: the ranks' bytes add up to the dataset's, every epoch.
    let total = dataset_bytes(&d.path().join("data/unet3d_tiny"));
    for e in 0..2 {
        let read: u64 = r["per_rank"]
            .as_array()
            .expect("ranks")
            .iter()
            .map(|p| p["epochs"][e]["blocks"][0]["bytes_read"].as_u64().expect("bytes"))
            .sum();
        assert_eq!(read, total, "epoch {e}: each file read once across the two ranks");
    }
    let au = &r["summary"]["epochs"][0]["train"]["au_per_rank"];
    assert_eq!(au.as_array().expect("per rank").len(), 2);
}

/// `(proc, barrier, compute)` of every step of every epoch of rank `r`'s `{r}_output.json`.
fn step_times(results: &Path, r: usize) -> Vec<Vec<(f64, f64, f64)>> {
    let out = json(&results.join(format!("{r}_output.json")));
    let series = |e: &Value, k: &str| -> Vec<f64> {
        let blocks = e[k].as_object().expect("blocks");
        let (_, v) = blocks.iter().next().expect("one block");
        v.as_array()
            .expect("steps")
            .iter()
            .map(|x| x.as_f64().expect("seconds"))
            .collect()
    };
    (1..)
        .map_while(|e| out.get(e.to_string()))
        .map(|e| {
            let (p, b, c) = (series(e, "proc"), series(e, "barrier"), series(e, "compute"));
            assert!(p.len() == b.len() && p.len() == c.len(), "one value per step");
            p.into_iter().zip(b).zip(c).map(|((p, b), c)| (p, b, c)).collect()
        })
        .collect()
}

/// Two ranks whose compute times differ step by step: the faster one must wait at the
/// barrier. `host_barrier: false` sets `MLSTOR_HOST_BARRIER=0` (the polled MPI barrier that
/// ranks fall back to).
fn ranks_meet_after_every_step(host_barrier: bool) {
    let d = tempfile::tempdir().expect("tempdir");
    let Some(mut cmd) = mpirun(2) else { return };
    let results = d.path().join("r");
    let out = cmd
        .current_dir(d.path())
        .env("MLSTOR_HOST_BARRIER", if host_barrier { "1" } else { "0" })
        .arg(env!("CARGO_BIN_EXE_mlstor"))
        .args(["run", "unet3d_tiny", "--quiet", "--results-dir"])
        .arg(&results)
        .args([
            "--set",
            "dataset.num_files_train=16",
            "--set",
            "reader.batch_size=1",
        ])
        // Each rank draws its own compute time per step: the ranks finish their steps
        // tens of milliseconds apart, and the faster one waits at the barrier.
        .args([
            "--set",
            "train.computation_time=0.04",
            "--set",
            "train.computation_time_stdev=0.04",
        ])
        .output()
        .expect("mpirun");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let kind = if host_barrier {
        "host_shared_memory"
    } else {
        "mpi_ibarrier_polled"
    };
    assert_eq!(json(&results.join("results.json"))["barrier"], kind);
    let (r0, r1) = (step_times(&results, 0), step_times(&results, 1));
    assert!(
        !r0.is_empty() && r0.len() == r1.len(),
        "the same epochs on both ranks"
    );
    let mut checked = 0;
    for (e0, e1) in r0.iter().zip(&r1) {
        assert_eq!(e0.len(), e1.len(), "the same steps on both ranks");
        // From the second step on, a step starts when the previous barrier releases both
        // ranks, so step + barrier wait ends at the same moment on both ranks.
        for (&(p0, b0, c0), &(p1, b1, c1)) in e0.iter().zip(e1).skip(1) {
            if (c0 - c1).abs() > 0.03 {
                checked += 1;
                let (end0, end1) = (p0 + b0, p1 + b1);
                assert!(
                    (end0 - end1).abs() < 0.02,
                    "{kind}: computes {c0:.3}/{c1:.3} s, but steps with their barrier waits {end0:.3}/{end1:.3} s"
                );
            }
        }
    }
    assert!(
        checked > 0,
        "no step where the ranks' compute times differed enough to tell"
    );
}

#[test]
fn ranks_meet_after_every_step_in_shared_memory() {
    ranks_meet_after_every_step(true);
}

#[test]
fn ranks_meet_after_every_step_through_mpi() {
    ranks_meet_after_every_step(false);
}

#[test]
fn num_accelerators_starts_the_ranks() {
    if mpirun(2).is_none() {
        return;
    }
    let d = tempfile::tempdir().expect("tempdir");
    let results = run(d.path(), &["--num-accelerators", "2"]);
    assert_eq!(json(&results.join("summary.json"))["num_accelerators"], 2);
}

#[test]
fn two_ranks_on_s3() {
    let Some(bucket) = s3_bucket() else { return };
    let Some(mut cmd) = mpirun(2) else { return };
    let d = tempfile::tempdir().expect("tempdir");
    let prefix = format!("s3://{bucket}/train-mpi-{}", std::process::id());
    let results = d.path().join("r");
    let out = cmd
        .current_dir(d.path())
        .arg(env!("CARGO_BIN_EXE_mlstor"))
        .args([
            "run",
            "resnet50_tiny",
            "--quiet",
            "--verify",
            "--results-dir",
            results.to_str().expect("utf8"),
        ])
        .args(["--set", &format!("dataset.data_folder={prefix}")])
        .output()
        .expect("mpirun");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = json(&results.join("results.json"));
    assert_eq!(
        samples_per_epoch(&r),
        [128, 128],
        "4 files x 32 samples, batch 16, 2 ranks"
    );
    ok(d.path(), &["rm", "-r", &prefix]);
}

#[test]
fn missing_dataset_names_what_is_missing() {
    let d = tempfile::tempdir().expect("tempdir");
    let mut args = vec!["run", "unet3d_tiny", "--set", "workflow.generate_data=False"];
    args.extend_from_slice(TINY);
    let err = fails(d.path(), &args, "mlstor generate");
    assert!(
        err.contains("0 train files where the workload needs 4") && err.contains("img_0_of_4.npz"),
        "{err}"
    );
}

#[test]
fn damaged_files_are_caught_and_named() {
    let d = tempfile::tempdir().expect("tempdir");
    run(d.path(), &[]);
    let file = d.path().join("data/unet3d_tiny/train/img_1_of_4.npz");
    let mut bytes = std::fs::read(&file).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55; // inside x.npy's data: structure intact, content wrong
    std::fs::write(&file, &bytes).expect("write");
    let mut args = vec![
        "run",
        "unet3d_tiny",
        "--set",
        "workflow.generate_data=False",
        "--verify",
    ];
    args.extend_from_slice(TINY);
    let err = fails(d.path(), &args, "img_1_of_4.npz");
    assert!(err.contains("not what `mlstor generate` wrote"), "{err}");
    std::fs::write(&file, &bytes[..bytes.len() / 3]).expect("truncate");
    let mut args = vec!["run", "unet3d_tiny", "--set", "workflow.generate_data=False"];
    args.extend_from_slice(TINY);
    fails(d.path(), &args, "img_1_of_4.npz");
}

/// DLIO 3.0.2's `synthetic` format: the generator writes each file's index as text, and
/// training lists the files but reads none of them.
#[test]
fn synthetic_datasets_are_listed_not_read() {
    let d = tempfile::tempdir().expect("tempdir");
    let args = format_args("synthetic", "none", "pytorch", "data/syn");
    let mut extra: Vec<&str> = args.iter().map(String::as_str).collect();
    let log = d.path().join("ops.tsv");
    let log = log.to_str().expect("utf8").to_string();
    extra.extend(["--op-log", &log]);
    let results = run(d.path(), &extra);
    let body = std::fs::read_to_string(d.path().join("data/syn/train/img_2_of_4.synthetic")).expect("file");
    assert_eq!(body, "2");
    let r = json(&results.join("results.json"));
    assert_eq!(samples_per_epoch(&r), [8, 8], "every sample each epoch");
    assert_eq!(r["summary"]["train"]["bytes_read"].as_u64(), Some(0));
    let ops = std::fs::read_to_string(&log).expect("op-log");
    assert!(
        !ops.lines().any(|l| l.contains("\tget") && l.contains("train e")),
        "no reads in training: {ops}"
    );
    assert!(
        ops.lines().any(|l| l.contains("\tlist\t")),
        "the files are listed"
    );
}

/// Image files are read as DLIO 3.0.2 reads them, undecoded (their header is checked):
/// damaged pixel data trains, as in DLIO 3.0.2, and fails under `--dlio-compat` (v2.0
/// decodes), or with `--verify`; a file that is no image fails either way.
#[test]
fn images_are_read_undecoded_as_dlio_3_0_2_and_decoded_under_dlio_compat() {
    let d = tempfile::tempdir().expect("tempdir");
    let args = format_args("jpeg", "none", "pytorch", "data/jpeg");
    let extra: Vec<&str> = args.iter().map(String::as_str).collect();
    run(d.path(), &extra);
    let file = d.path().join("data/jpeg/train/img_1_of_4.jpeg");
    let bytes = std::fs::read(&file).expect("read");
    // Cut inside the entropy-coded data: the header is intact, the pixels are not.
    std::fs::write(&file, &bytes[..bytes.len() * 3 / 4]).expect("cut");
    let mut again = extra.clone();
    again.extend(["--set", "workflow.generate_data=False"]);
    run(d.path(), &again);
    let mut compat = again.clone();
    compat.push("--dlio-compat");
    let mut base: Vec<&str> = vec!["run", "unet3d_tiny", "--quiet"];
    base.extend_from_slice(TINY);
    let mut a = base.clone();
    a.extend_from_slice(&compat);
    let err = fails(d.path(), &a, "img_1_of_4.jpeg");
    assert!(err.contains("jpeg"), "{err}");
    let mut a = base.clone();
    a.extend_from_slice(&again);
    a.push("--verify");
    fails(d.path(), &a, "img_1_of_4.jpeg");
    std::fs::write(&file, b"not an image at all").expect("garbage");
    let mut a = base.clone();
    a.extend_from_slice(&again);
    fails(d.path(), &a, "img_1_of_4.jpeg");
}

#[test]
fn an_impossible_checkpoint_plan_is_refused_before_anything_is_written() {
    let d = tempfile::tempdir().expect("tempdir");
    let out = mlstor(
        d.path(),
        &[
            "run",
            "unet3d_tiny",
            "--set",
            "workflow.checkpoint=True",
            "--set",
            "model.type=transformer",
            "--set",
            "model.parallelism.tensor=2",
        ],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("tensor") && !err.contains("panicked"), "{err}");
    assert!(!d.path().join("data").exists(), "nothing written");
}

#[test]
fn total_training_steps_caps_the_run_or_each_epoch() {
    let d = tempfile::tempdir().expect("tempdir");
    let steps = |results: &Path| -> Vec<u64> {
        json(&results.join("results.json"))["summary"]["epochs"]
            .as_array()
            .expect("epochs")
            .iter()
            .map(|e| e["train"]["steps"].as_u64().expect("steps"))
            .collect()
    };
    let r = run(d.path(), &["--set", "train.total_training_steps=5"]);
    assert_eq!(steps(&r), [4, 1], "the whole run stops after 5 steps");
    let r = run(
        d.path(),
        &["--set", "train.total_training_steps=3", "--dlio-compat"],
    );
    assert_eq!(steps(&r), [3, 3], "DLIO caps each epoch");
    assert_eq!(json(&r.join("results.json"))["dlio_compat"], true);
}

#[test]
fn a_larger_dataset_trains_on_its_first_files_as_in_dlio() {
    let d = tempfile::tempdir().expect("tempdir");
    run(
        d.path(),
        &["--set", "dataset.num_files_train=8", "--set", "train.epochs=1"],
    );
    // The same folder with num_files_train 4: the first 4 files by name, verified.
    let r = run(d.path(), &["--set", "workflow.generate_data=False", "--verify"]);
    let r = json(&r.join("results.json"));
    assert_eq!(samples_per_epoch(&r), [8, 8], "4 of the 8 files, 2 samples each");
}

#[test]
fn loader_settings_shape_the_io() {
    let d = tempfile::tempdir().expect("tempdir");
    let epoch_reads = |r: &Value, e: usize, key: &str| -> u64 {
        r["per_rank"][0]["epochs"][e]["blocks"][0][key]
            .as_u64()
            .expect(key)
    };
    // transfer_size: every 4 KiB sample read in 1 KiB requests.
    let r = json(
        &run(
            d.path(),
            &[
                "--set",
                "reader.transfer_size=1024",
                "--set",
                "dataset.format=indexed_binary",
                "--set",
                "dataset.data_folder=data/ib",
            ],
        )
        .join("results.json"),
    );
    assert_eq!(epoch_reads(&r, 0, "requests"), 8 * 4, "8 samples x 4 requests");
    // in_memory: each worker keeps the files it read; without shuffles it reads the same ones
    // again in epoch 2, from memory.
    let no_shuffle = [
        "--set",
        "reader.file_shuffle=off",
        "--set",
        "reader.sample_shuffle=off",
    ];
    let mut args = vec!["--set", "reader.read_type=in_memory"];
    args.extend(no_shuffle);
    let r = json(&run(d.path(), &args).join("results.json"));
    assert!(epoch_reads(&r, 0, "bytes_read") > 0);
    assert_eq!(epoch_reads(&r, 1, "bytes_read"), 0, "epoch 2 from memory");
    // on_demand (PyTorch): every sample reads its whole file again, both epochs.
    let r = json(&run(d.path(), &[]).join("results.json"));
    assert_eq!(epoch_reads(&r, 0, "requests"), 8);
    assert_eq!(epoch_reads(&r, 1, "requests"), 8);
    // preprocess_time is spent in the workers, per sample: 4 samples per worker per epoch.
    let r = json(
        &run(
            d.path(),
            &[
                "--set",
                "reader.preprocess_time=0.02",
                "--set",
                "train.computation_time=0",
                "--set",
                "train.epochs=1",
            ],
        )
        .join("results.json"),
    );
    let wall = r["per_rank"][0]["epochs"][0]["blocks"][0]["wall_s"]
        .as_f64()
        .expect("wall");
    assert!(
        wall >= 4.0 * 0.02,
        "two workers each preprocess 4 samples: {wall} s"
    );
}

#[test]
fn evaluation_follows_its_schedule() {
    let d = tempfile::tempdir().expect("tempdir");
    let r = run(
        d.path(),
        &[
            "--set",
            "workflow.evaluation=True",
            "--set",
            "dataset.num_files_eval=2",
            "--set",
            "train.epochs=3",
            "--set",
            "evaluation.eval_after_epoch=2",
            "--set",
            "evaluation.eval_time=0.01",
        ],
    );
    let r = json(&r.join("results.json"));
    let evals: Vec<bool> = r["summary"]["epochs"]
        .as_array()
        .expect("epochs")
        .iter()
        .map(|e| !e["eval"].is_null())
        .collect();
    assert_eq!(
        evals,
        [false, true, true],
        "evaluations from epoch 2, every epoch"
    );
    let au = r["summary"]["eval"]["au_percent"]["mean"]
        .as_f64()
        .expect("eval au");
    assert!(au > 50.0, "eval_time keeps the accelerator busy: {au}");
}

#[test]
fn ranks_pinned_to_their_endpoint() {
    let (Ok(bucket), Ok(e1), Ok(e2)) = (
        std::env::var("MLSTOR_TEST_BUCKET"),
        std::env::var("AWS_ENDPOINT_URL"),
        std::env::var("MLSTOR_TEST_S3_ENDPOINT2"),
    ) else {
        mlstor_store::conformance::skip_or_fail(
            "MLSTOR_TEST_BUCKET/AWS_ENDPOINT_URL/MLSTOR_TEST_S3_ENDPOINT2 are not set",
        );
        return;
    };
    let Some(mut cmd) = mpirun(2) else { return };
    let d = tempfile::tempdir().expect("tempdir");
    let prefix = format!("s3://{bucket}/train-pin-{}", std::process::id());
    let results = d.path().join("r");
    let out = cmd
        .current_dir(d.path())
        .arg(env!("CARGO_BIN_EXE_mlstor"))
        .args(["--endpoint", &e1, "--endpoint", &e2, "--pin-rank"])
        .args([
            "run",
            "unet3d_tiny",
            "--quiet",
            "--results-dir",
            results.to_str().expect("utf8"),
        ])
        .args(["--set", &format!("dataset.data_folder={prefix}")])
        .output()
        .expect("mpirun");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = json(&results.join("results.json"));
    for rank in 0..2 {
        let eps = r["per_rank"][rank]["endpoints"].as_array().expect("endpoints");
        assert_eq!(eps.len(), 2, "{eps:?}");
        let busy: Vec<bool> = eps
            .iter()
            .map(|e| e["requests"].as_u64().expect("n") > 0)
            .collect();
        let mut want = [false, false];
        want[rank] = true;
        assert_eq!(busy, want, "rank {rank} talks to endpoint {rank} only: {eps:?}");
    }
    ok(d.path(), &["rm", "-r", &prefix]);
}

#[test]
fn trains_on_azure_and_gcs() {
    let d = tempfile::tempdir().expect("tempdir");
    for (scheme, var) in [("az", "MLSTOR_TEST_CONTAINER"), ("gs", "MLSTOR_TEST_GCS_BUCKET")] {
        let Ok(bucket) = std::env::var(var) else {
            mlstor_store::conformance::skip_or_fail(&format!("{var} is not set"));
            continue;
        };
        let prefix = format!("{scheme}://{bucket}/train-{}", std::process::id());
        let folder = format!("dataset.data_folder={prefix}");
        let r = json(&run(d.path(), &["--set", &folder, "--verify"]).join("results.json"));
        assert_eq!(samples_per_epoch(&r), [8, 8], "{scheme}");
        ok(d.path(), &["rm", "-r", &prefix]);
    }
}

#[test]
fn the_report_shows_epochs_latency_and_the_au_check() {
    let d = tempfile::tempdir().expect("tempdir");
    let mut args = vec!["run", "unet3d_tiny"];
    args.extend_from_slice(TINY);
    args.extend(["--set", "train.computation_time=0.02"]);
    let out = ok(d.path(), &args);
    for want in [
        "epoch",
        "samples/s",
        "MB/s read",
        "storage read",
        "batch wait",
        "AU check: PASS",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    let args = ["run", "unet3d_tiny", "--json", "--set", "train.epochs=1"];
    let line = ok(d.path(), &args);
    let v: Value = serde_json::from_str(line.trim()).expect("one JSON line");
    assert_eq!(v["summary"]["ranks"], 1);
}

/// Checkpoint folders (`global_epoch*_step*`) under `dir`.
fn checkpoint_dirs(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|it| {
            it.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn checkpoints_during_training_every_few_steps() {
    let d = tempfile::tempdir().expect("tempdir");
    let ck = d.path().join("ck");
    let folder = format!("checkpoint.checkpoint_folder={}", ck.display());
    let r = run(
        d.path(),
        &[
            "--set",
            "workflow.checkpoint=True",
            "--set",
            "checkpoint.steps_between_checkpoints=2",
            "--set",
            &folder,
        ],
    );
    assert_eq!(
        checkpoint_dirs(&ck),
        [
            "global_epoch1_step2",
            "global_epoch1_step4",
            "global_epoch2_step2",
            "global_epoch2_step4"
        ]
    );
    let model = std::fs::metadata(ck.join("global_epoch1_step2/model_states-0.pt")).expect("rank 0's model");
    assert_eq!(
        model.len(),
        1048576,
        "unet3d_tiny's model.model_size, as the YAML says"
    );
    let s = json(&r.join("summary.json"));
    for k in [
        "save_checkpoint_io_mean_GB_per_second",
        "save_checkpoint_io_stdev_GB_per_second",
        "save_checkpoint_duration_mean_seconds",
        "save_checkpoint_duration_stdev_seconds",
        "checkpoint_size_GB",
    ] {
        assert!(s["metric"][k].is_number(), "{k}: {}", s["metric"]);
    }
    let e = json(&r.join("0_per_epoch_stats.json"));
    for k in ["block1", "block2", "save_ckpt1", "save_ckpt2"] {
        assert!(e["1"][k].is_object(), "{k}: {}", e["1"]);
    }
    assert!(e["1"]["save_ckpt1"]["throughput"].is_number());
    let results = json(&r.join("results.json"));
    assert_eq!(
        results["summary"]["checkpoint"]["save"]["checkpoints"]
            .as_array()
            .expect("saves")
            .len(),
        4
    );
    assert_eq!(
        samples_per_epoch(&results),
        [8, 8],
        "blocks still read every sample"
    );
}

#[test]
fn checkpoints_after_epochs_and_dlio_sizes() {
    let d = tempfile::tempdir().expect("tempdir");
    let ck = d.path().join("ck");
    let folder = format!("checkpoint.checkpoint_folder={}", ck.display());
    run(
        d.path(),
        &[
            "--set",
            "workflow.checkpoint=True",
            "--set",
            "train.epochs=4",
            "--set",
            "checkpoint.checkpoint_after_epoch=2",
            "--set",
            "checkpoint.epochs_between_checkpoints=2",
            "--set",
            &folder,
            "--dlio-compat",
        ],
    );
    assert_eq!(
        checkpoint_dirs(&ck),
        ["global_epoch2_step4", "global_epoch4_step4"]
    );
    let model = std::fs::metadata(ck.join("global_epoch2_step4/model_states-0.pt")).expect("model");
    assert_eq!(
        model.len(),
        10240,
        "DLIO ignores model.model_size: model_size_bytes' default"
    );
}

#[test]
fn dataset_and_checkpoints_on_separate_storage() {
    let Some(bucket) = s3_bucket() else { return };
    let d = tempfile::tempdir().expect("tempdir");
    let prefix = format!("s3://{bucket}/train-ckpt-{}", std::process::id());
    let folder = format!("checkpoint.checkpoint_folder={prefix}");
    let r = run(
        d.path(),
        &[
            "--set",
            "workflow.checkpoint=True",
            "--set",
            "train.epochs=1",
            "--set",
            "checkpoint.checkpoint_after_epoch=1",
            "--set",
            &folder,
        ],
    );
    assert!(
        d.path().join("data/unet3d_tiny/train").is_dir(),
        "the dataset on file://"
    );
    let listed = ok(d.path(), &["ls", "-r", &prefix]);
    assert!(
        listed.contains("global_epoch1_step4/model_states-0.pt"),
        "{listed}"
    );
    let results = json(&r.join("results.json"));
    assert_eq!(results["summary"]["checkpoint"]["uri"], prefix.as_str());
    ok(d.path(), &["rm", "-r", &prefix]);
}

/// Every shipped `_tiny` workload runs end to end as shipped: on file://, then with its data
/// folder on the S3 test server.
#[test]
fn every_tiny_workload_runs_as_shipped() {
    let names: Vec<&str> = mlstor_bench::workloads::names()
        .filter(|n| n.ends_with("_tiny"))
        .collect();
    assert_eq!(
        names,
        [
            "cosmoflow_tiny",
            "dlrm_tiny",
            "flux_tiny",
            "llama3_tiny",
            "resnet50_tiny",
            "retinanet_tiny",
            "unet3d_tiny"
        ]
    );
    let bucket = s3_bucket();
    for name in names {
        let d = tempfile::tempdir().expect("tempdir");
        let r = d.path().join("results");
        let r = r.to_str().expect("utf8");
        ok(d.path(), &["run", name, "--quiet", "--results-dir", r]);
        let summary = json(&d.path().join("results/summary.json"));
        assert!(summary["metric"].is_object(), "{name}: {summary}");
        let Some(bucket) = &bucket else { continue };
        let prefix = format!("s3://{bucket}/tiny-{}-{name}", std::process::id());
        let folder = format!("++workload.dataset.data_folder={prefix}");
        let r3 = d.path().join("results-s3");
        ok(
            d.path(),
            &[
                "run",
                name,
                &folder,
                "--quiet",
                "--results-dir",
                r3.to_str().expect("utf8"),
            ],
        );
        let s3 = json(&r3.join("summary.json"));
        let (a, b) = (&summary["metric"], &s3["metric"]);
        assert_eq!(
            a["train_throughput_samples_per_second"].as_array().map(Vec::len),
            b["train_throughput_samples_per_second"].as_array().map(Vec::len),
            "{name}: the same epochs on s3://"
        );
        ok(d.path(), &["rm", "-r", &prefix]);
    }
}

/// A damaged npz payload (one byte, the zip structure intact): `--check-crc` fails the run
/// naming the file, as numpy's loader would; without it the run trains (issue #19 item 7).
#[test]
fn check_crc_catches_a_damaged_npz_payload() {
    let d = tempfile::tempdir().expect("tempdir");
    run(d.path(), &["--set", "dataset.data_folder=data"]);
    let dir = d.path().join("data/train");
    let victim = std::fs::read_dir(&dir)
        .expect("train")
        .flatten()
        .map(|e| e.path())
        .min()
        .expect("a file");
    let mut bytes = std::fs::read(&victim).expect("read");
    let mid = bytes.len() / 2; // inside x.npy's data: the directory sits at the end
    bytes[mid] ^= 0x01;
    std::fs::write(&victim, bytes).expect("write");
    let again = [
        "--set",
        "dataset.data_folder=data",
        "--set",
        "workflow.generate_data=False",
    ];
    run(d.path(), &again);
    let mut args = vec!["run", "unet3d_tiny", "--quiet", "--check-crc"];
    args.extend_from_slice(TINY);
    args.extend_from_slice(&again);
    let name = victim
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name")
        .to_string();
    let err = fails(d.path(), &args, "bad CRC-32");
    assert!(err.contains(&name), "{err}");
}
