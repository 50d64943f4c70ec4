//! One library doing one operation, in its own process: a [`Job`] goes in on stdin (and, for
//! Python writes, the objects' bytes after it), one [`Outcome`] comes back on stdout.
//!
//! Two workers speak this: `worker.py` (carried inside the binary, written to a temporary file
//! at run time) for the Python libraries, and [`native`] (`mlstor compare-worker`) for
//! mlstor's Rust store. A process per library and op means no library shares an interpreter,
//! a runtime, caches or connections with another, and each one's CPU and memory are its own.

pub mod native;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::CompareError;
use crate::data::Objects;
use crate::spec::Op;

/// The Python worker's source.
pub const WORKER_PY: &str = include_str!("worker.py");

/// What a worker is asked to do.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Job {
    pub library: String,
    pub op: Op,
    pub scheme: String,
    pub bucket: String,
    /// Ends with `/`; the objects are `{prefix}obj-NNNNNN`, the warm-up ones `{prefix}warmup-NNNNNN`.
    pub prefix: String,
    pub objects: usize,
    pub size: usize,
    pub threads: usize,
    pub warmup: usize,
    pub batch_objects: usize,
    pub endpoints: Vec<String>,
    pub region: String,
    /// A plugin file (`--adapter`) instead of a built-in adapter.
    pub plugin: Option<PathBuf>,
}

/// What a worker measured.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    /// The library's version, where it tells.
    pub version: Option<String>,
    /// Wall time of the timed part (the sum over write batches).
    pub seconds: f64,
    /// Client CPU seconds of the timed part, all threads, without the CRC checks.
    pub cpu_seconds: f64,
    /// CPU seconds the CRC-32 checks took (taken out of `cpu_seconds`).
    pub verify_cpu_seconds: f64,
    /// Per object: seconds of its call, or null when it failed.
    pub latency_s: Vec<Option<f64>>,
    /// Per object: seconds to the first byte, where the library lets it be seen.
    pub ttfb_s: Option<Vec<Option<f64>>>,
    /// Reads: per object, the CRC-32 and length of what came back.
    pub crc32: Option<Vec<Option<u32>>>,
    pub lengths: Option<Vec<Option<u64>>>,
    /// `[key, error]` of each failed object.
    pub errors: Vec<(String, String)>,
    /// Retried requests, where the library tells.
    pub retries: Option<u64>,
    /// Peak resident memory during the timed part, above what the process held before it.
    pub rss_growth_bytes: Option<i64>,
}

/// How to start a worker.
#[derive(Debug, Clone)]
pub enum Launch {
    /// `mlstor compare-worker` and its arguments (the global store flags).
    Native { exe: PathBuf, args: Vec<String> },
    /// `PYTHON worker.py`.
    Python { python: PathBuf, script: PathBuf },
}

/// Writes `worker.py` into `dir`; returns its path.
pub fn write_python_worker(dir: &Path) -> Result<PathBuf, CompareError> {
    let p = dir.join("mlstor_compare_worker.py");
    std::fs::write(&p, WORKER_PY).map_err(|e| CompareError::io(&p, e))?;
    Ok(p)
}

/// Runs one job to its outcome. Python writes get the objects' bytes on stdin, made here
/// (untimed: the worker loads a whole batch before it starts its clock).
pub fn run(launch: &Launch, job: &Job, objects: &Objects) -> Result<Outcome, CompareError> {
    let mut cmd = match launch {
        Launch::Native { exe, args } => {
            let mut c = Command::new(exe);
            c.arg("compare-worker").args(args);
            c
        }
        Launch::Python { python, script } => {
            let mut c = Command::new(python);
            c.arg(script);
            c
        }
    };
    let what = format!("{} {}", job.library, job.op.as_str());
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| CompareError::Worker {
            what: what.clone(),
            why: format!("cannot start {cmd:?}: {e}"),
        })?;
    // stderr is drained on its own thread so a chatty library cannot block the worker.
    let mut err_pipe = child.stderr.take().expect("piped");
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let mut stdin = child.stdin.take().expect("piped");
    let fed = (|| -> std::io::Result<()> {
        let line = serde_json::to_string(job).map_err(std::io::Error::other)?;
        stdin.write_all(line.as_bytes())?;
        stdin.write_all(b"\n")?;
        if job.op == Op::Write && matches!(launch, Launch::Python { .. }) {
            let mut buf = vec![0u8; job.size];
            for i in 0..job.objects {
                objects.fill(i, &mut buf);
                stdin.write_all(&buf)?;
            }
        }
        Ok(())
    })();
    drop(stdin);
    let mut out = String::new();
    let mut reader = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    while reader.read_line(&mut line).map_err(|e| CompareError::Worker {
        what: what.clone(),
        why: e.to_string(),
    })? > 0
    {
        out = std::mem::take(&mut line);
    }
    let status = child.wait().map_err(|e| CompareError::Worker {
        what: what.clone(),
        why: e.to_string(),
    })?;
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() || fed.is_err() {
        return Err(CompareError::Worker {
            what,
            why: format!("{status}: {}", last_lines(&stderr, 6)),
        });
    }
    serde_json::from_str(out.trim()).map_err(|e| CompareError::Worker {
        what,
        why: format!("unreadable result ({e}): {}", last_lines(&stderr, 6)),
    })
}

/// The last `n` non-empty lines of a worker's stderr, for error messages.
fn last_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(n)..].join(" | ");
    if tail.is_empty() {
        "(no output)".into()
    } else {
        tail
    }
}

/// Which of `modules` `python` can import (one interpreter start for all).
pub fn importable(python: &Path, modules: &[&str]) -> Result<Vec<bool>, CompareError> {
    let code = "import importlib, json, sys\nok = []\nfor m in sys.argv[1:]:\n    try:\n        importlib.import_module(m)\n        ok.append(True)\n    except Exception:\n        ok.append(False)\nprint(json.dumps(ok))\n";
    let out = Command::new(python)
        .arg("-c")
        .arg(code)
        .args(modules)
        .stderr(Stdio::null())
        .output()
        .map_err(|e| CompareError::Spec(format!("cannot run the Python {}: {e}", python.display())))?;
    if !out.status.success() {
        return Err(CompareError::Spec(format!(
            "the Python {} failed to start ({})",
            python.display(),
            out.status
        )));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| CompareError::Spec(format!("{}: {e}", python.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_text_is_carried_and_tails_are_short() {
        assert!(WORKER_PY.contains("def main()"));
        assert_eq!(last_lines("a\n\nb\nc\n", 2), "b | c");
        assert_eq!(last_lines("", 2), "(no output)");
    }
}
