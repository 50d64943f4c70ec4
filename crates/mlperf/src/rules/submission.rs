//! The checks of a whole result: the runs of one benchmark and model together
//! (mlpstorage's `TrainingSubmissionRulesChecker` / `CheckpointSubmissionRulesChecker`),
//! and what a result still lacks.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{BenchmarkType, Issue, Run, Validation, Verdict, check_run};
use crate::datasize::as_u64;
use crate::edition::{CHECKPOINTS_READ, CHECKPOINTS_WRITE, TRAINING_RUNS};

/// Seconds allowed between a CLOSED write invocation's end and its read invocation's start.
pub const MAX_INTER_PHASE_GAP_S: i64 = 30;

/// One benchmark and model: its runs' verdicts and the set's.
#[derive(Debug, Clone, Serialize)]
pub struct SetVerdict {
    pub benchmark_type: BenchmarkType,
    pub model: String,
    pub category: Validation,
    pub issues: Vec<Issue>,
    /// Each run (in run-datetime order) with its own verdict.
    pub runs: Vec<(String, String, Verdict)>,
}

/// Checks each run and the set; `runs` are one benchmark type and model.
pub fn check_set(benchmark_type: BenchmarkType, model: &str, runs: &[&Run]) -> SetVerdict {
    let mut sorted: Vec<&Run> = runs.to_vec();
    // By time, not by text: DLIO's folders give ISO times, mlstor's and mlpstorage's
    // YYYYmmdd_HHMMSS.
    sorted.sort_by_key(|r| (crate::tree::parse_time(&r.run_datetime), r.run_datetime.clone()));
    let verdicts: Vec<Verdict> = sorted.iter().map(|r| check_run(r)).collect();
    let mut issues = Vec::new();
    let categories: BTreeSet<Validation> = verdicts
        .iter()
        .zip(&sorted)
        .filter(|(_, r)| r.is_measured())
        .map(|(v, _)| v.category)
        .collect();
    issues.push(runs_valid(&categories));
    let models: BTreeSet<&str> = sorted.iter().map(|r| r.model.as_str()).collect();
    if models.len() > 1 {
        issues.push(
            Issue::new(
                Validation::Invalid,
                "inconsistent models across runs in submission",
            )
            .parameter("model")
            .expected("Single model")
            .actual(models.into_iter().collect::<Vec<_>>()),
        );
    }
    let measured: Vec<&Run> = sorted.iter().copied().filter(|r| r.is_measured()).collect();
    match benchmark_type {
        BenchmarkType::Training => issues.extend(training_set(&sorted, &measured)),
        BenchmarkType::Checkpointing => {
            issues.extend(checkpoint_counts(&measured));
            if categories == BTreeSet::from([Validation::Closed]) {
                issues.extend(invocation_structure(&measured));
            }
        }
    }
    SetVerdict {
        benchmark_type,
        model: model.to_string(),
        category: Validation::of(&issues),
        issues,
        runs: sorted
            .iter()
            .zip(verdicts)
            .map(|(r, v)| (r.command.clone(), r.run_datetime.clone(), v))
            .collect(),
    }
}

fn runs_valid(categories: &BTreeSet<Validation>) -> Issue {
    let (v, m) = if categories.contains(&Validation::Invalid) {
        (Validation::Invalid, "invalid runs found")
    } else if categories.contains(&Validation::Open) {
        (Validation::Open, "all runs satisfy the OPEN or CLOSED category")
    } else {
        (Validation::Closed, "all runs satisfy the CLOSED category")
    };
    Issue::new(v, m)
        .parameter("category")
        .expected("OPEN or CLOSED")
        .actual(categories.iter().map(|c| c.to_string()).collect::<Vec<_>>())
}

/// Training: 5 measured runs after 1 warm-up (Rules.md 2.1.17: reportgen wants 6
/// invocations, mlpstorage's checker at least 5), and the datasize and datagen phases
/// recorded (Rules.md 3.1.1, 3.2.1, 3.3.1).
fn training_set(all: &[&Run], measured: &[&Run]) -> Vec<Issue> {
    let mut issues = Vec::new();
    let n = measured.len();
    let want = TRAINING_RUNS + 1; // 1 warm-up + 5 measured (Rules.md 2.1.17)
    let rule = "2.1.17 runTimestamps";
    if n < want {
        issues.push(
            Issue::new(
                Validation::Invalid,
                format!("training submission requires {want} runs (1 warm-up + {TRAINING_RUNS}); found {n}"),
            )
            .parameter("num_runs")
            .expected(want)
            .actual(n)
            .rule(rule)
            .fix(format!("run `run` {} more time(s)", want - n)),
        );
    } else if n > want {
        issues.push(
            Issue::new(
                Validation::Invalid,
                format!("training submission must have exactly {want} runs (1 warm-up + {TRAINING_RUNS}); found {n}"),
            )
            .parameter("run_folders")
            .expected(want)
            .actual(n)
            .rule(rule)
            .fix(format!("keep the {want} consecutive runs you submit; move the other {} run folder(s) out of the tree", n - want)),
        );
    } else {
        issues.push(
            Issue::new(
                Validation::Closed,
                format!("training submission has {want} runs: the earliest is the warm-up, the next {TRAINING_RUNS} are measured"),
            )
            .parameter("num_runs")
            .rule(rule),
        );
    }
    let sized = all
        .iter()
        .filter(|r| r.command == "datasize" && r.finished())
        .max_by_key(|r| crate::tree::parse_time(&r.run_datetime));
    match sized {
        None => issues.push(
            Issue::new(Validation::Invalid, "no datasize run recorded")
                .parameter("datasize")
                .rule("3.1.1 trainingVerifyDatasizeUsage")
                .fix("run `datasize` with the same results folder"),
        ),
        Some(d) => {
            let want = d.block("dataset").get("num_files_train").map(as_u64);
            for r in measured {
                let got = r.block("dataset").get("num_files_train").map(as_u64);
                if let (Some(w), Some(g)) = (want, got)
                    && g < w
                {
                    issues.push(
                        Issue::new(
                            Validation::Invalid,
                            format!(
                                "run {} trains on {g} files; datasize asked for {w}",
                                r.run_datetime
                            ),
                        )
                        .parameter("dataset.num_files_train")
                        .expected(w)
                        .actual(g)
                        .rule("3.3.1 trainingRunDataMatchesDatasize"),
                    );
                }
            }
        }
    }
    if !all.iter().any(|r| r.command == "datagen" && r.finished()) {
        issues.push(
            Issue::new(Validation::Invalid, "no datagen run recorded")
                .parameter("datagen")
                .rule("3.2.1 trainingDatagenMinimumSize")
                .fix("generate the dataset with `datagen` into the same results folder"),
        );
    }
    issues
}

fn checkpoint_counts(measured: &[&Run]) -> Vec<Issue> {
    let total = |key: &str| -> u64 {
        measured
            .iter()
            .map(|r| r.block("checkpoint").get(key).map_or(0, as_u64))
            .sum()
    };
    let mut issues = Vec::new();
    for (key, what, want) in [
        ("num_checkpoints_read", "read", CHECKPOINTS_READ),
        ("num_checkpoints_write", "write", CHECKPOINTS_WRITE),
    ] {
        let n = total(key);
        if n != want {
            // Too few: runs still to do (SHORT); too many: no run fixes that.
            let parameter = if n < want {
                format!("checkpoint.{key}")
            } else {
                "checkpoint.invocation_structure".into()
            };
            issues.push(
                Issue::new(
                    Validation::Invalid,
                    format!("expected {want} total {what} operations, but found {n}"),
                )
                .parameter(parameter)
                .expected(want)
                .actual(n)
                .rule("2.1.23"),
            );
        }
    }
    issues
}

/// CLOSED checkpointing: one 10/10 invocation, or 10/0 then 0/10 at most 30 s apart.
fn invocation_structure(measured: &[&Run]) -> Vec<Issue> {
    let counts = |r: &Run| {
        let ck = r.block("checkpoint");
        (
            ck.get("num_checkpoints_write").map_or(0, as_u64),
            ck.get("num_checkpoints_read").map_or(0, as_u64),
        )
    };
    let bad = |m: String| {
        vec![
            Issue::new(Validation::Invalid, m)
                .parameter("checkpoint.invocation_structure")
                .rule("4.7.1"),
        ]
    };
    match measured {
        [] => Vec::new(),
        [one] if counts(one) == (10, 10) => Vec::new(),
        [one] => bad(format!(
            "a single CLOSED invocation must write and read 10 checkpoints, not {:?}",
            counts(one)
        )),
        [w, r] => {
            if counts(w) != (10, 0) || counts(r) != (0, 10) {
                return bad("two CLOSED invocations must be 10 writes then 10 reads".into());
            }
            match (end_seconds(w), start_seconds(r)) {
                (Some(end), Some(start)) if (0..=MAX_INTER_PHASE_GAP_S).contains(&(start - end)) => {
                    Vec::new()
                }
                (Some(end), Some(start)) => bad(format!(
                    "the read invocation started {} s after the write invocation ended (at most {MAX_INTER_PHASE_GAP_S} s)",
                    start - end
                )),
                _ => Vec::new(),
            }
        }
        more => bad(format!(
            "CLOSED checkpointing submission must consist of 1 or 2 invocations (got {})",
            more.len()
        )),
    }
}

fn end_seconds(r: &Run) -> Option<i64> {
    let m = r.metrics.as_ref()?;
    m.get("end")
        .and_then(|v| v.as_str())
        .and_then(crate::tree::parse_time)
}

fn start_seconds(r: &Run) -> Option<i64> {
    crate::tree::parse_time(&r.run_datetime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::training::unet3d_run;
    use serde_json::json;

    fn training(command: &str, at: &str) -> Run {
        let mut r = unet3d_run();
        r.command = command.into();
        r.run_datetime = at.into();
        r
    }

    #[test]
    fn a_training_result_needs_datasize_datagen_and_six_runs() {
        let mut runs = vec![
            training("datasize", "20261201_100000"),
            training("datagen", "20261201_100100"),
        ];
        for i in 0..6 {
            runs.push(training("run", &format!("20261201_11000{i}")));
        }
        let refs: Vec<&Run> = runs.iter().collect();
        let v = check_set(BenchmarkType::Training, "unet3d", &refs);
        assert_eq!(v.category, Validation::Closed, "{:#?}", v.issues);
        let v = check_set(BenchmarkType::Training, "unet3d", &refs[..6]);
        assert_eq!(v.category, Validation::Invalid);
        assert!(
            v.issues
                .iter()
                .any(|i| i.parameter.as_deref() == Some("num_runs"))
        );
        let mut seven = runs.clone();
        seven.push(training("run", "20261201_110009"));
        let refs7: Vec<&Run> = seven.iter().collect();
        let v = check_set(BenchmarkType::Training, "unet3d", &refs7);
        assert!(
            v.issues
                .iter()
                .any(|i| i.parameter.as_deref() == Some("run_folders")),
            "{:#?}",
            v.issues
        );
        let v = check_set(BenchmarkType::Training, "unet3d", &refs[1..]);
        assert!(
            v.issues
                .iter()
                .any(|i| i.rule.as_deref() == Some("3.1.1 trainingVerifyDatasizeUsage"))
        );
        let mut open = runs.clone();
        open[4]
            .override_parameters
            .insert("dataset.format".into(), json!("npy"));
        let refs: Vec<&Run> = open.iter().collect();
        assert_eq!(
            check_set(BenchmarkType::Training, "unet3d", &refs).category,
            Validation::Open
        );
    }

    #[test]
    fn checkpoint_invocations() {
        let ck = |w: u64, r: u64, at: &str, end: &str| Run {
            benchmark_type: Some(BenchmarkType::Checkpointing),
            model: "llama3-8b".into(),
            command: "run".into(),
            run_datetime: at.into(),
            num_processes: 8,
            parameters: json!({"checkpoint": {"num_checkpoints_write": w, "num_checkpoints_read": r}}),
            metrics: Some(json!({"end": end})),
            run_args: json!({}),
            ..Run::default()
        };
        let one = ck(10, 10, "20261201_100000", "2026-12-01T10:10:00");
        assert_eq!(
            check_set(BenchmarkType::Checkpointing, "llama3-8b", &[&one]).category,
            Validation::Closed
        );
        let w = ck(10, 0, "20261201_100000", "2026-12-01T10:10:00");
        let r = ck(0, 10, "20261201_101020", "2026-12-01T10:20:00");
        assert_eq!(
            check_set(BenchmarkType::Checkpointing, "llama3-8b", &[&w, &r]).category,
            Validation::Closed
        );
        let late = ck(0, 10, "20261201_102000", "2026-12-01T10:30:00");
        assert_eq!(
            check_set(BenchmarkType::Checkpointing, "llama3-8b", &[&w, &late]).category,
            Validation::Invalid
        );
        assert_eq!(
            check_set(BenchmarkType::Checkpointing, "llama3-8b", &[&w]).category,
            Validation::Invalid
        );
    }
}
