//! `mlstor dlio` and `mlstor compare --dlio` refuse what they cannot do, naming it, before
//! anything runs (DLIO itself runs in the Python test stage: crates/py/tests/test_dlio.py).

mod common;

use std::os::unix::fs::PermissionsExt;

use common::fails;

#[test]
fn a_python_that_cannot_start_or_lacks_mlstor_is_named() {
    let d = tempfile::tempdir().expect("tmp");
    fails(
        d.path(),
        &["dlio", "--python", "/nonexistent/python", "workload=x"],
        "cannot start /nonexistent/python",
    );
    // A real Python without site-packages: no mlstor package.
    let bare = d.path().join("bare-python");
    std::fs::write(&bare, "#!/bin/sh\nexec python3 -I -S \"$@\"\n").expect("script");
    std::fs::set_permissions(&bare, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let err = fails(
        d.path(),
        &["dlio", "--python", bare.to_str().expect("utf-8"), "workload=x"],
        "has no mlstor Python package",
    );
    assert!(err.contains("No module named 'mlstor'"), "{err}");
}

#[test]
fn flags_dlio_cannot_honour_are_refused() {
    let d = tempfile::tempdir().expect("tmp");
    fails(
        d.path(),
        &["--max-attempts", "2", "dlio", "workload=x"],
        "--max-attempts does not apply to `mlstor dlio`",
    );
    fails(
        d.path(),
        &["--json", "dlio", "workload=x"],
        "--json does not apply to `mlstor dlio`",
    );
    fails(
        d.path(),
        &["compare", "--dlio", "w.yaml", "--bucket", "b"],
        "--bucket does not apply with --dlio",
    );
}
