//! `mlstor mlperf <mode> checkpointing <model> datasize|run|configview`.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use mlstor_mlperf::datasize;
use mlstor_mlperf::edition::{self, LLM_MODELS};
use mlstor_mlperf::rules::{BenchmarkType, Run, Validation, check_run};
use mlstor_mlperf::tree;
use serde_json::{Value, json};

use super::session::{self, Session, gib};
use super::{Access, CheckpointingArgs, Phase, launch};
use crate::GlobalArgs;

pub fn run(g: &GlobalArgs, mode: &str, a: &CheckpointingArgs) -> Result<()> {
    let model = a.model.to_ascii_lowercase().replace('_', "-");
    if !LLM_MODELS.contains(&model.as_str()) {
        bail!(
            "unknown checkpointing model {:?}: one of {}",
            a.model,
            LLM_MODELS.join(", ")
        );
    }
    let c = &a.common;
    let s = Session::new(
        mode,
        BenchmarkType::Checkpointing,
        &model,
        c,
        edition::workload_name(&model, None),
    )?;
    let processes = c.num_accelerators.with_context(|| {
        format!(
            "checkpointing needs --num-processes N (CLOSED: {} for {model})",
            edition::llm(&model).map_or(0, |l| l.closed_processes)
        )
    })?;
    match a.phase {
        Phase::Datasize => datasize_(g, &s, a, processes),
        Phase::Datagen => bail!("checkpointing has no datagen: checkpoints are written by `run`"),
        Phase::Configview | Phase::Run => execute(g, &s, a, processes),
    }
}

fn datasize_(g: &GlobalArgs, s: &Session, a: &CheckpointingArgs, processes: u64) -> Result<()> {
    let c = &a.common;
    let hosts = session::hosts(c, processes)?;
    let slots: Vec<u64> = hosts.iter().map(|h| h.slots).collect();
    let size = datasize::checkpoint(&s.model, processes, &slots).context("no sizes for this model")?;
    if g.json {
        let probe = probe(s, a, processes);
        return crate::commands::print_json(&json!({
            "model": s.model, "processes": processes, "checkpoint": size,
            "hosts": hosts.iter().map(|h| json!({"name": h.name, "slots": h.slots})).collect::<Vec<_>>(),
            "writes": a.num_checkpoints_write, "reads": a.num_checkpoints_read,
            "verdict": check_run(&probe),
        }));
    }
    println!(
        "{}: one checkpoint is {:.1} GiB over {processes} rank(s) ({:.2} GiB on rank 0, {:.2} GiB on the last)",
        s.model,
        size.total_gib,
        size.per_rank_gib.first().copied().unwrap_or(0.0),
        size.per_rank_gib.last().copied().unwrap_or(0.0)
    );
    println!(
        "{} write(s) and {} read(s): {:.1} GiB written, {:.1} GiB read in all",
        a.num_checkpoints_write,
        a.num_checkpoints_read,
        size.total_gib * a.num_checkpoints_write as f64,
        size.total_gib * a.num_checkpoints_read as f64
    );
    if let Some(gb) = c.client_host_memory_in_gb {
        for (h, gib_) in hosts.iter().zip(&size.per_host_gib) {
            let ok = *gib_ > 3.0 * gb;
            println!(
                "  {}: {} rank(s) write {:.1} GiB per checkpoint; 3 x its {gb} GB of memory is {:.1}: {}",
                h.name,
                h.slots,
                gib_,
                3.0 * gb,
                if ok {
                    "the reads cannot come from its page cache (Rules.md 4.3.1)".to_string()
                } else {
                    "too little: run the writes and the reads as two invocations (--num-checkpoints-read 0, then --num-checkpoints-write 0) and clear the page cache between them (Rules.md 4.3.1, 4.7.1)".to_string()
                }
            );
        }
    }
    if let Some(l) = edition::llm(&s.model)
        && let Some(acc) = s.accelerator.as_deref()
        && let Some(per) = edition::accelerator_memory_gb(acc)
    {
        let aggregate = processes * per;
        println!(
            "accelerator memory: {processes} x {acc} ({per} GB) = {aggregate} GB {} the {} GB checkpoint (Rules.md 4.3.4)",
            if aggregate as f64 >= l.checkpoint_gib {
                "holds"
            } else {
                "does NOT hold"
            },
            l.checkpoint_gib
        );
    }
    let probe = probe(s, a, processes);
    let v = check_run(&probe);
    println!("as configured: {}", v.category);
    for i in v.issues.iter().filter(|i| i.validation != Validation::Closed) {
        println!("  {i}");
    }
    let _ = gib;
    Ok(())
}

/// Dotted parameters for display, credential values masked.
fn shown(merged: &BTreeMap<String, Value>) -> Value {
    let mut v = json!(merged);
    super::training::mask_dotted(&mut v);
    v
}

/// The run as configured, for the checks that need no result (rank counts, memory, subset).
fn probe(s: &Session, a: &CheckpointingArgs, processes: u64) -> Run {
    Run {
        benchmark_type: Some(BenchmarkType::Checkpointing),
        model: s.model.clone(),
        command: "run".into(),
        num_processes: processes,
        accelerator: s.accelerator.clone(),
        run_args: json!({"checkpoint_subset": a.checkpoint_subset}),
        ..Run::default()
    }
}

fn execute(g: &GlobalArgs, s: &Session, a: &CheckpointingArgs, processes: u64) -> Result<()> {
    let c = &a.common;
    let hosts = session::hosts(c, processes)?;
    let llm = edition::llm(&s.model).context("no such model")?;
    let object = c.object || a.access == Some(Access::Object);
    let mut tool: BTreeMap<String, Value> = BTreeMap::new();
    let mut env = Vec::new();
    let folder = match (&a.checkpoint_folder, object) {
        (Some(f), _) => f.clone(),
        (None, true) => "checkpoints".into(),
        (None, false) => bail!("checkpointing on a file system needs --checkpoint-folder DIR"),
    };
    if object {
        let vars = super::env_file::read(&c.env_file)?;
        let bucket = vars
            .get("BUCKET")
            .cloned()
            .with_context(|| format!("--object needs BUCKET in {}", c.env_file.display()))?;
        tool.insert("storage.storage_type".into(), json!("s3"));
        tool.insert("storage.storage_root".into(), json!(bucket));
        if let Some(lib) = vars.get("STORAGE_LIBRARY") {
            tool.insert("storage.storage_options.storage_library".into(), json!(lib));
        }
        env.extend(vars);
    }
    tool.insert(
        "checkpoint.checkpoint_folder".into(),
        json!(format!("{}/{}", folder.trim_end_matches('/'), s.model)),
    );
    tool.insert(
        "checkpoint.num_checkpoints_read".into(),
        json!(a.num_checkpoints_read),
    );
    tool.insert(
        "checkpoint.num_checkpoints_write".into(),
        json!(a.num_checkpoints_write),
    );
    if processes < llm.closed_processes && c.workload.is_none() {
        tool.insert("checkpoint.mode".into(), json!("subset"));
        tool.insert(
            "model.parallelism.data".into(),
            json!(llm.closed_processes / llm.tp_x_pp),
        );
    }
    let mut merged = tool;
    merged.extend(s.params.clone());
    let parameters = s.parameters(&merged)?;
    let datetime = session::datetime_after(None);
    let location = s.location(c, None, &datetime)?;
    let mut dir = location.path()?;
    let mut run = Run {
        benchmark_type: Some(BenchmarkType::Checkpointing),
        model: s.model.clone(),
        command: "run".into(),
        run_datetime: datetime.clone(),
        num_processes: processes,
        parameters: parameters.clone(),
        override_parameters: merged.clone(),
        accelerator: s.accelerator.clone(),
        total_memory_bytes: None,
        num_hosts: Some(hosts.len() as u64),
        run_args: json!({
            "mode": s.mode, "model": s.model, "workload": s.workload, "accelerator_type": s.accelerator,
            "num_processes": processes, "checkpoint_folder": folder, "checkpoint_subset": a.checkpoint_subset,
            "num_checkpoints_read": a.num_checkpoints_read, "num_checkpoints_write": a.num_checkpoints_write,
            "client_host_memory_in_gb": c.client_host_memory_in_gb, "hosts": c.hosts, "params": c.params,
            "orgname": location.orgname, "systemname": location.systemname,
            "tool": "mlstor", "tool_version": env!("CARGO_PKG_VERSION"), "rules_edition": edition::EDITION,
        }),
        metrics: None,
        dir: Some(dir.clone()),
        exit_status: None,
    };
    // Fail fast on what no run could fix (Rules.md 4.6.1, 4.3.4, 4.3.5), as mlpstorage does.
    let pre = mlstor_mlperf::rules::check_config(&run);
    let fatal: Vec<_> = pre
        .issues
        .iter()
        .filter(|i| i.validation == Validation::Invalid)
        .collect();
    if !fatal.is_empty() && s.mode != "whatif" {
        let list: Vec<String> = fatal.iter().map(|i| format!("  {i}")).collect();
        bail!("this checkpointing run would be INVALID:\n{}", list.join("\n"));
    }
    if pre.category == Validation::Open && s.mode == "closed" {
        let list: Vec<String> = pre
            .issues
            .iter()
            .filter(|i| i.validation == Validation::Open)
            .map(|i| format!("  {i}"))
            .collect();
        bail!(
            "this is not a CLOSED configuration (run it with `open`):\n{}",
            list.join("\n")
        );
    }
    let overrides: Vec<String> = merged
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        .collect();
    if a.phase == Phase::Configview {
        let w = mlstor_bench::config::load_with_process_env(&s.workload, &overrides)
            .with_context(|| format!("workload {}", s.workload))?;
        if g.json {
            let v = serde_json::to_value(mlstor_bench::config::resolved_value(&w))?;
            return crate::commands::print_json(
                &json!({"workload": s.workload, "config": v, "parameters": shown(&merged)}),
            );
        }
        print!("{}", mlstor_bench::config::resolved_yaml(&w));
        return Ok(());
    }
    let env_keys: Vec<String> = env.iter().map(|(k, _)| k.clone()).collect();
    let command_for = |dir: &std::path::Path| {
        let args = launch::global_args(g)
            .into_iter()
            .chain(["run".into(), s.workload.clone()])
            .chain(overrides.iter().flat_map(|o| ["--set".to_string(), o.clone()]))
            .chain(["--results-dir".into(), dir.display().to_string()])
            .collect();
        launch::command_line(c, &hosts, processes, args, &env_keys)
    };
    if c.dry_run && g.json {
        return crate::commands::print_json(
            &json!({"command": launch::shell_words(&command_for(&dir)?), "results": dir, "parameters": shown(&merged)}),
        );
    }
    if c.dry_run {
        println!("{}", launch::shell_words(&command_for(&dir)?));
        println!("results: {}", dir.display());
        return Ok(());
    }
    // The run folder is claimed now: another run may have taken this second.
    let (location, claimed) = s.claim(c, None, None)?;
    dir = claimed;
    run.run_datetime = location.datetime.clone();
    run.dir = Some(dir.clone());
    let command = command_for(&dir)?;
    let datetime = location.datetime.clone();
    let child = launch::run(&dir, "checkpointing_run", &command, &env, g.json)?;
    let summary = launch::read_summary(&dir);
    launch::write_cluster_info(
        &dir,
        BenchmarkType::Checkpointing,
        summary.as_ref(),
        c.client_host_memory_in_gb,
        &hosts,
    )?;
    run.total_memory_bytes = summary
        .as_ref()
        .and_then(mlstor_mlperf::tree::summary_memory)
        .or_else(|| {
            c.client_host_memory_in_gb
                .map(|g| g * 1024.0 * 1024.0 * 1024.0 * hosts.len() as f64)
        });
    run.metrics = summary;
    run.exit_status = child.exit_code.map(i64::from);
    let verdict = check_run(&run);
    let mut extra = child.metadata(Some(&verdict));
    extra.insert("invocation_start_time".into(), json!(datetime));
    extra.insert(
        "tool_injected_parameters".into(),
        json!(super::training::tool_injected(s, &merged)),
    );
    let (k, v) = launch::write_provenance(&dir, &run.parameters, BenchmarkType::Checkpointing)?;
    extra.insert(k, v);
    let name = tree::metadata_name(BenchmarkType::Checkpointing, &datetime);
    tree::write_json(
        &dir,
        &name,
        &tree::metadata(&session::masked(&run), &location, extra),
    )?;
    launch::print_verdict(&verdict);
    eprintln!("recorded: {}", dir.display());
    if g.json && child.success {
        return crate::commands::print_json(
            &json!({"results": dir, "verification": verdict.category.to_string(), "exit_status": child.exit_code, "seconds": child.seconds}),
        );
    }
    if crate::signals::interrupted() {
        bail!(
            "checkpointing interrupted; what it wrote is recorded in {}",
            dir.display()
        );
    }
    if !child.success {
        bail!(
            "checkpointing failed ({}); its output is in {}",
            child
                .exit_code
                .map_or("killed".to_string(), |c| format!("exit {c}")),
            child.stderr.display()
        );
    }
    Ok(())
}
