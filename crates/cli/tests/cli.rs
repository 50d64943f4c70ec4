//! The `mlstor` binary end to end: object commands, bench, and its errors.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn mlstor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlstor"))
        .args(args)
        .output()
        .expect("run mlstor")
}

fn ok(args: &[&str]) -> String {
    let out = mlstor(args);
    assert!(
        out.status.success(),
        "mlstor {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

/// Runs a failing command; returns its stderr, checked to be one line naming `culprit`.
fn fails(args: &[&str], culprit: &str) -> String {
    let out = mlstor(args);
    assert!(!out.status.success(), "mlstor {args:?} should fail");
    let err = String::from_utf8(out.stderr).expect("utf8");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(culprit), "names {culprit}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn write_file(p: &Path, len: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(p, &data).expect("write");
    data
}

#[test]
fn cp_cat_stat_ls_rm_on_files() {
    let d = tempfile::tempdir().expect("tempdir");
    let src = d.path().join("src.bin");
    let data = write_file(&src, 3 * 1024 * 1024 + 5);
    let dst_dir = d.path().join("out");
    let dst_uri = format!("file://{}/", dst_dir.display());
    ok(&["cp", src.to_str().expect("path"), &dst_uri]);
    assert_eq!(std::fs::read(dst_dir.join("src.bin")).expect("copied"), data);
    let obj = format!("{dst_uri}src.bin");
    let cat = mlstor(&["cat", &obj]);
    assert!(cat.status.success());
    assert_eq!(cat.stdout, data);
    let stat: serde_json::Value = serde_json::from_str(&ok(&["stat", &obj, "--json"])).expect("json");
    assert_eq!(stat["size"], data.len() as u64);
    assert!(ok(&["ls", &dst_uri]).contains("src.bin"));
    ok(&["rm", &obj]);
    assert!(!dst_dir.join("src.bin").exists());
    fails(&["stat", &obj], &obj);
}

#[test]
fn recursive_copy_and_remove() {
    let d = tempfile::tempdir().expect("tempdir");
    let src = d.path().join("tree");
    std::fs::create_dir_all(src.join("a/b")).expect("dirs");
    for (i, rel) in ["x", "a/y", "a/b/z"].iter().enumerate() {
        write_file(&src.join(rel), 1000 + i);
    }
    let dst = format!(
        "memory://cli-rec/{}",
        d.path().file_name().and_then(|n| n.to_str()).expect("name")
    );
    let out: serde_json::Value =
        serde_json::from_str(&ok(&["cp", "-r", src.to_str().expect("p"), &dst, "--json"])).expect("json");
    assert_eq!(out["objects"], 3);
    // memory:// lives in one process, so copy back in the same way to check: file -> file.
    let back = d.path().join("back");
    ok(&[
        "cp",
        "--recursive",
        src.to_str().expect("p"),
        back.to_str().expect("p"),
    ]);
    assert_eq!(
        std::fs::read(back.join("a/b/z")).expect("z"),
        std::fs::read(src.join("a/b/z")).expect("z")
    );
    let listed: serde_json::Value =
        serde_json::from_str(&ok(&["ls", "-r", back.to_str().expect("p"), "--json"])).expect("json");
    assert_eq!(listed.as_array().expect("array").len(), 3);
    ok(&["rm", "-r", back.to_str().expect("p")]);
    assert!(std::fs::read_dir(&back).map(|r| r.count()).unwrap_or(0) == 0 || !back.join("x").exists());
}

#[test]
fn bench_put_and_get_report_json() {
    let d = tempfile::tempdir().expect("tempdir");
    let uri = format!("file://{}/bench", d.path().display());
    let put: serde_json::Value = serde_json::from_str(&ok(&[
        "bench", "put", &uri, "-n", "8", "-s", "1MiB", "-t", "4", "--json",
    ]))
    .expect("json");
    assert_eq!(put["op"], "put");
    assert_eq!(put["bytes"], 8 * 1024 * 1024);
    assert!(put["gb_per_s"].as_f64().expect("gbps") > 0.0);
    for extra in [None, Some("--into")] {
        let mut args = vec!["bench", "get", &uri, "-n", "8", "-s", "1MiB", "-t", "4", "--json"];
        args.extend(extra);
        let get: serde_json::Value = serde_json::from_str(&ok(&args)).expect("json");
        let lat = &get["latency_ms"];
        assert!(lat["p50"].as_f64().expect("p50") <= lat["p99"].as_f64().expect("p99"));
        assert!(lat["p999"].as_f64().is_some() && get["cpu_seconds"].as_f64().is_some());
    }
    // Corrupt one object: the content check catches it.
    let victim = d.path().join("bench/obj-000003");
    let mut bytes = std::fs::read(&victim).expect("read");
    bytes[1] ^= 0xff;
    std::fs::write(&victim, bytes).expect("write");
    fails(&["bench", "get", &uri, "-n", "8", "-s", "1MiB"], "obj-000003");
}

#[test]
fn bench_get_writes_missing_objects_first() {
    let d = tempfile::tempdir().expect("tempdir");
    let uri = format!("file://{}/fresh", d.path().display());
    let get: serde_json::Value =
        serde_json::from_str(&ok(&["bench", "get", &uri, "-n", "5", "-s", "100000", "--json"]))
            .expect("json");
    assert_eq!(get["objects"], 5);
    assert_eq!(std::fs::read_dir(d.path().join("fresh")).expect("dir").count(), 5);
}

#[test]
fn bad_input_is_one_clear_line() {
    fails(&["cat", "ftp://x/y"], "ftp://x/y");
    fails(
        &["cat", "file:///definitely/not/here"],
        "file:///definitely/not/here",
    );
    // Usage errors are clap's: exit code 2, the first line names the culprit.
    let out = mlstor(&["bench", "put", "memory://b", "-s", "12XB"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.lines()
            .next()
            .is_some_and(|l| l.starts_with("error:") && l.contains("12XB")),
        "{err}"
    );
    let d = tempfile::tempdir().expect("tempdir");
    fails(&["rm", &format!("file://{}/", d.path().display())], "--recursive");
    // Sizes nothing can hold are errors, not aborts.
    fails(&["datagen", "--size", "100TB", "--oneshot"], "cannot allocate");
    fails(
        &["bench", "put", "memory://huge/x", "-n", "1", "-s", "100TB"],
        "cannot allocate",
    );
}

#[test]
fn closed_pipe_is_not_an_error() {
    let d = tempfile::tempdir().expect("tempdir");
    let f = d.path().join("big");
    write_file(&f, 20 * 1024 * 1024);
    let cmd = format!(
        "{} cat {} | head -c 10 > /dev/null; exit ${{PIPESTATUS[0]}}",
        env!("CARGO_BIN_EXE_mlstor"),
        f.display()
    );
    let st = Command::new("bash").args(["-c", &cmd]).status().expect("bash");
    assert!(st.success(), "mlstor cat into a closed pipe exits 0");

    // ls into a closed pipe, as text and as JSON: no panic, exit 0 (issue #19 item 1).
    for i in 0..3000 {
        std::fs::write(d.path().join(format!("f{i:05}")), b"x").expect("file");
    }
    for (flags, head) in [("-r", "head -1"), ("--json -r", "head -c1")] {
        let cmd = format!(
            "{} ls {flags} file://{}/ | {head} > /dev/null; exit ${{PIPESTATUS[0]}}",
            env!("CARGO_BIN_EXE_mlstor"),
            d.path().display()
        );
        let out = Command::new("bash").args(["-c", &cmd]).output().expect("bash");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !err.contains("panicked"),
            "ls {flags} | {head}: {:?} {err}",
            out.status
        );
    }
}

#[test]
fn credentials_in_an_endpoint_url_are_not_printed() {
    let out = Command::new(env!("CARGO_BIN_EXE_mlstor"))
        .args([
            "ls",
            "s3://bucket/",
            "--endpoint",
            "http://user:pa55word@127.0.0.1:1",
            "--max-attempts",
            "1",
        ])
        .output()
        .expect("mlstor");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("error: ") && !err.contains("pa55word"), "{err}");
}

/// The README's promise: after `eval "$(scripts/test-servers.sh env)"`, plain commands work.
#[test]
fn servers_work_from_the_environment_alone() {
    let vars = [
        ("s3", "MLSTOR_TEST_BUCKET"),
        ("az", "MLSTOR_TEST_CONTAINER"),
        ("gs", "MLSTOR_TEST_GCS_BUCKET"),
    ];
    let d = tempfile::tempdir().expect("tempdir");
    let src = d.path().join("up.bin");
    let data = write_file(&src, 20 * 1024 * 1024 + 3); // > part size: multipart upload
    for (scheme, var) in vars {
        let Ok(bucket) = std::env::var(var) else {
            mlstor_store::conformance::skip_or_fail(&format!("{var} is not set"));
            continue;
        };
        let uri = format!("{scheme}://{bucket}/cli-{:08x}/up.bin", fastrand_u32());
        ok(&["cp", src.to_str().expect("p"), &uri]);
        let back = d.path().join(format!("back-{scheme}.bin"));
        ok(&["cp", &uri, back.to_str().expect("p")]);
        assert_eq!(std::fs::read(&back).expect("back"), data, "{scheme}");
        let stat: serde_json::Value = serde_json::from_str(&ok(&["stat", &uri, "--json"])).expect("json");
        assert_eq!(stat["size"], data.len() as u64);
        ok(&["rm", &uri]);
        fails(&["stat", &uri], &uri);
    }
}

#[test]
fn s3_wrong_secret_from_cli_names_endpoint_not_secret() {
    let (Ok(bucket), Ok(endpoint)) = (
        std::env::var("MLSTOR_TEST_BUCKET"),
        std::env::var("AWS_ENDPOINT_URL"),
    ) else {
        mlstor_store::conformance::skip_or_fail("MLSTOR_TEST_BUCKET is not set");
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_mlstor"))
        .args(["ls", &format!("s3://{bucket}/")])
        .env("AWS_SECRET_ACCESS_KEY", "wrong-secret-0815")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("permission denied") && err.contains(&endpoint),
        "{err}"
    );
    assert!(!err.contains("wrong-secret-0815"), "{err}");
}

#[test]
fn rank_pinning_from_mpi_environment() {
    let (Ok(bucket), Ok(e1), Ok(e2)) = (
        std::env::var("MLSTOR_TEST_BUCKET"),
        std::env::var("AWS_ENDPOINT_URL"),
        std::env::var("MLSTOR_TEST_S3_ENDPOINT2"),
    ) else {
        mlstor_store::conformance::skip_or_fail("S3 test endpoints are not set");
        return;
    };
    let uri = format!("s3://{bucket}/cli-pin-{:08x}", fastrand_u32());
    let out = Command::new(env!("CARGO_BIN_EXE_mlstor"))
        .args([
            "bench",
            "put",
            &uri,
            "-n",
            "6",
            "-s",
            "64KiB",
            "--endpoint",
            &e1,
            "--endpoint",
            &e2,
        ])
        .args(["--pin-rank", "--json", "--cleanup"])
        .env("OMPI_COMM_WORLD_RANK", "1")
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let reqs: Vec<u64> = v["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| e["requests"].as_u64().expect("n"))
        .collect();
    assert_eq!(reqs[0], 0, "rank 1 pinned to endpoint 1: {reqs:?}");
    assert!(reqs[1] >= 6, "{reqs:?}");
}

fn fastrand_u32() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(7)
        ^ std::process::id()
}

#[test]
fn datagen_reports_speed_and_ratios() {
    let out: serde_json::Value = serde_json::from_str(&ok(&[
        "datagen",
        "--size",
        "64MiB",
        "--dedup",
        "2",
        "--compress",
        "3",
        "--threads",
        "2",
        "--verify-ratios",
        "--json",
    ]))
    .expect("json");
    assert!(out["gb_per_s"].as_f64().expect("gbps") > 0.0);
    let r = &out["ratios"];
    let near = |k: &str, want: f64, tol: f64| {
        let got = r[k].as_f64().expect(k);
        assert!((got / want - 1.0).abs() <= tol, "{k}: {got} vs {want}");
    };
    near("dedup", 2.0, 0.05);
    near("zstd", 3.0, 0.05);
    near("lz4", 3.0, 0.10);
    near("gzip", 3.0, 0.10);
}

#[test]
fn datagen_writes_through_the_store_deterministically() {
    let d = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, id: &str| {
        let p = d.path().join(name);
        ok(&[
            "datagen",
            "--size",
            "5000000",
            "--compress",
            "2",
            "--object-id",
            id,
            "--out",
            p.to_str().expect("p"),
            "--chunk",
            "1MiB",
        ]);
        std::fs::read(p).expect("read")
    };
    let (a, b, c) = (write("a", "1"), write("b", "1"), write("c", "2"));
    assert_eq!(a.len(), 5_000_000);
    assert!(a == b, "same parameters, same bytes");
    assert!(a != c, "another object id, other bytes");
    fails(&["datagen", "--size", "1MiB", "--dedup", "0.5"], "dedup");
}

#[test]
fn config_resolves_shipped_workloads_with_overrides() {
    let out = ok(&[
        "config",
        "unet3d_h100",
        "--set",
        "dataset.num_files_train=3",
        "++workload.reader.batch_size=2",
    ]);
    assert!(
        out.contains("num_files_train: 3") && out.contains("batch_size: 2"),
        "{out}"
    );
    assert!(
        out.contains("shuffle_size: 1024"),
        "DLIO defaults are filled in: {out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["config", "llama3_8b", "--json"])).expect("json");
    assert_eq!(json["model"]["transformer"]["hidden_size"], 4096);
}

#[test]
fn broken_workloads_each_get_their_own_message() {
    let d = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "unknown.yaml",
            "dataset:\n  num_file_train: 2\n",
            "did you mean `dataset.num_files_train`",
        ),
        (
            "type.yaml",
            "reader:\n  batch_size: lots\n",
            "`reader.batch_size`",
        ),
        ("enum.yaml", "dataset:\n  format: zip\n", "unknown variant `zip`"),
        (
            "env.yaml",
            "storage:\n  storage_root: ${MLSTOR_NO_SUCH_VAR}\n",
            "MLSTOR_NO_SUCH_VAR",
        ),
        ("syntax.yaml", "dataset: [unclosed\n", "malformed YAML"),
        (
            "combo.yaml",
            "framework: pytorch\nreader:\n  data_loader: tensorflow\n",
            "do not go together",
        ),
    ];
    for (name, text, needle) in cases {
        let p = d.path().join(name);
        std::fs::write(&p, text).expect("write");
        let err = fails(&["config", p.to_str().expect("p")], name);
        assert!(err.contains(needle), "{name}: {err}");
    }
    fails(&["config", "unet3d_h100", "--set", "nonsense"], "nonsense");
    fails(&["config", "no_such_workload"], "no_such_workload");
}

#[test]
fn config_masks_secrets() {
    let d = tempfile::tempdir().expect("tempdir");
    let p = d.path().join("s.yaml");
    std::fs::write(
        &p,
        "storage:\n  storage_options:\n    secret_access_key: ${MY_SECRET}\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_mlstor"))
        .args(["config", p.to_str().expect("p")])
        .env("MY_SECRET", "s3cr3t-value")
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("s3cr3t-value") && text.contains("secret_access_key: '***'"),
        "{text}"
    );
}

#[test]
fn options_may_follow_hydra_overrides() {
    // DLIO users put `++workload.` overrides last; options after them are still options.
    let json: serde_json::Value = serde_json::from_str(&ok(&[
        "config",
        "unet3d_tiny",
        "++workload.reader.batch_size=4",
        "--json",
    ]))
    .expect("json");
    assert_eq!(json["reader"]["batch_size"], 4);
    let d = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_mlstor"))
        .current_dir(d.path())
        .args([
            "run",
            "unet3d_tiny",
            "++workload.workflow.generate_data=False",
            "--dry-run",
            "--quiet",
        ])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn keys_dlio_ignores_make_one_warning_line() {
    let d = tempfile::tempdir().expect("tempdir");
    let p = d.path().join("w.yaml");
    std::fs::write(
        &p,
        "workflow:\n  debug: False\n  generate_data: True\n  train: False\ngenerator:\n  num_workers: 4\n\
         dataset:\n  record_length: 1024\n  format: npz\n",
    )
    .expect("write");
    let out = mlstor(&["config", p.to_str().expect("p")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            "warning: ignored, as DLIO 3.0.2 ignores them: workflow.debug, generator",
            "note: read where DLIO 3.0.2 would not: dataset.record_length as dataset.record_length_bytes"
        ],
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("record_length_bytes: 1024.0"));
}

/// Ctrl-C or SIGTERM during `cp` leaves nothing at the destination (no hidden temporary
/// file) and exits 128 + the signal (issue #19 item 5).
#[test]
fn interrupted_cp_leaves_nothing_behind() {
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let d = tempfile::tempdir().expect("tempdir");
        let src = d.path().join("big");
        std::fs::File::create(&src)
            .and_then(|f| f.set_len(8 << 30))
            .expect("sparse source");
        let dst = d.path().join("out");
        std::fs::create_dir(&dst).expect("mkdir");
        let child = Command::new(env!("CARGO_BIN_EXE_mlstor"))
            .args([
                "cp",
                &src.display().to_string(),
                &format!("{}/copy", dst.display()),
                "--part-size",
                "1MiB",
            ])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        common::wait_until(
            std::time::Duration::from_secs(10),
            "the copy never started",
            || std::fs::read_dir(&dst).expect("dst").count() > 0,
        );
        let out = common::signal(child, signal);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{signal}: {err}");
        assert!(err.contains("cancelled") && !err.contains("panicked"), "{err}");
        let left: Vec<_> = std::fs::read_dir(&dst)
            .expect("dst")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(left.is_empty(), "{signal} left {left:?}");
    }
}

/// `--log-level` shows retries as they happen, and no log line holds a credential
/// (issue #19 item 9; the whole HTTP stack at RUST_LOG=trace included).
#[test]
fn logs_show_retries_without_secrets() {
    let run = |log: &[(&str, &str)], flag: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mlstor"));
        c.env_remove("RUST_LOG").envs(log.iter().copied());
        if let Some(f) = flag {
            c.args(["--log-level", f]);
        }
        let out = c
            .args([
                "ls",
                "s3://bucket/",
                "--endpoint",
                "http://u:s3cret@127.0.0.1:1",
                "--max-attempts",
                "2",
            ])
            .output()
            .expect("mlstor");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let quiet = run(&[], None);
    assert!(!quiet.contains("retrying"), "{quiet}");
    let debug = run(&[], Some("debug"));
    assert!(
        debug.contains("retrying") && debug.contains("attempt=1"),
        "{debug}"
    );
    for text in [debug, run(&[("RUST_LOG", "trace")], None)] {
        assert!(
            !text.contains("s3cret") && !text.contains("dTpzM2NyZXQ"),
            "{text}"
        );
    }
}
