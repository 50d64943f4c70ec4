//! A run's results folder, the contract between running and reporting: DLIO's files
//! ([`dlio`]), mlstor's `results.json`, the resolved configuration, and the figures over
//! all ranks that both are made from ([`summary`] for training, [`checkpoint`] for
//! checkpoints). [`write`] is the one writer; [`read`] loads a finished folder (mlstor's or
//! DLIO's own) so everything reported can be derived from the files alone.
//!
//! ```text
//! <results>/summary.json                 DLIO's run summary (rank 0)
//! <results>/{rank}_per_epoch_stats.json  DLIO's per-epoch timestamps (each rank)
//! <results>/{rank}_output.json           DLIO's per-step timings (each rank)
//! <results>/results.json                 everything mlstor measured (rank 0)
//! <results>/dlio_config/config.yaml      the resolved workload, secrets masked
//! <results>/dlio_config/overrides.yaml   the overrides given on the command line
//! ```

pub mod checkpoint;
pub mod dlio;
pub mod read;
pub mod summary;
pub mod write;

use std::path::{Path, PathBuf};

/// A results folder could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write results to {path}")]
pub struct ResultsError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// The folder results go to: `--results-dir`, else `output.folder`, else
/// `results/<workload>/<YYYYmmdd_HHMMSS>`; relative paths are under `cwd`.
pub fn results_dir(
    cli: Option<&Path>,
    output_folder: Option<&str>,
    workload: &str,
    stamp: &str,
    cwd: &Path,
) -> PathBuf {
    let chosen = cli
        .map(Path::to_path_buf)
        .or_else(|| output_folder.map(PathBuf::from));
    let p = chosen.unwrap_or_else(|| {
        let name = Path::new(workload)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("workload")
            .to_string();
        PathBuf::from("results").join(name).join(stamp)
    });
    if p.is_absolute() { p } else { cwd.join(p) }
}

/// Writes `bytes` to `dir/name` through a temporary file renamed into place, so a reader
/// never sees half a file.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), ResultsError> {
    let path = dir.join(name);
    let err = |source| ResultsError {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    let tmp = dir.join(format!(".{}.tmp-{}", name.replace('/', "_"), std::process::id()));
    std::fs::write(&tmp, bytes).map_err(err)?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}

/// Writes a JSON value, pretty-printed as DLIO writes its files (4-space indent).
pub fn write_json(dir: &Path, name: &str, v: &serde_json::Value) -> Result<(), ResultsError> {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    serde::Serialize::serialize(v, &mut ser).map_err(|e| ResultsError {
        path: dir.join(name).display().to_string(),
        source: std::io::Error::other(e),
    })?;
    out.push(b'\n');
    write_file(dir, name, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_choice() {
        let cwd = Path::new("/w");
        let stamp = "20261201_101010";
        assert_eq!(
            results_dir(None, None, "workloads/unet3d_tiny.yaml", stamp, cwd),
            Path::new("/w/results/unet3d_tiny/20261201_101010")
        );
        assert_eq!(
            results_dir(None, Some("out"), "x", stamp, cwd),
            Path::new("/w/out")
        );
        assert_eq!(
            results_dir(Some(Path::new("/r")), Some("out"), "x", stamp, cwd),
            Path::new("/r")
        );
    }

    #[test]
    fn files_are_written_whole() {
        let d = tempfile::tempdir().expect("tmp");
        write_json(d.path(), "a/b.json", &serde_json::json!({"k": [1, 2]})).expect("write");
        let text = std::fs::read_to_string(d.path().join("a/b.json")).expect("read");
        assert!(text.contains("    \"k\""), "{text}");
        let left: Vec<_> = std::fs::read_dir(d.path()).expect("ls").flatten().collect();
        assert_eq!(left.len(), 1, "no temporary file left");
    }
}
