//! CLOSED / OPEN / INVALID: mlpstorage's per-run checks ([`training`], [`checkpointing`])
//! and the checks of a whole result ([`submission`]). Every finding names the parameter or
//! file, the rule (a section of Rules.md) and, where there is one, the fix.

pub mod checkpointing;
pub mod submission;
pub mod training;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a finding allows (mlpstorage's `PARAM_VALIDATION`), ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Validation {
    Closed,
    Open,
    Invalid,
}

impl Validation {
    pub fn as_str(self) -> &'static str {
        match self {
            Validation::Closed => "closed",
            Validation::Open => "open",
            Validation::Invalid => "invalid",
        }
    }

    /// The category of a run or result from its findings: the worst of them, CLOSED if none.
    pub fn of(issues: &[Issue]) -> Validation {
        issues
            .iter()
            .map(|i| i.validation)
            .max()
            .unwrap_or(Validation::Closed)
    }
}

impl std::fmt::Display for Validation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str().to_uppercase())
    }
}

/// One finding (mlpstorage's `Issue`, with the rule it applies and the fix).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub validation: Validation,
    pub message: String,
    /// The parameter or file the finding is about.
    pub parameter: Option<String>,
    pub expected: Option<Value>,
    pub actual: Option<Value>,
    /// The section of Rules.md, e.g. `3.6.2 trainingClosedSubmissionParameters`.
    pub rule: Option<String>,
    /// What to do about it.
    pub fix: Option<String>,
}

impl Issue {
    pub fn new(validation: Validation, message: impl Into<String>) -> Issue {
        Issue {
            validation,
            message: message.into(),
            parameter: None,
            expected: None,
            actual: None,
            rule: None,
            fix: None,
        }
    }
    pub fn parameter(mut self, p: impl Into<String>) -> Issue {
        self.parameter = Some(p.into());
        self
    }
    pub fn expected(mut self, v: impl Into<Value>) -> Issue {
        self.expected = Some(v.into());
        self
    }
    pub fn actual(mut self, v: impl Into<Value>) -> Issue {
        self.actual = Some(v.into());
        self
    }
    pub fn rule(mut self, r: impl Into<String>) -> Issue {
        self.rule = Some(r.into());
        self
    }
    pub fn fix(mut self, f: impl Into<String>) -> Issue {
        self.fix = Some(f.into());
        self
    }
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.validation, self.message)?;
        if let Some(p) = &self.parameter {
            write!(f, " ({p}")?;
            if let (Some(e), Some(a)) = (&self.expected, &self.actual) {
                write!(f, ", expected {}, actual {}", plain(e), plain(a))?;
            }
            write!(f, ")")?;
        }
        if let Some(r) = &self.rule {
            write!(f, " [Rules.md {r}]")?;
        }
        if let Some(x) = &self.fix {
            write!(f, " Fix: {x}")?;
        }
        Ok(())
    }
}

/// Whether a dotted key names a credential (its value is never shown).
pub fn is_secret_key(key: &str) -> bool {
    let k = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    [
        "secret",
        "password",
        "token",
        "connection_string",
        "account_key",
        "credential",
    ]
    .iter()
    .any(|s| k.contains(s))
}

/// A parameter's value as a finding shows it: `***` for credentials.
pub fn shown_value(key: &str, v: &Value) -> Value {
    if is_secret_key(key) {
        Value::String("***".into())
    } else {
        v.clone()
    }
}

fn plain(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// Training or checkpointing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BenchmarkType {
    Training,
    Checkpointing,
}

impl BenchmarkType {
    pub fn as_str(self) -> &'static str {
        match self {
            BenchmarkType::Training => "training",
            BenchmarkType::Checkpointing => "checkpointing",
        }
    }
}

/// What the checks read of one run (mlpstorage's `BenchmarkRunData`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Run {
    pub benchmark_type: Option<BenchmarkType>,
    pub model: String,
    /// `datasize`, `datagen`, `run_benchmark` (training); `run` (checkpointing).
    pub command: String,
    pub run_datetime: String,
    pub num_processes: u64,
    /// The run's whole configuration (DLIO's `dataset`, `reader`, `workflow`... blocks).
    pub parameters: Value,
    /// Dotted keys set on top of the workload file (the user's and the tool's).
    pub override_parameters: BTreeMap<String, Value>,
    pub accelerator: Option<String>,
    /// Client memory over all hosts as measured during the run (None: not recorded).
    pub total_memory_bytes: Option<f64>,
    /// Client hosts of the run.
    pub num_hosts: Option<u64>,
    /// The command line's arguments (e.g. `checkpoint_subset`).
    pub run_args: Value,
    /// DLIO's `summary.json` (None: the run did not finish).
    pub metrics: Option<Value>,
    pub dir: Option<PathBuf>,
    /// The run's exit status as recorded (128 + the signal when one ended it); None when
    /// not recorded (DLIO's own folders).
    pub exit_status: Option<i64>,
}

impl Run {
    /// Whether this is a measured run (`run`; `run_benchmark` in v2.0-era trees).
    pub fn is_measured(&self) -> bool {
        self.command == "run" || self.command == "run_benchmark"
    }

    /// Whether the run ended well: exit status 0 (or none recorded) and, for a measured run,
    /// its `summary.json` written.
    pub fn finished(&self) -> bool {
        self.exit_status.is_none_or(|c| c == 0) && (!self.is_measured() || self.metrics.is_some())
    }
}

impl Run {
    /// A configuration block (`dataset`, `reader`, ...) or `null`.
    pub fn block(&self, name: &str) -> &Value {
        self.parameters.get(name).unwrap_or(&Value::Null)
    }
}

/// A run's findings and category.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub category: Validation,
    pub issues: Vec<Issue>,
}

/// The checks of a run's configuration alone (what a run about to start can be checked
/// against): [`check_run`] without the run's outcome.
pub fn check_config(run: &Run) -> Verdict {
    let issues = config_issues(run);
    Verdict {
        category: Validation::of(&issues),
        issues,
    }
}

fn config_issues(run: &Run) -> Vec<Issue> {
    match run.benchmark_type {
        Some(BenchmarkType::Training) => training::check(run),
        Some(BenchmarkType::Checkpointing) => checkpointing::check(run),
        None => vec![
            Issue::new(
                Validation::Invalid,
                "cannot tell whether this is a training or a checkpointing run",
            )
            .parameter("benchmark_type")
            .fix("restore the run's *_metadata.json"),
        ],
    }
}

/// Runs the per-run checks for the run's benchmark type, and whether it finished.
pub fn check_run(run: &Run) -> Verdict {
    let mut issues = config_issues(run);
    if !run.finished() {
        let why = match run.exit_status {
            Some(c) if c > 128 => format!("it was stopped by signal {}", c - 128),
            Some(c) if c != 0 => format!("it exited with status {c}"),
            _ => "it wrote no summary.json".to_string(),
        };
        issues.push(
            Issue::new(
                Validation::Invalid,
                format!("the {} did not finish: {why}", run.command),
            )
            .parameter("exit_status")
            .actual(run.exit_status.map_or(Value::Null, Value::from))
            .rule("2.1.19 runFiles")
            .fix("move this run's folder out of the results tree and run it again"),
        );
    }
    Verdict {
        category: Validation::of(&issues),
        issues,
    }
}
