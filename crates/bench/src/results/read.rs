//! A finished results folder read back: mlstor's (its `results.json` and DLIO's files) or
//! DLIO's own (`summary.json`, `{rank}_per_epoch_stats.json`, `{rank}_output.json`,
//! `dlio_config/`). Everything a report says comes from these files.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::checkpoint::CheckpointSummary;
use super::summary::RunSummary;
use crate::records::checkpoint::CheckpointRun;
use crate::records::train::RankReport;

/// A results folder that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error("{path}: not a results folder (no results.json, no summary.json and no *_per_epoch_stats.json)")]
    NotResults { path: String },
    #[error("cannot read {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid JSON of the expected shape")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

/// Who wrote the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Mlstor,
    Dlio,
}

/// What mlstor's `results.json` holds, typed.
#[derive(Debug, Clone)]
pub enum MlstorRun {
    Training {
        summary: Box<RunSummary>,
        per_rank: Vec<RankReport>,
    },
    Checkpoint {
        summary: Box<CheckpointSummary>,
        per_rank: Vec<CheckpointRun>,
        uri: String,
    },
    /// A results.json of a shape this mlstor does not know (another version).
    Other,
}

/// A results folder as read.
#[derive(Debug, Clone)]
pub struct RunFolder {
    pub dir: PathBuf,
    pub source: Source,
    /// mlstor's `results.json` (mlstor folders).
    pub results: Option<Value>,
    pub run: MlstorRun,
    /// DLIO's `summary.json` (absent for runs that only generated).
    pub summary: Option<Value>,
    /// `{rank}_per_epoch_stats.json` and `{rank}_output.json`, in rank order.
    pub per_epoch: Vec<(usize, Value)>,
    pub outputs: Vec<(usize, Value)>,
    /// `dlio_config/config.yaml` and `overrides.yaml`, as text.
    pub config_yaml: Option<String>,
    pub overrides_yaml: Option<String>,
}

fn read_text(path: &Path) -> Result<Option<String>, ReadError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ReadError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, ReadError> {
    serde_json::from_str(text).map_err(|source| ReadError::Json {
        path: path.display().to_string(),
        source,
    })
}

fn read_json(path: &Path) -> Result<Option<Value>, ReadError> {
    read_text(path)?.map(|t| parse(path, &t)).transpose()
}

/// `{rank}_<suffix>` files of `dir`, in rank order.
fn per_rank(dir: &Path, suffix: &str) -> Result<Vec<(usize, Value)>, ReadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ReadError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rank) = name.strip_suffix(suffix).and_then(|r| r.parse::<usize>().ok()) else {
            continue;
        };
        if let Some(v) = read_json(&e.path())? {
            out.push((rank, v));
        }
    }
    out.sort_by_key(|(r, _)| *r);
    Ok(out)
}

/// `v[key]` as `T`, naming the file when it does not fit.
fn field<T: DeserializeOwned>(v: &Value, key: &str, path: &Path) -> Result<T, ReadError> {
    serde_json::from_value(v.get(key).cloned().unwrap_or(Value::Null)).map_err(|source| ReadError::Json {
        path: format!("{} ({key})", path.display()),
        source,
    })
}

impl RunFolder {
    /// Reads the results folder `dir`.
    pub fn open(dir: &Path) -> Result<RunFolder, ReadError> {
        let results_path = dir.join("results.json");
        let results = read_json(&results_path)?;
        let summary = read_json(&dir.join("summary.json"))?;
        let per_epoch = per_rank(dir, "_per_epoch_stats.json")?;
        if results.is_none() && summary.is_none() && per_epoch.is_empty() {
            return Err(ReadError::NotResults {
                path: dir.display().to_string(),
            });
        }
        let run = match &results {
            Some(r) if r.get("summary").is_some() => MlstorRun::Training {
                summary: Box::new(field(r, "summary", &results_path)?),
                per_rank: field(r, "per_rank", &results_path)?,
            },
            Some(r) if r.get("checkpoint").is_some() => MlstorRun::Checkpoint {
                summary: Box::new(field(r, "checkpoint", &results_path)?),
                per_rank: field(r, "per_rank", &results_path)?,
                uri: field(r, "checkpoint_uri", &results_path)?,
            },
            _ => MlstorRun::Other,
        };
        Ok(RunFolder {
            dir: dir.to_path_buf(),
            source: if results.is_some() {
                Source::Mlstor
            } else {
                Source::Dlio
            },
            results,
            run,
            summary,
            per_epoch,
            outputs: per_rank(dir, "_output.json")?,
            config_yaml: read_text(&dir.join("dlio_config/config.yaml"))?,
            overrides_yaml: read_text(&dir.join("dlio_config/overrides.yaml"))?,
        })
    }

    /// The workload's resolved config as YAML (DLIO nests it under `workload:`).
    pub fn config(&self) -> Option<Value> {
        let v: Value = serde_yaml_ng::from_str(self.config_yaml.as_deref()?).ok()?;
        Some(v.get("workload").cloned().unwrap_or(v))
    }

    /// The run's name: the workload as given (mlstor), else the model's name (DLIO).
    pub fn title(&self) -> String {
        if let Some(w) = self.results.as_ref().and_then(|r| r["workload"].as_str()) {
            return Path::new(w)
                .file_stem()
                .map_or_else(|| w.to_string(), |s| s.to_string_lossy().into_owned());
        }
        self.config()
            .and_then(|c| c["model"]["name"].as_str().map(str::to_string))
            .unwrap_or_else(|| self.dir.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dlio(case: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/dlio/v3.0.2")
            .join(case)
    }

    #[test]
    fn reads_dlio_folders() {
        let f = RunFolder::open(&dlio("train_eval")).expect("DLIO's folder");
        assert_eq!(f.source, Source::Dlio);
        assert!(matches!(f.run, MlstorRun::Other));
        assert_eq!(f.per_epoch.len(), 1);
        assert_eq!(f.outputs[0].0, 0);
        assert_eq!(f.title(), "report_train_eval");
        assert_eq!(
            f.config().expect("config")["dataset"]["record_length_bytes"],
            262144
        );
        let e = RunFolder::open(&dlio("datagen")).expect_err("no results");
        assert!(e.to_string().contains("not a results folder"), "{e}");
    }

    #[test]
    fn bad_json_names_the_file() {
        let d = tempfile::tempdir().expect("tmp");
        std::fs::write(d.path().join("summary.json"), "{").expect("write");
        let e = RunFolder::open(d.path()).expect_err("bad");
        assert!(e.to_string().contains("summary.json"), "{e}");
    }
}
