//! Run folders that mlpstorage + DLIO 3.0.2 leave, read back without any mlstor metadata:
//! real DLIO 3.0.2 result folders (crates/bench/tests/data/dlio/v3.0.2, from DLIO itself)
//! placed in mlpstorage's tree, then grouped, checked and reported.

use std::path::{Path, PathBuf};

use mlstor_mlperf::report::{self, load};
use mlstor_mlperf::rules::{BenchmarkType, Validation, check_run};

fn dlio(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bench/tests/data/dlio/v3.0.2")
        .join(name)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read").flatten() {
        let dst = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).expect("copy");
        }
    }
}

#[test]
fn dlio_run_folders_are_read_grouped_and_checked() {
    let d = tempfile::tempdir().expect("tmp");
    let base = d.path().join("closed/Acme/results/box");
    copy_dir(
        &dlio("train_eval"),
        &base.join("training/unet3d/run/20261203_094024"),
    );
    copy_dir(
        &dlio("checkpoint_only"),
        &base.join("checkpointing/llama3-8b/20261203_093900"),
    );
    let (groups, skipped) = load(d.path()).expect("load");
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(groups.len(), 2);

    let (train, tv) = groups
        .iter()
        .find(|(g, _)| g.runs[0].benchmark_type == Some(BenchmarkType::Training))
        .expect("training");
    let r = &train.runs[0];
    assert_eq!(
        (
            train.mode.as_str(),
            train.orgname.as_str(),
            train.systemname.as_str()
        ),
        ("closed", "Acme", "box")
    );
    assert_eq!(r.command, "run");
    assert_eq!(r.num_processes, 1);
    assert_eq!(r.model, "report-train-eval"); // DLIO's model.name, as mlpstorage maps it
    assert_eq!(
        r.override_parameters.get("reader.multiprocessing_context"),
        Some(&serde_json::json!("fork"))
    );
    assert!((r.total_memory_bytes.expect("memory") / f64::from(1u32 << 30) - 23.54).abs() < 0.01);
    // Not an MLPerf model, a forbidden override, too few files for 23.5 GiB: INVALID, each named.
    let v = check_run(r);
    assert_eq!(v.category, Validation::Invalid);
    for p in ["model", "Overrode Parameters", "dataset.num_files_train"] {
        assert!(
            v.issues
                .iter()
                .any(|i| i.parameter.as_deref() == Some(p) && i.validation == Validation::Invalid),
            "{p}: {v:#?}"
        );
    }
    // Its report row: DLIO's train_io_mean_MB_per_second / 1024, its host and accelerator counts.
    let row = report::row(d.path(), train, tv);
    assert_eq!(row["Training - # Simulated Accelerators"], 1);
    assert_eq!(row["Training - # Client Nodes"], 1);
    assert!(
        row["Training - Read B/W (GiB/s)"].as_f64().expect("bw") > 0.0,
        "{row:?}"
    );

    let (ck, cv) = groups
        .iter()
        .find(|(g, _)| g.runs[0].benchmark_type == Some(BenchmarkType::Checkpointing))
        .expect("checkpointing");
    assert_eq!(ck.runs[0].command, "run");
    assert_eq!(ck.runs[0].model, "report-llama3-tiny");
    let row = report::row(d.path(), ck, cv);
    assert!(
        row["Checkpointing - Write B/W (GiB/s)"].as_f64().expect("write") > 0.0,
        "{row:?}"
    );
}
