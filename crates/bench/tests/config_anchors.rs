//! Every workload YAML of MLPerf Storage v3.0 (mlcommons/storage's `configs/dlio/workload/`,
//! its other versions, and DLIO 3.0.2's own `configs/workload/`; copies in
//! `tests/data/mlpstorage-v3/`) loads through the config loader, with a fake
//! environment for the variables they name, except the few that are unusable as written,
//! which fail with the message listed here. What each file's keys become (ignored, read
//! where DLIO would not) is checked for the files that carry such keys.

use std::path::{Path, PathBuf};

use mlstor_bench::config::schema::{Format, StorageLibrary, StorageType};
use mlstor_bench::config::{load, messages};

/// The files refused, with a phrase their error must contain.
const REFUSED: &[(&str, &str)] = &[
    // A template: `storage_library: LIBRARY_PLACEHOLDER` must be overridden
    // (`++workload.storage.storage_library=s3dlio|minio`), as its comment says.
    (
        "workloads/llama3_8b_checkpoint.yaml",
        "unknown variant `LIBRARY_PLACEHOLDER`",
    ),
    // No dataset.format (so DLIO's default, tfrecord) read by the pytorch loader without
    // s3dlio: DLIO 3.0.2 refuses the pair, and the files' format is not said.
    (
        "workloads/pytorch_file_backend.yaml",
        "DLIO 3.0.2 reads TFRecord with PyTorch only through storage_library s3dlio",
    ),
    (
        "workloads/pytorch_s3torchconnector.yaml",
        "DLIO 3.0.2 reads TFRecord with PyTorch only through storage_library s3dlio",
    ),
];

fn anchors() -> Option<PathBuf> {
    let dir = std::env::var_os("MLSTOR_ANCHORS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mlpstorage-v3"),
        PathBuf::from,
    );
    assert!(
        dir.is_dir(),
        "the MLPerf Storage v3.0 workload files are not at {}",
        dir.display()
    );
    Some(dir)
}

/// The YAML files of the three folders, as paths relative to the anchors folder.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["workloads", "workloads/alt-versions", "dlio-local-workloads"] {
        for e in std::fs::read_dir(dir.join(sub)).expect("read anchors").flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".yaml") {
                out.push(format!("{sub}/{name}"));
            }
        }
    }
    out.sort();
    out
}

fn env(k: &str) -> Option<String> {
    match k {
        "AWS_ACCESS_KEY_ID" => Some("AKIATESTKEY".into()),
        "AWS_SECRET_ACCESS_KEY" => Some("test-secret".into()),
        "AWS_REGION" => Some("us-east-1".into()),
        _ => None,
    }
}

fn load_anchor(dir: &Path, f: &str) -> Result<mlstor_bench::config::Workload, String> {
    load(dir.join(f).to_str().expect("utf8"), &[], &env).map_err(|e| e.to_string())
}

#[test]
fn every_anchor_workload_loads_or_is_refused_for_its_reason() {
    let Some(dir) = anchors() else { return };
    let all = files(&dir);
    assert_eq!(
        all.len(),
        103,
        "the anchors hold 90 + 13 workloads and 26 of DLIO's: {all:?}"
    );
    let mut failures = Vec::new();
    for f in &all {
        let refused = REFUSED.iter().find(|(name, _)| name == f);
        match (load_anchor(&dir, f), refused) {
            (Ok(w), None) => {
                for m in messages(&w) {
                    eprintln!("{f}: {m}");
                }
            }
            (Err(e), Some((_, why))) if e.contains(why) => eprintln!("{f}: refused: {e}"),
            (Err(e), Some((_, why))) => failures.push(format!("{f}: refused, but not for {why:?}: {e}")),
            (Ok(_), Some(_)) => failures.push(format!("{f}: loads, but is listed as refused")),
            (Err(e), None) => failures.push(format!("{f}: {e}")),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn what_the_v3_files_mean() {
    let Some(dir) = anchors() else { return };
    let get = |f: &str| load_anchor(&dir, f).unwrap_or_else(|e| panic!("{e}"));

    // dlrm_b200: parquet with 200 columns whose `read:` flags DLIO 3.0.2 ignores and
    // mlstor follows (a note says so).
    let w = get("workloads/dlrm_b200.yaml");
    assert_eq!(w.dataset.format, Format::Parquet);
    assert_eq!(w.dataset.parquet.columns.len(), 200);
    assert!(
        w.unlike_dlio
            .iter()
            .any(|n| n.starts_with("dataset.parquet.columns[].read: only the 40 of 200")),
        "{:?}",
        w.unlike_dlio
    );

    // flux_b200: `record_length` is the older spelling of record_length_bytes.
    let w = get("workloads/flux_b200.yaml");
    assert_eq!(w.dataset.record_length_bytes, 2164832.0);
    assert!(
        w.unlike_dlio
            .iter()
            .any(|u| u.starts_with("dataset.record_length as"))
    );

    // The s3dlio examples: storage_type s3dlio, endpoints beside storage_options.
    let w = get("workloads/datagen_s3dlio_multiendpoint.yaml");
    assert_eq!(w.storage.storage_type, StorageType::S3);
    assert_eq!(w.storage.library(), Some(StorageLibrary::S3dlio));
    assert_eq!(w.storage.storage_options.endpoint_uris.len(), 4);
    assert_eq!(
        w.storage.storage_options.access_key_id.as_deref(),
        Some("AKIATESTKEY")
    );
    assert_eq!(w.dataset.record_length_bytes, 204800.0);
    assert_eq!(w.model.name, "resnet50");
    assert!(w.ignored.contains(&"generator".to_string()), "{:?}", w.ignored);
    let w = get("workloads/multi_endpoint_mpi.yaml");
    assert_eq!(
        w.storage.storage_options.use_mpi_endpoint_distribution,
        Some(true)
    );
    let w = get("workloads/datagen_s3dlio_azure.yaml");
    assert_eq!(w.storage.storage_type, StorageType::Azure);

    // `${storage.storage_root}` reads the key.
    let w = get("workloads/resnet50_s3dlio_test.yaml");
    assert_eq!(w.dataset.data_folder, "file:///tmp/mlp-test-data/resnet50/train");
    assert_eq!(w.storage.storage_type, StorageType::LocalFs);

    // Keys under reader: that mean the storage section's.
    let w = get("workloads/test_unet3d_train_minio.yaml");
    assert_eq!(w.storage.storage_type, StorageType::S3);
    assert_eq!(w.storage.library(), Some(StorageLibrary::Minio));
    assert_eq!(w.storage.storage_root, "pr1-test-minio/unet3d");
    assert_eq!(w.storage.storage_options.s3_force_path_style, Some(true));
    assert!(
        w.ignored.contains(&"reader.protocol".to_string()),
        "{:?}",
        w.ignored
    );

    // minio's `secure: false`, and s3_max_attempts.
    let w = get("workloads/llama3_8b_checkpoint_minio.yaml");
    assert_eq!(w.storage.storage_options.secure, Some(false));
    let w = get("dlio-local-workloads/bert_v100.yaml");
    assert!(
        w.ignored.contains(&"workflow.debug".to_string()),
        "{:?}",
        w.ignored
    );

    // The llama3 v3.0 files set model.parallelism.data in the default checkpoint mode.
    let w = get("workloads/llama3_405b.yaml");
    assert_eq!(w.model.parallelism.data, 2);
}
