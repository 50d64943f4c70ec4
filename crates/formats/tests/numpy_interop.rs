//! numpy reads what mlstor writes, and mlstor reads what numpy writes (np.save / np.savez /
//! np.savez_compressed, as DLIO's generators call them). Needs `MLSTOR_TEST_PYTHON`, a Python
//! with numpy (scripts/test.sh sets it up); without it the test is skipped, except in CI.
use std::path::Path;
use std::process::Command;

use mlstor_formats::{npy, npz};

fn python() -> Option<String> {
    match std::env::var("MLSTOR_TEST_PYTHON") {
        Ok(p) => Some(p),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("MLSTOR_TEST_PYTHON is not set (CI=true: a missing prerequisite is a failure)")
        }
        Err(_) => {
            eprintln!(
                "SKIPPED: MLSTOR_TEST_PYTHON (a Python with numpy) is not set; scripts/test.sh sets it"
            );
            None
        }
    }
}

fn run(py: &str, script: &str, dir: &Path) -> String {
    let out = Command::new(py)
        .arg("-c")
        .arg(script)
        .arg(dir)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn array(d1: u64, d2: u64, n: u64) -> Vec<u8> {
    (0..d1 * d2 * n).map(|i| (i * 31 % 255) as u8).collect()
}

#[test]
fn numpy_reads_what_mlstor_writes() {
    let Some(py) = python() else { return };
    let d = tempfile::tempdir().expect("tempdir");
    let data = array(7, 5, 3);
    std::fs::write(d.path().join("a.npy"), npy::encode_u8(&[7, 5, 3], &data)).expect("write");
    std::fs::write(
        d.path().join("b.npz"),
        npz::encode(&[7, 5, 3], &data, false).expect("npz"),
    )
    .expect("write");
    std::fs::write(
        d.path().join("c.npz"),
        npz::encode(&[7, 5, 3], &data, true).expect("npz"),
    )
    .expect("write");
    let script = r#"
import sys, numpy as np
d = sys.argv[1]
want = (np.arange(7*5*3, dtype=np.int64) * 31 % 255).astype(np.uint8).reshape(7, 5, 3)
a = np.load(d + "/a.npy")
assert a.dtype == np.uint8 and a.shape == (7, 5, 3) and (a == want).all(), "npy"
for f in ("b.npz", "c.npz"):
    z = np.load(d + "/" + f)
    assert sorted(z.files) == ["x", "y"], z.files
    assert z["x"].dtype == np.uint8 and (z["x"] == want).all(), f
    assert z["y"].dtype == np.int64 and list(z["y"]) == [0, 0, 0], f
    assert (z["x"][..., 2] == want[..., 2]).all()
print("ok")
"#;
    assert_eq!(run(&py, script, d.path()).trim(), "ok");
}

#[test]
fn mlstor_reads_what_numpy_writes() {
    let Some(py) = python() else { return };
    let d = tempfile::tempdir().expect("tempdir");
    let script = r#"
import sys, numpy as np
d = sys.argv[1]
x = (np.arange(6*4*5, dtype=np.int64) * 31 % 255).astype(np.uint8).reshape(6, 4, 5)
np.save(d + "/a.npy", x)
np.savez(d + "/b.npz", x=x, y=[0]*5)
np.savez_compressed(d + "/c.npz", x=x, y=[0]*5)
print("ok")
"#;
    assert_eq!(run(&py, script, d.path()).trim(), "ok");
    let full = array(6, 4, 5);
    let want = |i: usize| -> Vec<u8> { (0..24).map(|j| full[j * 5 + i]).collect() };
    let a = std::fs::read(d.path().join("a.npy")).expect("read");
    for i in 0..5 {
        assert_eq!(npy::sample_u8(&a, i as u64).expect("npy sample"), want(i));
    }
    for f in ["b.npz", "c.npz"] {
        let z = std::fs::read(d.path().join(f)).expect("read");
        assert_eq!(npz::sample_u8(&z, 4).expect("npz sample"), want(4), "{f}");
    }
}
