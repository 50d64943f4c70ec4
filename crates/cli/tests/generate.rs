//! `mlstor generate`: DLIO's layout and formats, rank split, object storage and
//! multi-endpoint roots, and refusal before any write.
mod common;

use std::path::Path;
use std::time::Duration;

use common::{mlstor, ok, python, run_python, signal, wait_until};

use mlstor_formats::{npz, tfrecord};

fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path().strip_prefix(dir).expect("prefix").display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn npz_dataset_with_dlio_names_readable_by_numpy() {
    let d = tempfile::tempdir().expect("tempdir");
    ok(d.path(), &["generate", "unet3d_tiny"]);
    let root = d.path().join("data/unet3d_tiny");
    let names = files(&root);
    assert_eq!(names.len(), 8);
    assert_eq!(names[0], "train/img_0_of_8.npz");
    // No evaluation files, but an empty valid/ as DLIO's generator leaves it (DLIO's
    // training lists it).
    assert!(root.join("valid").is_dir(), "valid/ exists");
    for n in &names {
        let bytes = std::fs::read(root.join(n)).expect("read");
        let s = npz::sample_u8(&bytes, 0).expect("sample 0");
        assert!(s.len() > 100_000, "{n}: {} bytes", s.len());
    }
    if let Some(py) = python() {
        let script = "import sys, glob, numpy as np\nfs = sorted(glob.glob(sys.argv[1] + '/train/*.npz'))\nfor f in fs:\n    z = np.load(f)\n    assert z['x'].dtype == np.uint8 and z['x'].ndim == 3 and z['x'].shape[2] == 1, (f, z['x'].shape)\n    assert list(z['y']) == [0]\nprint(len(fs))";
        assert_eq!(run_python(&py, script, &root), "8");
    }
}

#[test]
fn tfrecord_dataset_with_index_files() {
    let d = tempfile::tempdir().expect("tempdir");
    ok(
        d.path(),
        &["generate", "resnet50_tiny", "--set", "dataset.num_files_eval=2"],
    );
    let root = d.path().join("data/resnet50_tiny");
    for (split, n) in [("train", 4), ("valid", 2)] {
        for i in 0..n {
            let name = format!("img_{i}_of_{n}.tfrecord");
            let file = std::fs::read(root.join(split).join(&name)).expect("file");
            let idx = std::fs::read_to_string(root.join("index").join(split).join(format!("{name}.idx")))
                .expect("idx");
            let idx = tfrecord::parse_index(&idx).expect("parse");
            assert_eq!(idx.len(), 32, "{name}: one index line per sample");
            let (off, size) = idx[31];
            let rec =
                tfrecord::decode_record(&file[off as usize..(off + size) as usize]).expect("ranged read");
            let image = tfrecord::feature_bytes(rec, "image").expect("image");
            assert!(image.len() > 50_000, "{name}: sample of {} bytes", image.len());
        }
    }
}

#[test]
fn ranks_write_their_share_only() {
    let d = tempfile::tempdir().expect("tempdir");
    for r in ["0", "2"] {
        ok(
            d.path(),
            &[
                "generate",
                "unet3d_tiny",
                "--rank",
                r,
                "--ranks",
                "3",
                "--set",
                "dataset.num_files_train=7",
            ],
        );
    }
    let names = files(&d.path().join("data/unet3d_tiny"));
    let want: Vec<String> = [0, 2, 3, 5, 6]
        .iter()
        .map(|i| format!("train/img_{i}_of_7.npz"))
        .collect();
    assert_eq!(names, want, "rank r writes files i with i mod 3 = r");
}

#[test]
fn multi_endpoint_file_roots() {
    let (d, other) = (tempfile::tempdir().expect("a"), tempfile::tempdir().expect("b"));
    let second = format!("file://{}", other.path().display());
    let out = ok(
        d.path(),
        &[
            "generate",
            "unet3d_tiny",
            "--set",
            "dataset.num_files_train=16",
            "--endpoint",
            &second,
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["files"], 16);
    let (a, b) = (
        files(&d.path().join("data/unet3d_tiny")).len(),
        files(other.path()).len(),
    );
    assert_eq!(a + b, 16);
    assert!(a > 0 && b > 0, "both roots hold files: {a} / {b}");
}

#[test]
fn generation_to_s3() {
    let Ok(bucket) = std::env::var("MLSTOR_TEST_BUCKET") else {
        mlstor_store::conformance::skip_or_fail("MLSTOR_TEST_BUCKET is not set");
        return;
    };
    let d = tempfile::tempdir().expect("tempdir");
    let prefix = format!("s3://{bucket}/gen-{}", std::process::id());
    ok(
        d.path(),
        &[
            "generate",
            "resnet50_tiny",
            &format!("++workload.dataset.data_folder={prefix}"),
        ],
    );
    let listed: serde_json::Value =
        serde_json::from_str(&ok(d.path(), &["ls", "-r", &prefix, "--json"])).expect("json");
    let keys: Vec<&str> = listed
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["key"].as_str())
        .collect();
    assert_eq!(
        keys.iter().filter(|k| k.ends_with(".tfrecord")).count(),
        4,
        "{keys:?}"
    );
    assert_eq!(keys.iter().filter(|k| k.ends_with(".idx")).count(), 4, "{keys:?}");
    ok(d.path(), &["rm", "-r", &prefix]);
}

#[test]
fn unsupported_formats_are_refused_before_writing() {
    let d = tempfile::tempdir().expect("tempdir");
    let out = mlstor(
        d.path(),
        &["generate", "unet3d_tiny", "--set", "dataset.format=hdf5_opt"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("hdf5_opt") && err.contains("not supported"), "{err}");
    if cfg!(not(feature = "hdf5")) {
        let out = mlstor(
            d.path(),
            &["generate", "unet3d_tiny", "--set", "dataset.format=hdf5"],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("--features hdf5"), "{err}");
    }
    assert!(!d.path().join("data").exists(), "nothing written");
}

#[test]
fn csv_and_indexed_binary_datasets() {
    let d = tempfile::tempdir().expect("tempdir");
    let small = [
        "--set",
        "dataset.num_files_train=2",
        "--set",
        "dataset.num_samples_per_file=3",
        "--set",
        "dataset.record_length_bytes=4096",
        "--set",
        "dataset.record_length_bytes_stdev=0",
    ];
    let mut args = vec![
        "generate",
        "unet3d_tiny",
        "--set",
        "dataset.format=csv",
        "--set",
        "dataset.data_folder=csvdata",
    ];
    args.extend(small);
    ok(d.path(), &args);
    let f = std::fs::read(d.path().join("csvdata/train/img_1_of_2.csv")).expect("csv");
    assert_eq!(mlstor_formats::csv::sample(&f, 2).expect("row").len(), 4096);
    let mut args = vec![
        "generate",
        "unet3d_tiny",
        "--set",
        "dataset.format=indexed_binary",
        "--set",
        "dataset.data_folder=ib",
    ];
    args.extend(small);
    ok(d.path(), &args);
    let base = d.path().join("ib/train/img_0_of_2.indexed_binary");
    let read = |suffix: &str| std::fs::read(format!("{}{suffix}", base.display())).expect("read");
    let s = mlstor_formats::indexed_binary::sample(&read(""), &read(".off.idx"), &read(".sz.idx"), 2)
        .expect("sample");
    assert_eq!(s.len(), 4096);
}

#[test]
fn png_and_jpeg_datasets_open_in_pillow() {
    let d = tempfile::tempdir().expect("tempdir");
    for fmt in ["png", "jpeg"] {
        ok(
            d.path(),
            &[
                "generate",
                "unet3d_tiny",
                "--set",
                &format!("dataset.format={fmt}"),
                "--set",
                &format!("dataset.data_folder={fmt}data"),
                "--set",
                "dataset.num_files_train=3",
            ],
        );
        let f = std::fs::read(d.path().join(format!("{fmt}data/train/img_2_of_3.{fmt}"))).expect("file");
        let px = if fmt == "png" {
            mlstor_formats::image::decode_png(&f)
        } else {
            mlstor_formats::image::decode_jpeg(&f)
        };
        assert!(px.expect("decode").len() > 100_000, "{fmt}");
    }
    if let Some(py) = python() {
        let script = "import sys, glob\nfrom PIL import Image\nfs = sorted(glob.glob(sys.argv[1] + '/*data/train/*'))\nfor f in fs:\n    im = Image.open(f); im.load()\n    assert im.mode == 'L' and im.size[0] > 300, (f, im.mode, im.size)\nprint(len(fs))";
        assert_eq!(run_python(&py, script, d.path()), "6");
    }
}

#[cfg(feature = "hdf5")]
#[test]
fn hdf5_datasets_open_in_h5py_and_back() {
    let d = tempfile::tempdir().expect("tempdir");
    ok(
        d.path(),
        &[
            "generate",
            "unet3d_tiny",
            "--set",
            "dataset.format=hdf5",
            "--set",
            "dataset.compression=gzip",
            "--set",
            "dataset.num_samples_per_file=2",
        ],
    );
    let f = std::fs::read(d.path().join("data/unet3d_tiny/train/img_5_of_8.hdf5")).expect("file");
    assert!(mlstor_formats::hdf5::sample(&f, 1).expect("sample").len() > 100_000);
    let Some(py) = python() else { return };
    ok(
        d.path(),
        &[
            "generate",
            "unet3d_tiny",
            "--set",
            "dataset.format=hdf5",
            "--set",
            "dataset.compression=lzf",
            "--set",
            "dataset.data_folder=lzf",
        ],
    );
    let script = "import sys, glob, h5py, numpy as np\nh = h5py.File(sorted(glob.glob(sys.argv[1] + '/lzf/train/*.hdf5'))[0], 'r')\nassert h['records'].compression == 'lzf' and h['records'][0].size > 0\nfs = sorted(glob.glob(sys.argv[1] + '/data/unet3d_tiny/train/*.hdf5'))\nfor f in fs:\n    h = h5py.File(f, 'r')\n    r = h['records']\n    assert r.dtype == np.uint8 and r.ndim == 3 and r.shape[0] == 2, r.shape\n    assert list(h['labels']) == [0, 0]\nx = (np.arange(3*20*30) % 251).astype(np.uint8).reshape(3, 20, 30)\nwith h5py.File(sys.argv[1] + '/py.h5', 'w') as h:\n    h.create_dataset('records', data=x, chunks=(1, 8, 8), compression='gzip')\n    h.create_dataset('labels', data=[0, 0, 0])\nprint(len(fs))";
    assert_eq!(run_python(&py, script, d.path()), "8");
    let py_file = std::fs::read(d.path().join("py.h5")).expect("h5py file");
    let want: Vec<u8> = (600..1200).map(|i| (i % 251) as u8).collect();
    assert_eq!(
        mlstor_formats::hdf5::sample(&py_file, 1).expect("read what h5py wrote"),
        want
    );
}

#[test]
fn run_generates_then_training_needs_the_dataset() {
    let d = tempfile::tempdir().expect("tempdir");
    ok(d.path(), &["run", "unet3d_tiny", "--set", "workflow.train=False"]);
    assert_eq!(files(&d.path().join("data/unet3d_tiny")).len(), 8);
    let out = mlstor(d.path(), &["run", "unet3d_h100"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("168") && err.contains("mlstor generate"),
        "training without its dataset says what to do: {err}"
    );
}

#[test]
fn compressed_csv_opens_with_pythons_own_decompressors() {
    let Some(py) = python() else { return };
    let d = tempfile::tempdir().expect("tempdir");
    for c in ["gzip", "bz2", "zip", "xz"] {
        let folder = format!("dataset.data_folder=csv_{c}");
        let comp = format!("dataset.compression={c}");
        ok(
            d.path(),
            &[
                "generate",
                "unet3d_tiny",
                "--set",
                "dataset.format=csv",
                "--set",
                &comp,
                "--set",
                &folder,
                "--set",
                "dataset.num_files_train=2",
                "--set",
                "dataset.num_samples_per_file=3",
                "--set",
                "dataset.record_length_bytes=1024",
                "--set",
                "dataset.record_length_bytes_stdev=0",
            ],
        );
    }
    let script = r#"
import sys, glob, gzip, bz2, lzma, zipfile, os
d = sys.argv[1]
opened = 0
for path in sorted(glob.glob(d + "/csv_*/train/*")):
    ext = os.path.splitext(path)[1]
    if ext == ".gz": text = gzip.open(path).read()
    elif ext == ".bz2": text = bz2.open(path).read()
    elif ext == ".xz": text = lzma.open(path).read()
    elif ext == ".zip":
        z = zipfile.ZipFile(path); text = z.read(z.namelist()[0])
    else: raise SystemExit("unexpected file " + path)
    lines = text.decode().splitlines()
    assert lines[0].startswith(",0,1,2") and len(lines) == 4, lines[0][:20]
    assert len(lines[1].split(",")) == 1 + 1024, len(lines[1].split(","))
    opened += 1
print(opened)
"#;
    assert_eq!(run_python(&py, script, d.path()), "8");
}

/// SIGTERM (or Ctrl-C) during `generate` stops it: exit 143, no temporary file left, every
/// file written whole (issue #19: interrupts in every command).
#[test]
fn interrupted_generation_leaves_only_whole_files() {
    let d = tempfile::tempdir().expect("tempdir");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_mlstor"))
        .current_dir(d.path())
        .args([
            "generate",
            "unet3d_tiny",
            "--set",
            "dataset.num_files_train=3000",
            "--set",
            "dataset.record_length_bytes=1048576",
        ])
        .args([
            "--set",
            "dataset.record_length_bytes_stdev=0",
            "--set",
            "dataset.data_folder=data",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let train = d.path().join("data/train");
    wait_until(Duration::from_secs(30), "generation never started", || {
        std::fs::read_dir(&train).map_or(0, |e| e.count()) >= 5
    });
    let out = signal(child, "-TERM");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{err}");
    assert!(err.contains("cancelled") && !err.contains("panicked"), "{err}");
    let files: Vec<(String, u64)> = std::fs::read_dir(&train)
        .expect("train")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().map_or(0, |m| m.len()),
            )
        })
        .collect();
    assert!(files.len() < 3000, "it ran to the end");
    assert!(
        files.iter().all(|(n, _)| !n.contains(".mlstor-tmp.")),
        "{files:?}"
    );
    let sizes: std::collections::BTreeSet<u64> = files.iter().map(|f| f.1).collect();
    assert_eq!(sizes.len(), 1, "every file whole (one size): {sizes:?}");
}
