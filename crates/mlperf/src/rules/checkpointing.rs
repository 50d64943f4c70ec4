//! The checks of one checkpointing run (mlpstorage's `CheckpointingRunRulesChecker`, plus
//! the checkpoint parameters of Rules.md 4.6 and the data-to-memory ratio of 4.3.1).

use serde_json::Value;

use super::{BenchmarkType, Issue, Run, Validation};
use crate::datasize::as_u64;
use crate::edition::{
    self, CHECKPOINT_CLOSED_PARAMS, CHECKPOINT_OPEN_PARAMS, CHECKPOINT_TOOL_PARAMS, LLM_MODELS,
    SUBSET_PROCESSES,
};

/// mlpstorage's checks in its order, then mlstor's additions.
pub fn check(run: &Run) -> Vec<Issue> {
    let mut issues = Vec::new();
    issues.extend(benchmark_type(run));
    issues.extend(model(run));
    issues.extend(num_processes(run));
    issues.extend(accelerator_memory(run));
    issues.extend(subset_mode(run));
    issues.extend(allowed_params(run));
    issues.extend(data_to_memory(run));
    issues
}

fn benchmark_type(run: &Run) -> Option<Issue> {
    (run.benchmark_type != Some(BenchmarkType::Checkpointing)).then(|| {
        Issue::new(Validation::Invalid, "not a checkpointing run")
            .parameter("benchmark_type")
            .expected("checkpointing")
            .actual(run.benchmark_type.map_or("unknown", |b| b.as_str()))
    })
}

fn model(run: &Run) -> Option<Issue> {
    (!LLM_MODELS.contains(&run.model.as_str())).then(|| {
        Issue::new(Validation::Invalid, "invalid model for checkpointing benchmark")
            .parameter("model")
            .expected(LLM_MODELS.to_vec())
            .actual(run.model.clone())
            .rule("4.3.3 checkpointModelConfigurationReq")
            .fix("run llama3-8b, llama3-70b, llama3-405b or llama3-1t")
    })
}

/// Rules.md 4.6.1 / 4.6.4: exactly Table 2's processes for CLOSED, a multiple of TP x PP
/// for OPEN.
fn num_processes(run: &Run) -> Option<Issue> {
    let llm = edition::llm(&run.model)?;
    let n = run.num_processes;
    if n == llm.closed_processes {
        return None;
    }
    if n > 0 && n.is_multiple_of(llm.tp_x_pp) {
        return Some(
            Issue::new(
                Validation::Open,
                format!(
                    "num_processes={n} is not a valid CLOSED configuration for {}: exactly {} processes are required (no subset form exists for this model); it is a multiple of TP*PP ({}), so it qualifies for OPEN only",
                    run.model, llm.closed_processes, llm.tp_x_pp
                ),
            )
            .parameter("num_processes")
            .expected(llm.closed_processes)
            .actual(n)
            .rule("4.6.1 checkpointClosedMpiProcesses / 4.6.4 checkpointOpenSubmissionScaling")
            .fix(format!("run with {} processes for CLOSED, or submit in OPEN", llm.closed_processes)),
        );
    }
    Some(
        Issue::new(
            Validation::Invalid,
            format!(
                "num_processes={n} is not a valid checkpointing configuration for {}: CLOSED needs exactly {} processes, OPEN a positive multiple of TP*PP ({})",
                run.model, llm.closed_processes, llm.tp_x_pp
            ),
        )
        .parameter("num_processes")
        .expected(format!("{} (CLOSED); positive multiple of {} (OPEN)", llm.closed_processes, llm.tp_x_pp))
        .actual(n)
        .rule("4.6.1 checkpointClosedMpiProcesses / 4.6.4 checkpointOpenSubmissionScaling")
        .fix("choose hosts x ranks per host that lands on one of these values"),
    )
}

/// Rules.md 4.3.4: the accelerators' memory holds the checkpoint.
fn accelerator_memory(run: &Run) -> Option<Issue> {
    let accelerator = run.accelerator.as_deref()?;
    let llm = edition::llm(&run.model)?;
    let rule = "4.3.4 checkpointAggregateAcceleratorMemory";
    let Some(per) = edition::accelerator_memory_gb(accelerator) else {
        return Some(
            Issue::new(
                Validation::Invalid,
                format!("accelerator_type={accelerator:?} has no entry in the accelerator memory table"),
            )
            .parameter("accelerator_type")
            .expected(edition::ACCELERATORS.iter().map(|a| a.0).collect::<Vec<_>>())
            .actual(accelerator)
            .rule(rule),
        );
    };
    let aggregate = run.num_processes * per;
    ((aggregate as f64) < llm.checkpoint_gib).then(|| {
        Issue::new(
            Validation::Invalid,
            format!(
                "aggregate simulated accelerator memory {aggregate} GB ({} x {accelerator} at {per} GB) is below the {} checkpoint size of {} GB",
                run.num_processes, run.model, llm.checkpoint_gib
            ),
        )
        .parameter("accelerator_type")
        .expected(format!(">= {} GB aggregate", llm.checkpoint_gib))
        .actual(format!("{aggregate} GB"))
        .rule(rule)
        .fix("increase the process count or choose an accelerator with more memory")
    })
}

/// Rules.md 4.3.5: a subset run is llama3-8b on exactly 8 processes.
fn subset_mode(run: &Run) -> Option<Issue> {
    if !run.run_args.get("checkpoint_subset").is_some_and(truthy) {
        return None;
    }
    let rule = "4.3.5 checkpointSubsetRunValidation";
    if run.model != "llama3-8b" {
        return Some(
            Issue::new(
                Validation::Invalid,
                format!(
                    "--checkpoint-subset is defined only for llama3-8b, not {}",
                    run.model
                ),
            )
            .parameter("checkpoint_subset")
            .expected("llama3-8b")
            .actual(run.model.clone())
            .rule(rule)
            .fix(format!("run {} at its full process count", run.model)),
        );
    }
    (run.num_processes != SUBSET_PROCESSES).then(|| {
        Issue::new(
            Validation::Invalid,
            format!(
                "--checkpoint-subset requires exactly {SUBSET_PROCESSES} processes, got {}",
                run.num_processes
            ),
        )
        .parameter("num_processes")
        .expected(SUBSET_PROCESSES)
        .actual(run.num_processes)
        .rule(rule)
    })
}

/// Rules.md 4.6.3 and 4.6's Table 3: CLOSED may change the checkpoint folder (and run the
/// writes and reads as two invocations of 10 and 0); OPEN also the checkpoint counts.
fn allowed_params(run: &Run) -> Vec<Issue> {
    let mut issues = Vec::new();
    for (param, value) in &run.override_parameters {
        let value = &super::shown_value(param, value);
        let p = param.as_str();
        let issue = if CHECKPOINT_TOOL_PARAMS.contains(&p) || CHECKPOINT_CLOSED_PARAMS.contains(&p) {
            Issue::new(
                Validation::Closed,
                format!("parameter set: {param} = {}", show(value)),
            )
            .parameter("Overrode Parameters")
        } else if CHECKPOINT_OPEN_PARAMS.contains(&p) {
            let n = as_u64(value);
            if n == edition::CHECKPOINTS_WRITE || n == 0 {
                Issue::new(Validation::Closed, format!("parameter set: {param} = {n}"))
                    .parameter("Overrode Parameters")
            } else {
                Issue::new(
                    Validation::Open,
                    format!(
                        "{param} = {n}: CLOSED allows only 10 (or 0 in the two-invocation failover workflow)"
                    ),
                )
                .parameter(param.clone())
                .expected("10 or 0")
                .actual(n)
                .rule("4.6 Table 3 / 4.7.1")
                .fix("use 10 for CLOSED, or submit in OPEN")
            }
        } else {
            Issue::new(
                Validation::Invalid,
                format!("disallowed parameter override: {param} = {}", show(value)),
            )
            .parameter("Overrode Parameters")
            .expected("None")
            .actual(value.clone())
            .rule("4.6.3 checkpointClosedCheckpointParameters")
            .fix(format!("drop `{param}`"))
        };
        issues.push(issue);
    }
    issues
}

/// Rules.md 4.3.1: a node writes more than 3 x its memory, or the page cache would serve
/// the reads; runs that write and read in one invocation must meet it.
fn data_to_memory(run: &Run) -> Option<Issue> {
    let memory = run.total_memory_bytes?;
    let hosts = run.num_hosts.unwrap_or(1).max(1) as f64;
    let ck = run.block("checkpoint");
    let writes = ck.get("num_checkpoints_write").map_or(0, as_u64);
    let reads = ck.get("num_checkpoints_read").map_or(0, as_u64);
    if writes == 0 || reads == 0 {
        return None; // separate invocations: the cache is the submitter's to clear between them
    }
    let gb = run
        .metrics
        .as_ref()?
        .get("metric")?
        .get("checkpoint_size_GB")?
        .as_f64()?;
    let per_node = gb * f64::from(1u32 << 30) / hosts;
    let per_node_memory = memory / hosts;
    (per_node <= 3.0 * per_node_memory).then(|| {
        Issue::new(
            Validation::Invalid,
            format!(
                "each node wrote {:.1} GiB of checkpoint, not more than 3 x its {:.1} GiB of memory, and read it back in the same invocation",
                per_node / f64::from(1u32 << 30),
                per_node_memory / f64::from(1u32 << 30)
            ),
        )
        .parameter("checkpoint.num_checkpoints_read")
        .rule("4.3.1 checkpointDataSizeRatio")
        .fix("run the writes (--num-checkpoints-read 0) and the reads (--num-checkpoints-write 0) as two invocations and clear the page cache between them")
    })
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Null => false,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

fn show(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::check_run;
    use serde_json::json;

    fn run(model: &str, n: u64) -> Run {
        Run {
            benchmark_type: Some(BenchmarkType::Checkpointing),
            model: model.into(),
            command: "run".into(),
            num_processes: n,
            accelerator: Some("b200".into()),
            parameters: json!({"checkpoint": {"num_checkpoints_write": 10, "num_checkpoints_read": 10}}),
            run_args: json!({}),
            metrics: Some(json!({"metric": {}})),
            ..Run::default()
        }
    }

    #[test]
    fn rank_counts() {
        let cat = |m: &str, n| check_run(&run(m, n)).category;
        assert_eq!(cat("llama3-8b", 8), Validation::Closed);
        assert_eq!(cat("llama3-70b", 64), Validation::Closed);
        assert_eq!(cat("llama3-405b", 512), Validation::Closed);
        assert_eq!(cat("llama3-1t", 1024), Validation::Closed);
        assert_eq!(cat("llama3-70b", 16), Validation::Open);
        assert_eq!(cat("llama3-70b", 12), Validation::Invalid);
        assert_eq!(cat("llama3-405b", 8), Validation::Invalid);
        assert_eq!(cat("llama3-8b", 16), Validation::Open);
        assert_eq!(cat("llama3-3b", 8), Validation::Invalid);
    }

    #[test]
    fn accelerator_memory_must_hold_the_checkpoint() {
        // 70b on 8 x b200 is OPEN by count but 8 x 180 GB = 1440 >= 912: fine; on 8 x h100
        // 640 < 912: INVALID.
        assert_eq!(check_run(&run("llama3-70b", 8)).category, Validation::Open);
        let mut r = run("llama3-70b", 8);
        r.accelerator = Some("h100".into());
        let v = check_run(&r);
        assert_eq!(v.category, Validation::Invalid);
        assert!(
            v.issues
                .iter()
                .any(|i| i.rule.as_deref() == Some("4.3.4 checkpointAggregateAcceleratorMemory"))
        );
        r.accelerator = Some("tpu".into());
        assert_eq!(check_run(&r).category, Validation::Invalid);
    }

    #[test]
    fn subset_only_for_8b_on_8() {
        let mut r = run("llama3-8b", 8);
        r.run_args = json!({"checkpoint_subset": true});
        assert_eq!(check_run(&r).category, Validation::Closed);
        let mut r = run("llama3-70b", 64);
        r.run_args = json!({"checkpoint_subset": true});
        assert_eq!(check_run(&r).category, Validation::Invalid);
    }

    #[test]
    fn checkpoint_overrides() {
        let mut r = run("llama3-8b", 8);
        r.override_parameters
            .insert("checkpoint.checkpoint_folder".into(), json!("/mnt/ck"));
        r.override_parameters
            .insert("checkpoint.num_checkpoints_read".into(), json!(0));
        assert_eq!(check_run(&r).category, Validation::Closed);
        r.override_parameters
            .insert("checkpoint.num_checkpoints_write".into(), json!(3));
        assert_eq!(check_run(&r).category, Validation::Open);
        r.override_parameters.insert("model.num_layers".into(), json!(3));
        assert_eq!(check_run(&r).category, Validation::Invalid);
    }

    #[test]
    fn writes_read_back_from_memory_are_invalid() {
        let mut r = run("llama3-8b", 8);
        r.total_memory_bytes = Some(64.0 * f64::from(1u32 << 30));
        r.metrics = Some(json!({"metric": {"checkpoint_size_GB": 105.0}}));
        assert_eq!(check_run(&r).category, Validation::Invalid); // 105 <= 3 x 64
        r.metrics = Some(json!({"metric": {"checkpoint_size_GB": 200.0}}));
        assert_eq!(check_run(&r).category, Validation::Closed);
        r.parameters["checkpoint"]["num_checkpoints_read"] = json!(0);
        r.metrics = Some(json!({"metric": {"checkpoint_size_GB": 105.0}}));
        assert_eq!(check_run(&r).category, Validation::Closed);
    }
}
