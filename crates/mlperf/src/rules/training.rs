//! The checks of one training run (mlpstorage's `TrainingRunRulesChecker`).

use serde_json::Value;
#[cfg(test)]
use serde_json::json;

use super::{BenchmarkType, Issue, Run, Validation};
use crate::datasize::{self, Inputs};
use crate::edition::{TOOL_INJECTED_PARAMS, TRAINING_CLOSED_PARAMS, TRAINING_MODELS, TRAINING_OPEN_PARAMS};

/// Every check, in mlpstorage's order; `None`s dropped.
pub fn check(run: &Run) -> Vec<Issue> {
    let mut issues = Vec::new();
    issues.extend(benchmark_type(run));
    issues.extend(model_recognized(run));
    issues.extend(num_files_train(run));
    issues.extend(allowed_params(run));
    issues.extend(workflow_parameters(run));
    issues.extend(odirect_supported_model(run));
    issues.extend(accelerator_utilization(run));
    issues
}

/// Rules.md 3.3.2: a run passes only with AU at or above the workload's minimum (DLIO's
/// `train_au_meet_expectation`). Not in mlpstorage's run checker; its submission checker
/// enforces it.
fn accelerator_utilization(run: &Run) -> Option<Issue> {
    let metric = run.metrics.as_ref()?.get("metric")?;
    let verdict = metric.get("train_au_meet_expectation")?.as_str()?;
    (verdict == "fail").then(|| {
        let au = metric.get("train_au_mean_percentage").cloned().unwrap_or(Value::Null);
        let want = run.block("metric").get("au").and_then(Value::as_f64).map_or(90.0, |a| a * 100.0);
        let shown = au.as_f64().map_or_else(|| show(&au), |a| format!("{a:.2}"));
        Issue::new(Validation::Invalid, format!("accelerator utilization {shown} % is below the {want} % the workload asks for"))
            .parameter("metric.train_au_mean_percentage")
            .expected(format!(">= {want}"))
            .actual(au)
            .rule("3.3.2 trainingAcceleratorUtilizationCheck")
            .fix("the storage did not keep the accelerators busy: fewer accelerators, more read threads, or faster storage")
    })
}

fn benchmark_type(run: &Run) -> Option<Issue> {
    (run.benchmark_type != Some(BenchmarkType::Training)).then(|| {
        Issue::new(Validation::Invalid, "not a training run")
            .parameter("benchmark_type")
            .expected("training")
            .actual(run.benchmark_type.map_or("unknown", |b| b.as_str()))
    })
}

fn model_recognized(run: &Run) -> Option<Issue> {
    (!TRAINING_MODELS.contains(&run.model.as_str())).then(|| {
        Issue::new(Validation::Invalid, format!("unrecognized model {:?}", run.model))
            .parameter("model")
            .expected(format!("one of: {}", TRAINING_MODELS.join(", ")))
            .actual(run.model.clone())
            .rule("2.1.11 trainingWorkloads")
            .fix("run one of MLPerf Storage's training workloads")
    })
}

/// Rules.md 3.1.2: the run trains on at least the files the sizing asks for, with the memory
/// measured during the run. Skipped when the run recorded no memory (as mlpstorage does).
fn num_files_train(run: &Run) -> Option<Issue> {
    let rule = "3.1.2 trainingRecalculateDatasetSize";
    let dataset = run.block("dataset");
    if dataset.is_null() {
        return Some(
            Issue::new(Validation::Invalid, "missing dataset parameters")
                .parameter("dataset")
                .rule(rule),
        );
    }
    let Some(configured) = dataset.get("num_files_train") else {
        return Some(
            Issue::new(Validation::Invalid, "missing num_files_train parameter")
                .parameter("dataset.num_files_train")
                .rule(rule),
        );
    };
    let configured = datasize::as_u64(configured);
    let memory = run.total_memory_bytes?;
    let d = datasize::training(&Inputs {
        total_memory_bytes: memory,
        processes: run.num_processes,
        batch_size: run.block("reader").get("batch_size").map_or(0, datasize::as_u64),
        samples_per_file: dataset.get("num_samples_per_file").map_or(0, datasize::as_u64),
        record_length: datasize::record_length(dataset),
    });
    (configured < d.num_files_train).then(|| {
        Issue::new(Validation::Invalid, "insufficient number of training files")
            .parameter("dataset.num_files_train")
            .expected(format!(">= {}", d.num_files_train))
            .actual(configured)
            .rule(rule)
            .fix(format!(
                "run `datasize` with the clients' real memory ({:.1} GiB over all hosts) and {} accelerators, then datagen and train on at least {} files",
                memory / f64::from(1u32 << 30),
                run.num_processes,
                d.num_files_train
            ))
    })
}

/// Rules.md 3.6.2 / 3.6.3: only the listed parameters may be overridden; the tool's own
/// settings are reported and never count.
fn allowed_params(run: &Run) -> Vec<Issue> {
    let mut issues = Vec::new();
    for (param, value) in &run.override_parameters {
        let value = &super::shown_value(param, value);
        if param.starts_with("workflow") {
            continue;
        }
        let shown = show(value);
        let issue = if TOOL_INJECTED_PARAMS.contains(&param.as_str()) {
            Issue::new(
                Validation::Closed,
                format!("tool-injected parameter: {param} = {shown}"),
            )
            .parameter("Tool-Injected Parameters")
        } else if TRAINING_CLOSED_PARAMS.contains(&param.as_str()) {
            Issue::new(
                Validation::Closed,
                format!("closed parameter override allowed: {param} = {shown}"),
            )
            .parameter("Overrode Parameters")
            .rule("3.6.2 trainingClosedSubmissionParameters")
        } else if TRAINING_OPEN_PARAMS.contains(&param.as_str()) {
            Issue::new(
                Validation::Open,
                format!("open parameter override allowed: {param} = {shown}"),
            )
            .parameter("Overrode Parameters")
            .rule("3.6.3 trainingOpenSubmissionParameters")
            .fix(format!("submit in OPEN, or drop `{param}` for CLOSED"))
        } else {
            Issue::new(
                Validation::Invalid,
                format!(
                    "disallowed parameter override: {param} = {shown}{}",
                    typo_hint(param)
                ),
            )
            .parameter("Overrode Parameters")
            .expected("None")
            .rule("3.6.2 trainingClosedSubmissionParameters / 3.6.3 trainingOpenSubmissionParameters")
            .fix(format!(
                "drop `{param}` (CLOSED may change {}; OPEN also {})",
                TRAINING_CLOSED_PARAMS.join(", "),
                TRAINING_OPEN_PARAMS.join(", ")
            ))
        };
        issues.push(issue.actual(value.clone()));
    }
    issues
}

fn show(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// A "did you mean" for keys users often misspell (a flat `storage.storage_library` for
/// the nested `storage.storage_options.storage_library`, a missing block name).
fn typo_hint(param: &str) -> String {
    let leaf = param.rsplit('.').next().unwrap_or(param);
    let known = TRAINING_CLOSED_PARAMS
        .iter()
        .chain(TRAINING_OPEN_PARAMS)
        .chain(TOOL_INJECTED_PARAMS)
        .find(|k| k.rsplit('.').next() == Some(leaf) && **k != param);
    known.map_or_else(String::new, |k| format!(" Did you mean {k}?"))
}

/// unet3d's `run_benchmark` must checkpoint (workflow.checkpoint).
fn workflow_parameters(run: &Run) -> Option<Issue> {
    if run.model != "unet3d" || run.command != "run_benchmark" {
        return None;
    }
    match run.block("workflow").get("checkpoint")? {
        Value::Bool(true) => Some(
            Issue::new(Validation::Closed, "Unet3D training requires executing a checkpoint")
                .parameter("workflow.checkpoint")
                .expected("True")
                .actual(true),
        ),
        Value::Bool(false) => Some(
            Issue::new(
                Validation::Invalid,
                "Unet3D training requires executing a checkpoint. The parameter 'workflow.checkpoint' is set to False",
            )
            .parameter("workflow.checkpoint")
            .expected("True")
            .actual(false)
            .fix("leave workflow.checkpoint as the unet3d workload file sets it"),
        ),
        _ => None,
    }
}

/// `reader.odirect` is for unet3d only.
fn odirect_supported_model(run: &Run) -> Option<Issue> {
    let odirect = run.block("reader").get("odirect")?;
    let on = match odirect {
        Value::Bool(b) => *b,
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
        _ => true,
    };
    (on && run.model != "unet3d").then(|| {
        Issue::new(
            Validation::Invalid,
            "The reader.odirect option is only supported for unet3d",
        )
        .parameter("reader.odirect")
        .expected("False")
        .actual(odirect.clone())
        .fix("drop reader.odirect")
    })
}

/// A CLOSED-shaped unet3d run for the tests.
#[cfg(test)]
pub(crate) fn unet3d_run() -> Run {
    Run {
        benchmark_type: Some(BenchmarkType::Training),
        model: "unet3d".into(),
        command: "run_benchmark".into(),
        num_processes: 8,
        parameters: json!({
            "dataset": {"num_files_train": 28000, "num_samples_per_file": 1, "record_length_bytes": 146600628, "format": "npz"},
            "reader": {"batch_size": 7, "read_threads": 4},
            "workflow": {"checkpoint": true, "train": true},
        }),
        total_memory_bytes: Some(64.0 * f64::from(1u32 << 30)),
        metrics: Some(json!({"metric": {}})), // a finished run wrote its summary.json
        ..Run::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::check_run;

    fn category(run: &Run) -> Validation {
        check_run(run).category
    }

    #[test]
    fn the_shipped_workload_with_enough_files_is_closed() {
        assert_eq!(category(&unet3d_run()), Validation::Closed);
    }

    #[test]
    fn each_override_lands_in_its_division() {
        for (param, want) in [
            ("reader.read_threads", Validation::Closed),
            ("storage.storage_options.prefetch_window", Validation::Closed),
            ("dataset.skip_listing", Validation::Closed),
            ("storage.storage_options.storage_library", Validation::Closed),
            ("dataset.format", Validation::Open),
            ("reader.data_loader", Validation::Open),
            ("reader.batch_size", Validation::Invalid),
            ("train.computation_time", Validation::Invalid),
            ("storage.storage_library", Validation::Invalid),
        ] {
            let mut run = unet3d_run();
            run.override_parameters.insert(param.into(), json!(1));
            assert_eq!(category(&run), want, "{param}");
        }
        let mut run = unet3d_run();
        run.override_parameters
            .insert("storage.storage_library".into(), json!("s3dlio"));
        let v = check_run(&run);
        assert!(
            v.issues.iter().any(|i| i
                .message
                .contains("Did you mean storage.storage_options.storage_library?")),
            "{v:?}"
        );
    }

    #[test]
    fn too_few_files_for_the_memory_is_invalid() {
        let mut run = unet3d_run();
        run.parameters["dataset"]["num_files_train"] = json!(2000);
        let v = check_run(&run);
        assert_eq!(v.category, Validation::Invalid);
        let i = &v.issues[0];
        assert_eq!(i.parameter.as_deref(), Some("dataset.num_files_train"));
        assert_eq!(i.expected, Some(json!(">= 28000")));
        run.total_memory_bytes = None; // not recorded: skipped, as mlpstorage does
        assert_eq!(category(&run), Validation::Closed);
    }

    #[test]
    fn failed_or_unfinished_runs_are_invalid() {
        let mut run = unet3d_run();
        run.metrics = Some(json!({"metric": {}}));
        run.exit_status = Some(0);
        assert_eq!(category(&run), Validation::Closed);
        run.exit_status = Some(1);
        let v = check_run(&run);
        assert!(
            v.issues
                .iter()
                .any(|i| i.parameter.as_deref() == Some("exit_status") && i.message.contains("status 1")),
            "{v:?}"
        );
        run.exit_status = Some(143);
        assert!(
            check_run(&run)
                .issues
                .iter()
                .any(|i| i.message.contains("signal 15"))
        );
        run.exit_status = None;
        run.metrics = None; // a measured run without summary.json
        assert_eq!(category(&run), Validation::Invalid);
    }

    #[test]
    fn runs_below_the_au_minimum_fail() {
        let mut run = unet3d_run();
        run.metrics = Some(
            json!({"metric": {"train_au_meet_expectation": "success", "train_au_mean_percentage": 93.1}}),
        );
        assert_eq!(category(&run), Validation::Closed);
        run.metrics =
            Some(json!({"metric": {"train_au_meet_expectation": "fail", "train_au_mean_percentage": 41.0}}));
        let v = check_run(&run);
        assert_eq!(v.category, Validation::Invalid);
        assert!(
            v.issues
                .iter()
                .any(|i| i.rule.as_deref() == Some("3.3.2 trainingAcceleratorUtilizationCheck"))
        );
    }

    #[test]
    fn unet3d_must_checkpoint_and_only_unet3d_may_odirect() {
        let mut run = unet3d_run();
        run.parameters["workflow"]["checkpoint"] = json!(false);
        assert_eq!(category(&run), Validation::Invalid);
        let mut run = unet3d_run();
        run.parameters["reader"]["odirect"] = json!(true);
        assert_eq!(category(&run), Validation::Closed);
        run.model = "retinanet".into();
        assert_eq!(category(&run), Validation::Invalid);
        run.model = "bert".into();
        run.parameters["reader"]["odirect"] = json!(false);
        assert_eq!(category(&run), Validation::Invalid);
    }
}
