//! Every shipped workload parses, validates, and resolves to DLIO's values and defaults.
use mlstor_bench::config::schema::{CheckpointType, DataLoader, Format, Framework, Shuffle};
use mlstor_bench::config::{load, resolved_yaml};
use mlstor_bench::workloads;

fn get(name: &str) -> mlstor_bench::config::Workload {
    load(name, &[], &|_| None).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_shipped_workload_parses_and_prints() {
    let names: Vec<&str> = workloads::names().collect();
    assert!(names.len() >= 14, "{names:?}");
    for name in names {
        let w = get(name);
        assert!(!resolved_yaml(&w).is_empty());
    }
}

#[test]
fn training_workloads_match_mlperf_and_dlio_defaults() {
    // (name, format, loader, files, samples/file, record bytes, batch, read_threads, compute s, au)
    let table = [
        (
            "unet3d_a100",
            Format::Npz,
            DataLoader::Pytorch,
            168,
            1,
            146600628.0,
            7,
            4,
            0.636,
            0.90,
        ),
        (
            "unet3d_h100",
            Format::Npz,
            DataLoader::Pytorch,
            168,
            1,
            146600628.0,
            7,
            4,
            0.323,
            0.90,
        ),
        (
            "resnet50_a100",
            Format::Tfrecord,
            DataLoader::Tensorflow,
            1024,
            1251,
            114660.07,
            400,
            8,
            0.435,
            0.90,
        ),
        (
            "resnet50_h100",
            Format::Tfrecord,
            DataLoader::Tensorflow,
            1024,
            1251,
            114660.07,
            400,
            8,
            0.224,
            0.90,
        ),
        (
            "cosmoflow_a100",
            Format::Tfrecord,
            DataLoader::Tensorflow,
            524288,
            1,
            2828486.0,
            1,
            4,
            0.00551,
            0.70,
        ),
        (
            "cosmoflow_h100",
            Format::Tfrecord,
            DataLoader::Tensorflow,
            524288,
            1,
            2828486.0,
            1,
            4,
            0.00350,
            0.70,
        ),
    ];
    for (name, format, loader, files, spf, rec, batch, threads, compute, au) in table {
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
        assert_eq!(w.train.epochs, 5, "{name}");
        // DLIO defaults for what the YAML leaves out.
        assert_eq!(w.reader.prefetch_size, 2, "{name}");
        assert_eq!(w.train.seed, 123, "{name}");
        assert_eq!(w.output.metric.exclude_start_steps, 1, "{name}");
        assert_eq!(w.dataset.num_files_eval, 0, "{name}");
        assert_eq!(w.dataset.file_prefix, "img", "{name}");
        assert_eq!(w.checkpoint.kind, CheckpointType::RankZero, "{name}");
    }
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
    // (name, layers, hidden, ffn, heads, kv, tp, pp, zero)
    let table = [
        ("llama3_8b", 32, 4096, 14336, 32, 8, 1, 1, 3),
        ("llama3_70b", 80, 8192, 28672, 128, 8, 8, 1, 3),
        ("llama3_405b", 126, 16384, 53248, 128, 8, 8, 32, 1),
        ("llama3_1t", 128, 25872, 98304, 192, 32, 8, 64, 1),
    ];
    for (name, layers, hidden, ffn, heads, kv, tp, pp, zero) in table {
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
        let again = load(p.to_str().expect("utf8"), &[], &|_| None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(again == w, "{name}: resolved YAML round-trips");
    }
}
