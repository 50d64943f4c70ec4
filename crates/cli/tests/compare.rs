//! `mlstor compare` against the real local servers: mlstor's Rust library on SeaweedFS and
//! Azurite, plugin libraries on file:// (one that corrupts what it reads must be caught and
//! left out of the verdict), libraries that are not installed reported as skipped, the JSON
//! rendered again, and the HTML page drawn by headless Chromium.

mod common;

use std::path::Path;

use common::{fails, marks, mlstor, ok, python, rendered, s3_bucket};
use serde_json::Value;

fn plugin() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/compare/file_plugin.py")
        .display()
        .to_string()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("json")).expect("valid json")
}

#[test]
fn mlstor_on_seaweedfs_with_every_figure() {
    let Some(bucket) = s3_bucket() else { return };
    let d = tempfile::tempdir().expect("tmp");
    let out = ok(
        d.path(),
        &[
            "compare",
            "--library",
            "mlstor",
            "--bucket",
            &bucket,
            "--files",
            "8",
            "--size",
            "1MiB",
            "--threads",
            "4",
            "--repeat",
            "2",
            "--json",
            "c.json",
            "--prefix",
            "compare-test",
        ],
    );
    assert!(out.contains("FINAL VERDICT (write): mlstor ran alone"), "{out}");
    assert!(out.contains("FINAL VERDICT (read): mlstor ran alone"), "{out}");
    let j = read_json(&d.path().join("c.json"));
    let lib = &j["libraries"][0];
    assert_eq!(lib["name"], "mlstor");
    for op in ["write", "read"] {
        let samples = lib[op].as_array().expect("samples");
        assert_eq!(samples.len(), 2, "two repeats");
        for s in samples {
            assert_eq!(s["check"]["ok"], 8, "{s}");
            assert_eq!(s["outcome"]["latency_s"].as_array().map(Vec::len), Some(8));
        }
    }
    assert_eq!(
        lib["read"][0]["outcome"]["crc32"].as_array().map(Vec::len),
        Some(8)
    );
    assert!(
        lib["read"][0]["outcome"]["ttfb_s"][0].as_f64().is_some(),
        "TTFB from the records"
    );
    assert!(j["environment"]["cpus"].as_u64().is_some_and(|n| n >= 1));
    // Nothing left behind.
    let listed = ok(d.path(), &["ls", "-r", &format!("s3://{bucket}/compare-test/")]);
    assert!(listed.trim().is_empty(), "cleaned up: {listed}");
}

#[test]
fn mlstor_on_azurite() {
    if std::env::var("AZURE_STORAGE_CONNECTION_STRING").is_err() {
        mlstor_store::conformance::skip_or_fail("Azurite is not running (scripts/test-servers.sh)");
        return;
    }
    let container = std::env::var("MLSTOR_TEST_CONTAINER").unwrap_or_else(|_| "mlstor-test".into());
    let d = tempfile::tempdir().expect("tmp");
    let out = ok(
        d.path(),
        &[
            "compare",
            "--compare",
            "mlstor",
            "s3torchconnector",
            "--bucket",
            &format!("az://{container}"),
            "--files",
            "8",
            "--size",
            "1MiB",
            "--threads",
            "4",
            "--repeat",
            "1",
        ],
    );
    assert!(out.contains("mlstor ran alone"), "{out}");
    assert!(
        out.contains("skipped s3torchconnector: does not speak az://"),
        "{out}"
    );
}

#[test]
fn a_corrupting_library_is_caught_and_not_ranked() {
    let Some(py) = python() else { return };
    let d = tempfile::tempdir().expect("tmp");
    let root = d.path().join("bucket");
    std::fs::create_dir(&root).expect("dir");
    let target = format!("file://{}", root.display());
    let honest = format!("honest={}", plugin());
    let bad = format!("corrupt={}", plugin());
    // Two plugin runs share one process environment, so the corrupting one is a second run
    // with MLSTOR_TEST_CORRUPT=1: first the honest pair, then the corrupt one alone.
    let args = |adapter: &str, json: &str| -> Vec<String> {
        [
            "compare",
            "--library",
            "mlstor",
            "--adapter",
            adapter,
            "--bucket",
            &target,
            "--files",
            "10",
            "--size",
            "64KiB",
            "--threads",
            "3",
            "--repeat",
            "2",
            "--python",
            &py,
            "--json",
            json,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let a: Vec<String> = args(&honest, "honest.json");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = ok(d.path(), &a);
    assert!(out.contains("FINAL VERDICT (read): "), "{out}");
    assert!(!out.contains("FAILED"), "{out}");
    let b: Vec<String> = args(&bad, "bad.json");
    let b: Vec<&str> = b.iter().map(String::as_str).collect();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_mlstor"))
        .current_dir(d.path())
        .args(&b)
        .env("MLSTOR_TEST_CORRUPT", "1")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // obj-000000, 3, 6 and 9 are flipped: 4 of 10 per repeat.
    assert!(text.contains("FAILED: 8 wrong data"), "{text}");
    assert!(text.contains("FINAL VERDICT (read): mlstor ran alone"), "{text}");
    assert!(
        text.contains("Not ranked (errors or wrong data): corrupt"),
        "{text}"
    );
    let j = read_json(&d.path().join("bad.json"));
    assert_eq!(j["libraries"][1]["read"][0]["check"]["wrong"], 4);
    assert_eq!(j["libraries"][1]["version"], "test-plugin 1");
    // The saved comparison renders again, the same, and as a page Chromium draws.
    let again = ok(
        d.path(),
        &["compare", "--from-json", "bad.json", "--html", "c.html"],
    );
    assert_eq!(again, text, "re-rendered from the JSON");
    let Some(dom) = rendered(&d.path().join("c.html")) else {
        return;
    };
    assert!(
        dom.contains("<body data-rendered=\"ok\""),
        "{}",
        &dom[..dom.len().min(3000)]
    );
    assert_eq!(marks(&dom, "gbps-read"), Some(2), "a bar per library");
    assert_eq!(marks(&dom, "gbps-write"), Some(2));
    assert_eq!(marks(&dom, "cdf-read"), Some(6), "p50/p90/p99 per library");
    assert!(dom.contains("Not ranked (errors or wrong data): corrupt"));
}

#[test]
fn skipped_libraries_and_bad_input() {
    let d = tempfile::tempdir().expect("tmp");
    let root = d.path().join("b");
    std::fs::create_dir(&root).expect("dir");
    let target = format!("file://{}", root.display());
    // A Python without the library: reported as skipped with its install command.
    let venv = d.path().join("empty-venv");
    let made = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let py = venv.join("bin/python").display().to_string();
        let out = ok(
            d.path(),
            &[
                "compare",
                "--compare",
                "mlstor",
                "s3dlio",
                "minio",
                "--bucket",
                &target,
                "--files",
                "2",
                "--size",
                "4KiB",
                "--repeat",
                "1",
                "--python",
                &py,
            ],
        );
        assert!(out.contains("skipped s3dlio: not installed for"), "{out}");
        assert!(
            out.contains("mlstor compare --install s3dlio (or: pip install s3dlio)"),
            "{out}"
        );
        assert!(out.contains("skipped minio: does not speak file://"), "{out}");
    } else {
        mlstor_store::conformance::skip_or_fail("python3 -m venv does not work here");
    }
    fails(
        d.path(),
        &["compare", "--library", "nope", "--bucket", &target],
        "unknown library \"nope\"",
    );
    fails(
        d.path(),
        &["compare", "--library", "mlstor", "--bucket", "ftp://x"],
        "ftp://x",
    );
    fails(d.path(), &["compare", "--library", "mlstor"], "--bucket");
    fails(d.path(), &["compare", "--bucket", &target], "no library to run");
    fails(d.path(), &["compare", "--from-json", "Cargo.toml"], "Cargo.toml");
    let out = mlstor(
        d.path(),
        &[
            "compare",
            "--library",
            "mlstor",
            "--bucket",
            &target,
            "--files",
            "0",
        ],
    );
    assert!(!out.status.success());
}
