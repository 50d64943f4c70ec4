//! Helpers the `mlstor` binary's integration tests share.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `mlstor args` in `dir`.
pub fn mlstor(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlstor"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run mlstor")
}

/// Runs a command that must succeed; returns its stdout.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = mlstor(dir, args);
    assert!(
        out.status.success(),
        "mlstor {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Runs a command that must fail without panicking; returns its stderr, checked to name
/// `culprit`.
pub fn fails(dir: &Path, args: &[&str], culprit: &str) -> String {
    let out = mlstor(dir, args);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "mlstor {args:?} should fail: {err}");
    assert!(err.contains("error: "), "{err}");
    assert!(err.contains(culprit), "names {culprit}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// The Python with the reference readers (`MLSTOR_TEST_PYTHON`), or a loud skip (a failure
/// under CI=true).
pub fn python() -> Option<String> {
    let py = std::env::var("MLSTOR_TEST_PYTHON").ok();
    if py.is_none() {
        mlstor_store::conformance::skip_or_fail("MLSTOR_TEST_PYTHON is not set");
    }
    py
}

/// Runs `script` with `arg` as `sys.argv[1]`; returns its trimmed stdout, failing on error.
pub fn run_python(py: &str, script: &str, arg: &Path) -> String {
    let out = Command::new(py)
        .arg("-c")
        .arg(script)
        .arg(arg)
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `mpirun` with the flags a test host needs (root, more ranks than cores), or a loud skip.
pub fn mpirun(np: usize) -> Option<Command> {
    let found = Command::new("mpirun")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        mlstor_store::conformance::skip_or_fail("mpirun is not installed (Debian: openmpi-bin)");
        return None;
    }
    let mut c = Command::new("mpirun");
    c.args([
        "-np",
        &np.to_string(),
        "--oversubscribe",
        "--allow-run-as-root",
        "--bind-to",
        "none",
    ]);
    Some(c)
}

/// The S3 test bucket, or a loud skip.
pub fn s3_bucket() -> Option<String> {
    let b = std::env::var("MLSTOR_TEST_BUCKET").ok();
    if b.is_none() {
        mlstor_store::conformance::skip_or_fail("MLSTOR_TEST_BUCKET is not set");
    }
    b
}

/// Reads a JSON file.
pub fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (op, key, bytes, phase) of every record of a plain-text op-log.
pub fn log_records(path: &Path) -> Vec<(String, String, u64, String)> {
    std::fs::read_to_string(path)
        .expect("op-log")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("idx\t"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (
                f[2].to_string(),
                f[3].to_string(),
                f[4].parse().expect("bytes"),
                f[12].to_string(),
            )
        })
        .collect()
}

/// The DOM after the page's script ran in headless Chromium, or a loud skip.
pub fn rendered(page: &Path) -> Option<String> {
    let chromium = ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(chromium) = chromium else {
        mlstor_store::conformance::skip_or_fail("chromium is not installed (Debian: chromium)");
        return None;
    };
    let profile = tempfile::tempdir().expect("profile");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `data-marks` of the figure `id`, or None when the page has no such chart.
pub fn marks(dom: &str, id: &str) -> Option<u64> {
    let at = dom.find(&format!("<figure id=\"{id}\""))?;
    let tag = &dom[at..at + dom[at..].find('>')?];
    let v = tag.split("data-marks=\"").nth(1)?;
    v[..v.find('"')?].parse().ok()
}

/// Polls `ready` every 10 ms until it holds; fails naming `what` after `limit`.
pub fn wait_until(limit: std::time::Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "{what}");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Sends `signal` (`-TERM`, `-INT`) to `child` with kill(1) and waits for its output.
pub fn signal(child: std::process::Child, signal: &str) -> Output {
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    child.wait_with_output().expect("wait")
}
