//! Every shipped workload parses, validates, and resolves to DLIO's values and defaults;
//! MLPerf Storage v3.0's are its files unmodified.
use mlstor_bench::config::schema::{CheckpointType, DataLoader, Format, Framework, Shuffle};
use mlstor_bench::config::{load, resolved_yaml};
use mlstor_bench::workloads;

fn get(name: &str) -> mlstor_bench::config::Workload {
    load(name, &[], &|_| None).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_shipped_workload_parses_and_prints() {
    let names: Vec<&str> = workloads::names().collect();
    assert!(names.len() >= 32, "{names:?}");
    for name in names {
        let w = get(name);
        assert!(!resolved_yaml(&w).is_empty());
    }
}

#[test]
fn training_workloads_match_mlperf_and_dlio_defaults() {
    // (name, format, loader, files, samples/file, record bytes, batch, read_threads, compute s, au, epochs)
    #[rustfmt::skip]
    let table = [
        ("unet3d_a100", Format::Npz, DataLoader::Pytorch, 168, 1, 146600628.0, 7, 4, 0.636, 0.90, 5),
        ("unet3d_b200", Format::Npz, DataLoader::Pytorch, 7200, 1, 146600628.0, 7, 4, 0.162, 0.90, 5),
        ("unet3d_h100", Format::Npz, DataLoader::Pytorch, 168, 1, 146600628.0, 7, 4, 0.323, 0.90, 5),
        ("unet3d_a100_v2", Format::Npz, DataLoader::Pytorch, 168, 1, 146600628.0, 7, 4, 0.636, 0.90, 5),
        ("unet3d_h100_v2", Format::Npz, DataLoader::Pytorch, 168, 1, 146600628.0, 7, 4, 0.323, 0.90, 5),
        ("retinanet_a100", Format::Jpeg, DataLoader::Pytorch, 1743042, 1, 153600.0, 16, 8, 0.210, 0.85, 5),
        ("retinanet_b200", Format::Jpeg, DataLoader::Pytorch, 1170301, 1, 322957.0, 24, 8, 0.04755, 0.85, 8),
        ("retinanet_h100", Format::Jpeg, DataLoader::Pytorch, 1743042, 1, 153600.0, 16, 8, 0.180, 0.85, 5),
        ("retinanet_mi355", Format::Jpeg, DataLoader::Pytorch, 1170301, 1, 322957.0, 32, 8, 0.0634, 0.85, 8),
        ("flux_a100", Format::Jpeg, DataLoader::Pytorch, 1099776, 1, 307200.0, 8, 8, 1.100, 0.80, 5),
        ("flux_h100", Format::Jpeg, DataLoader::Pytorch, 1099776, 1, 307200.0, 8, 8, 0.850, 0.80, 5),
        ("flux_b200", Format::Parquet, DataLoader::Pytorch, 4296, 288, 2164832.0, 48, 8, 1.35, 0.90, 1),
        ("dlrm_a100", Format::Npz, DataLoader::Pytorch, 65536, 1, 512.0, 8192, 8, 0.007, 0.70, 1),
        ("dlrm_h100", Format::Npz, DataLoader::Pytorch, 65536, 1, 512.0, 8192, 8, 0.005, 0.70, 1),
        ("dlrm_b200", Format::Parquet, DataLoader::Pytorch, 1024, 4718592, 761.0, 16384, 4, 0.000375, 0.70, 1),
        ("dlrm_mi355", Format::Parquet, DataLoader::Pytorch, 1024, 4718592, 761.0, 16384, 4, 0.0005625, 0.70, 1),
        ("resnet50_a100", Format::Tfrecord, DataLoader::Tensorflow, 1024, 1251, 114660.07, 400, 8, 0.435, 0.90, 5),
        ("resnet50_h100", Format::Tfrecord, DataLoader::Tensorflow, 1024, 1251, 114660.07, 400, 8, 0.224, 0.90, 5),
        ("cosmoflow_a100", Format::Tfrecord, DataLoader::Tensorflow, 524288, 1, 2828486.0, 1, 4, 0.00551, 0.70, 5),
        ("cosmoflow_h100", Format::Tfrecord, DataLoader::Tensorflow, 524288, 1, 2828486.0, 1, 4, 0.00350, 0.70, 5),
    ];
    for (name, format, loader, files, spf, rec, batch, threads, compute, au, epochs) in table {
        let w = get(name);
        assert_eq!(w.dataset.format, format, "{name}");
        assert_eq!(w.reader.data_loader, Some(loader), "{name}");
        assert_eq!(w.dataset.num_files_train, files, "{name}");
        assert_eq!(w.dataset.num_samples_per_file, spf, "{name}");
        assert_eq!(w.dataset.record_length_bytes, rec, "{name}");
        assert_eq!(w.reader.batch_size, batch, "{name}");
        assert_eq!(w.reader.read_threads, threads, "{name}");
        assert_eq!(
            w.train.computation_time,
            mlstor_bench::config::schema::Seconds::Fixed(compute),
            "{name}"
        );
        assert_eq!(w.metric.au, au, "{name}");
        assert_eq!(w.train.epochs, epochs, "{name}");
        // DLIO defaults for what the YAML leaves out.
        assert_eq!(w.reader.prefetch_size, 2, "{name}");
        assert_eq!(w.train.seed, 123, "{name}");
        assert_eq!(w.output.metric.exclude_start_steps, 1, "{name}");
        assert_eq!(w.dataset.num_files_eval, 0, "{name}");
        assert_eq!(w.dataset.file_prefix, "img", "{name}");
        assert_eq!(w.checkpoint.kind, CheckpointType::RankZero, "{name}");
        assert_eq!(
            w.reader.multiprocessing_context, "spawn",
            "{name}: DLIO 3.0.2's default"
        );
        assert!(w.workflow.train && !w.workflow.generate_data, "{name}");
    }
    // v3.0's unet3d files no longer checkpoint; v2.0's (kept as *_v2) did, after epoch 5.
    for name in ["unet3d_a100", "unet3d_b200", "unet3d_h100"] {
        assert!(!get(name).workflow.checkpoint, "{name}");
    }
    for name in ["unet3d_a100_v2", "unet3d_h100_v2"] {
        let w = get(name);
        assert!(w.workflow.checkpoint, "{name}");
        assert_eq!(w.checkpoint.checkpoint_after_epoch, 5, "{name}");
    }
    // The parquet files: columns, row groups, and what DLIO 3.0.2 ignores in them.
    let d = get("dlrm_b200");
    assert_eq!(d.dataset.parquet.columns.len(), 200);
    assert_eq!(d.dataset.parquet.row_group_size, 6144);
    assert_eq!(
        d.dataset
            .parquet
            .columns
            .iter()
            .filter(|c| c.read == Some(true))
            .count(),
        40
    );
    assert_eq!(d.ignored, ["dataset.parquet.read_mode"]);
    assert!(
        d.unlike_dlio
            .iter()
            .any(|n| n.contains("only the 40 of 200 columns")),
        "{:?}",
        d.unlike_dlio
    );
    let f = get("flux_b200");
    let sizes: Vec<u64> = f.dataset.parquet.columns.iter().map(|c| c.size).collect();
    assert_eq!(sizes, [524328, 409, 8232, 8232, 7]);
    assert_eq!(f.dataset.parquet.row_group_size, 1024, "DLIO 3.0.2's default");
    assert!(
        f.unlike_dlio
            .iter()
            .any(|u| u.starts_with("dataset.record_length as")),
        "flux's record_length is read as record_length_bytes: {:?}",
        f.unlike_dlio
    );
    let u = get("unet3d_h100");
    assert_eq!(u.framework, Framework::Pytorch);
    assert_eq!(
        (u.reader.file_shuffle, u.reader.sample_shuffle),
        (Shuffle::Seed, Shuffle::Seed)
    );
    assert_eq!(u.model.model_size, Some(499153191));
    assert_eq!(
        u.model.model_size_bytes, 10240,
        "DLIO's default; the YAML's model_size is the other key"
    );
    assert_eq!(get("cosmoflow_h100").reader.shuffle_size, 2);
    assert!(get("resnet50_a100").reader.dont_use_mmap);
}

#[test]
fn checkpoint_workloads_match_mlperf() {
    // (name, layers, hidden, ffn, heads, kv, tp, pp, zero, data)
    let table = [
        ("llama3_8b", 32, 4096, 14336, 32, 8, 1, 1, 3, 1),
        ("llama3_70b", 80, 8192, 28672, 128, 8, 8, 1, 3, 1),
        ("llama3_405b", 126, 16384, 53248, 128, 8, 8, 32, 1, 2),
        ("llama3_1t", 128, 25872, 98304, 192, 32, 8, 64, 1, -1),
    ];
    for (name, layers, hidden, ffn, heads, kv, tp, pp, zero, data) in table {
        let w = get(name);
        let t = &w.model.transformer;
        assert_eq!(w.model.num_layers, layers, "{name}");
        assert_eq!(
            (
                t.hidden_size,
                t.ffn_hidden_size,
                t.num_attention_heads,
                t.num_kv_heads
            ),
            (hidden, ffn, heads, kv),
            "{name}"
        );
        assert_eq!(t.vocab_size, 128256, "{name}");
        let p = &w.model.parallelism;
        assert_eq!((p.tensor, p.pipeline, p.zero_stage), (tp, pp, zero), "{name}");
        assert_eq!(
            p.data, data,
            "{name}: v3.0's hint (checkpoint.mode stays default)"
        );
        assert!(
            w.workflow.checkpoint && !w.workflow.train && !w.workflow.generate_data,
            "{name}"
        );
        assert_eq!(
            (
                w.checkpoint.num_checkpoints_write,
                w.checkpoint.num_checkpoints_read
            ),
            (10, 10),
            "{name}"
        );
        assert!(w.checkpoint.fsync, "{name}");
    }
}

#[test]
fn tiny_variants_are_small_and_generate_their_data() {
    for name in workloads::names().filter(|n| n.ends_with("_tiny")) {
        let w = get(name);
        if w.workflow.train {
            assert!(w.workflow.generate_data, "{name}");
            assert!(w.dataset.num_files_train <= 16, "{name}");
            let bytes = w.dataset.num_files_train as f64
                * w.dataset.num_samples_per_file as f64
                * w.dataset.record_length_bytes;
            assert!(bytes <= 16.0 * 1024.0 * 1024.0, "{name}: {bytes} bytes");
        } else {
            assert!(w.workflow.checkpoint, "{name}");
        }
    }
    for name in [
        "unet3d",
        "retinanet",
        "flux",
        "dlrm",
        "cosmoflow",
        "resnet50",
        "llama3",
    ] {
        assert!(
            workloads::shipped(&format!("{name}_tiny")).is_some(),
            "{name}_tiny"
        );
    }
    assert_eq!(get("dlrm_tiny").dataset.format, Format::Parquet);
    assert_eq!(get("flux_tiny").dataset.format, Format::Parquet);
}

/// MLPerf Storage v3.0's workloads are shipped as its files, a header line added.
#[test]
fn v3_workloads_are_mlperfs_files_unmodified() {
    // A copy of MLPerf's files in tests/data (MLSTOR_ANCHORS: another mlpstorage-v3 folder).
    let anchors = std::env::var_os("MLSTOR_ANCHORS")
        .map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mlpstorage-v3"),
            std::path::PathBuf::from,
        )
        .join("workloads");
    assert!(anchors.is_dir(), "no anchors at {}", anchors.display());
    let mut checked = 0;
    for name in workloads::names() {
        let text = workloads::shipped(name).expect("shipped");
        let Some((header, body)) = text.split_once('\n') else {
            continue;
        };
        if !header.starts_with("# MLPerf Storage v3.0 ") {
            continue;
        }
        // unet3d_a100: the newer of the two versions found (checkpoint off, as b200 and h100).
        let file = if name == "unet3d_a100" {
            anchors.join("alt-versions/unet3d_a100@d70e0b6f41fc.yaml")
        } else {
            anchors.join(format!("{name}.yaml"))
        };
        let want = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(body == want, "{name} differs from {}", file.display());
        checked += 1;
    }
    assert_eq!(
        checked, 23,
        "unet3d ×3, retinanet ×4, flux ×4, dlrm ×4, cosmoflow ×2, resnet50 ×2, llama3 ×4"
    );
}

#[test]
fn overrides_in_both_styles() {
    let w = load(
        "unet3d_h100",
        &[
            "dataset.num_files_train=64".into(),
            "++workload.reader.batch_size=4".into(),
        ],
        &|_| None,
    )
    .expect("overrides");
    assert_eq!((w.dataset.num_files_train, w.reader.batch_size), (64, 4));
    let e = load("unet3d_h100", &["reader.batch_sise=4".into()], &|_| None)
        .expect_err("typo")
        .to_string();
    assert!(e.contains("did you mean `reader.batch_size`"), "{e}");
}

#[test]
fn invalid_combinations_are_refused() {
    let e = load("unet3d_h100", &["dataset.format=tfrecord".into()], &|_| None)
        .expect_err("tfrecord+pytorch")
        .to_string();
    assert!(e.contains("tfrecord") && e.contains("pytorch"), "{e}");
    let e = load("resnet50_h100", &["framework=pytorch".into()], &|_| None)
        .expect_err("mismatch")
        .to_string();
    assert!(e.contains("framework"), "{e}");
    let e = load("llama3_405b", &["model.parallelism.zero_stage=3".into()], &|_| {
        None
    })
    .expect_err("zero3+pp")
    .to_string();
    assert!(e.contains("zero_stage 3"), "{e}");
    let e = load("no_such_workload", &[], &|_| None)
        .expect_err("unknown")
        .to_string();
    assert!(e.contains("unet3d_h100"), "lists the shipped ones: {e}");
}

#[test]
fn the_resolved_yaml_loads_back_to_the_same_workload() {
    for name in workloads::names() {
        let w = get(name);
        let dir = std::env::temp_dir().join(format!("mlstor-resolved-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let p = dir.join("w.yaml");
        std::fs::write(&p, resolved_yaml(&w)).expect("write");
        let mut again =
            load(p.to_str().expect("utf8"), &[], &|_| None).unwrap_or_else(|e| panic!("{name}: {e}"));
        // What the file said in older spellings is said in today's: nothing to note again.
        again.unlike_dlio = w.unlike_dlio.clone();
        assert!(again == w, "{name}: resolved YAML round-trips");
    }
}
