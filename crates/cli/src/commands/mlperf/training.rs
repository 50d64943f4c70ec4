//! `mlstor mlperf <mode> training <model> datasize|datagen|run|configview`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use mlstor_mlperf::datasize::{self, DictatedBy, Inputs};
use mlstor_mlperf::edition;
use mlstor_mlperf::rules::{BenchmarkType, Run, check_run};
use mlstor_mlperf::tree::{self, Location};
use serde_json::{Map, Value, json};

use super::session::{self, Session, gib};
use super::{Access, CommonArgs, Phase, TrainingArgs, launch};
use crate::GlobalArgs;

pub fn run(g: &GlobalArgs, mode: &str, a: &TrainingArgs) -> Result<()> {
    session::training_model(mode, &a.model)?;
    let c = &a.common;
    let accelerator = c.accelerator_type.as_deref().map(str::to_ascii_lowercase);
    let workload = match (&accelerator, a.phase) {
        (Some(acc), _) => edition::workload_name(&a.model, Some(acc)),
        (None, Phase::Datagen) => ["b200", "mi355", "h100", "a100"]
            .iter()
            .map(|acc| edition::workload_name(&a.model, Some(acc)))
            .find(|w| mlstor_bench::workloads::shipped(w).is_some())
            .unwrap_or_else(|| format!("{}_datagen", a.model)),
        (None, _) if c.workload.is_some() => String::new(),
        (None, p) => bail!(
            "{} needs --accelerator-type (b200 or mi355; what-if also h100, a100)",
            p.as_str()
        ),
    };
    let s = Session::new(mode, BenchmarkType::Training, &a.model, c, workload)?;
    let object = c.object || a.access == Some(Access::Object);
    match a.phase {
        Phase::Datasize => datasize(g, &s, c),
        Phase::Configview => configview(g, &s, c, object),
        Phase::Datagen | Phase::Run => execute(g, &s, c, a.phase, object),
    }
}

fn datasize(g: &GlobalArgs, s: &Session, c: &CommonArgs) -> Result<()> {
    let processes = c
        .num_accelerators
        .context("datasize needs --num-accelerators N (the most accelerators you will run)")?;
    let hosts = session::hosts(c, processes)?;
    let mem = session::memory(&s.mode, c, &hosts, true)?;
    let mut params = s.parameters(&s.params)?;
    let dataset = params.get("dataset").cloned().unwrap_or(Value::Null);
    let reader = params.get("reader").cloned().unwrap_or(Value::Null);
    let record_length = datasize::record_length(&dataset);
    if record_length <= 0.0 {
        eprintln!(
            "warning: the workload gives no record length; sizing by the 500-step rule only (as mlpstorage does)"
        );
    }
    let d = datasize::training(&Inputs {
        total_memory_bytes: mem.used_bytes,
        processes,
        batch_size: reader.get("batch_size").map_or(1, datasize::as_u64).max(1),
        samples_per_file: dataset
            .get("num_samples_per_file")
            .map_or(1, datasize::as_u64)
            .max(1),
        record_length,
    });
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        match d.dictated_by {
            DictatedBy::Memory => "Minimum file count dictated by dataset size to memory size ratio.",
            DictatedBy::Steps =>
                "Minimum file count dictated by 500 step requirement of given accelerator count and batch size.",
        }
    );
    let _ = writeln!(out, "Number of training files: {}", d.num_files_train);
    let subfolders = s
        .params
        .get("dataset.num_subfolders_train")
        .map_or(d.num_subfolders_train, datasize::as_u64);
    let _ = writeln!(out, "Number of training subfolders: {subfolders}");
    let _ = writeln!(
        out,
        "Total disk space required for training: {:.2}GiB",
        gib(d.total_disk_bytes as f64)
    );
    let _ = writeln!(
        out,
        "Sized for {} accelerator(s) on {} host(s) with {:.1} GiB of memory in all ({}).",
        processes,
        mem.hosts,
        gib(mem.used_bytes),
        if mem.used_bytes > mem.declared_bytes {
            "measured"
        } else {
            "declared"
        }
    );
    let sub = datasize::advised_subfolders(d.num_files_train);
    if sub > 0 {
        let _ = writeln!(
            out,
            "{} files in one folder is slow to list on most file systems: consider --params dataset.num_subfolders_train={sub} (Rules.md 3.3.1: the run must then use the same)",
            d.num_files_train
        );
    }
    let mut next = vec![
        "mlstor".to_string(),
        "mlperf".into(),
        s.mode.clone(),
        "training".into(),
        s.model.clone(),
        "datagen".into(),
        "--num-accelerators".into(),
        processes.to_string(),
        "--data-dir".into(),
        c.data_dir.clone().unwrap_or_else(|| "DATA_DIR".into()),
        "--results-dir".into(),
        s.results_dir.display().to_string(),
    ];
    if let Some(w) = &c.workload {
        next.extend(["--workload".into(), w.clone()]);
    }
    if !c.hosts.is_empty() {
        next.push("--hosts".into());
        next.extend(c.hosts.iter().cloned());
    }
    if !c.params.is_empty() {
        next.push("--params".into());
        next.extend(c.params.iter().cloned());
    }
    let _ = writeln!(out, "Generate it with:\n  {}", launch::shell_words(&next));
    if !g.json {
        print!("{out}");
    }

    let mut written = s.params.clone();
    written.insert("dataset.num_files_train".into(), json!(d.num_files_train));
    // The user's subfolder count stands (the run must use the same, Rules.md 3.3.1).
    written
        .entry("dataset.num_subfolders_train".into())
        .or_insert(json!(d.num_subfolders_train));
    written.insert("dataset.total_disk_bytes".into(), json!(d.total_disk_bytes));
    for (k, v) in &written {
        session::set_dotted(&mut params, k, v.clone());
    }
    let json_out = |recorded: Option<&std::path::Path>| {
        crate::commands::print_json(&json!({
            "datasize": d, "subfolders_advised": sub, "accelerators": processes, "hosts": mem.hosts,
            "memory_bytes": mem.used_bytes, "declared_memory_bytes": mem.declared_bytes,
            "measured_memory_bytes": mem.measured_bytes, "datagen_command": launch::shell_words(&next),
            "recorded": recorded,
        }))
    };
    if let Err(e) = s.location(c, Some("datasize"), "00000000_000000") {
        eprintln!(
            "note: this datasize is not recorded ({e:#}); Rules.md 3.1.1 needs it recorded in the results tree"
        );
        return if g.json { json_out(None) } else { Ok(()) };
    }
    let (location, dir) = s.claim(c, Some("datasize"), None)?;
    let datetime = location.datetime.clone();
    let run = Run {
        benchmark_type: Some(BenchmarkType::Training),
        model: s.model.clone(),
        command: "datasize".into(),
        run_datetime: datetime.clone(),
        num_processes: processes,
        parameters: params,
        override_parameters: written,
        accelerator: s.accelerator.clone(),
        total_memory_bytes: Some(mem.used_bytes),
        num_hosts: Some(mem.hosts),
        run_args: args_json(s, c, &location, Some(processes)),
        metrics: None,
        dir: Some(dir.clone()),
        exit_status: Some(0),
    };
    std::fs::write(dir.join("training_datasize.stdout.log"), &out)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let mut extra = Map::new();
    extra.insert("system_info".into(), system_info(&mem));
    write_metadata(&run, &location, extra)?;
    if g.json {
        return json_out(Some(&dir));
    }
    eprintln!("recorded: {}", dir.display());
    Ok(())
}

fn system_info(mem: &session::Memory) -> Value {
    json!({
        "total_memory_bytes": mem.used_bytes as u64,
        "num_hosts": mem.hosts,
        "declared_memory_bytes": mem.declared_bytes as u64,
        "measured_memory_bytes": mem.measured_bytes.map(|m| m as u64),
        "collection_method": if mem.used_bytes > mem.declared_bytes { "measured" } else { "args" },
    })
}

/// The `args` block of the metadata (Rules.md 3.3.1 names model, accelerator_type,
/// max_accelerators, client_host_memory_in_gb and data_dir).
fn args_json(s: &Session, c: &CommonArgs, l: &Location, processes: Option<u64>) -> Value {
    json!({
        "mode": s.mode, "model": s.model, "command": l.command, "workload": s.workload,
        "accelerator_type": s.accelerator, "max_accelerators": processes, "num_accelerators": processes,
        "client_host_memory_in_gb": c.client_host_memory_in_gb, "num_client_hosts": c.num_client_hosts,
        "hosts": c.hosts, "data_dir": c.data_dir, "results_dir": s.results_dir, "orgname": l.orgname,
        "systemname": l.systemname, "params": c.params, "object": c.object, "loops": c.loops,
        "tool": "mlstor", "tool_version": env!("CARGO_PKG_VERSION"), "rules_edition": edition::EDITION,
    })
}

/// Writes the run's `provenance.json` and `*_metadata.json`.
fn write_metadata(run: &Run, l: &Location, mut extra: Map<String, Value>) -> Result<()> {
    let dir = l.path()?;
    let (k, v) = launch::write_provenance(&dir, &run.parameters, l.benchmark_type)?;
    extra.insert(k, v);
    let name = tree::metadata_name(l.benchmark_type, &l.datetime);
    tree::write_json(&dir, &name, &tree::metadata(&session::masked(run), l, extra))?;
    Ok(())
}

/// Dotted parameters, and the environment a child gets (from the .env file).
type ParamsAndEnv = (BTreeMap<String, Value>, Vec<(String, String)>);

/// The parameters the tool sets (mlpstorage's tool-injected ones) for a datagen or run.
fn tool_params(s: &Session, c: &CommonArgs, phase: Phase, object: bool) -> Result<ParamsAndEnv> {
    let mut p = BTreeMap::new();
    let mut env = Vec::new();
    if object {
        let vars = super::env_file::read(&c.env_file)?;
        let bucket = vars
            .get("BUCKET")
            .or(std::env::var("BUCKET").ok().as_ref())
            .cloned()
            .with_context(|| {
                format!(
                    "--object needs BUCKET in {} (the bucket the dataset goes to)",
                    c.env_file.display()
                )
            })?;
        p.insert("storage.storage_type".into(), json!("s3"));
        p.insert("storage.storage_root".into(), json!(bucket));
        if let Some(lib) = vars.get("STORAGE_LIBRARY") {
            p.insert("storage.storage_options.storage_library".into(), json!(lib));
        }
        env.extend(vars);
        if let Some(d) = &c.data_dir {
            p.insert("dataset.data_folder".into(), json!(data_folder(d, &s.model)));
        }
    } else {
        let d = c.data_dir.as_deref().with_context(|| {
            format!(
                "{} on a file system needs --data-dir DIR (the dataset goes to DIR/{})",
                phase.as_str(),
                s.model
            )
        })?;
        p.insert("dataset.data_folder".into(), json!(data_folder(d, &s.model)));
    }
    Ok((p, env))
}

/// `<data-dir>/<model>`, unless the folder already ends with a model's name.
fn data_folder(dir: &str, model: &str) -> String {
    let trimmed = dir.trim_end_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
    if edition::TRAINING_MODELS.contains(&last) {
        trimmed.to_string()
    } else {
        format!("{trimmed}/{model}")
    }
}

/// The newest datasize run recorded for this system and model, if any.
fn recorded_datasize(l: &Location) -> Option<(u64, u64, String)> {
    let mut at = l.clone();
    at.command = Some("datasize".into());
    let dir = at.path().ok()?.parent()?.to_path_buf();
    let mut runs: Vec<_> = std::fs::read_dir(&dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    runs.sort();
    for r in runs.iter().rev() {
        let Ok((found, _)) = tree::find_runs(r) else {
            continue;
        };
        if let Some(run) = found.into_iter().next() {
            let d = run.block("dataset");
            let files = d.get("num_files_train").map(datasize::as_u64)?;
            let sub = d.get("num_subfolders_train").map_or(0, datasize::as_u64);
            return Some((files, sub, run.run_datetime));
        }
    }
    None
}

/// Masks the values of a map of dotted keys whose last part names a credential.
pub(super) fn mask_dotted(v: &mut Value) {
    if let Value::Object(m) = v {
        for (k, val) in m.iter_mut() {
            *val = mlstor_mlperf::rules::shown_value(k, val);
        }
    }
}

/// Refuses a CLOSED or OPEN run that no result could accept, before it starts (as
/// mlpstorage's parse-time gate does): a parameter the division does not let change, an OPEN
/// parameter in a CLOSED run. What-if runs may change anything.
fn refuse_before_start(
    s: &Session,
    processes: u64,
    parameters: &Value,
    overrides: &BTreeMap<String, Value>,
) -> Result<()> {
    let probe = Run {
        benchmark_type: Some(BenchmarkType::Training),
        model: s.model.clone(),
        command: "run".into(),
        num_processes: processes,
        parameters: parameters.clone(),
        override_parameters: overrides.clone(),
        accelerator: s.accelerator.clone(),
        ..Run::default()
    };
    let v = mlstor_mlperf::rules::check_config(&probe);
    let worst = |at: mlstor_mlperf::rules::Validation| -> Vec<String> {
        v.issues
            .iter()
            .filter(|i| i.validation == at)
            .map(|i| format!("  {i}"))
            .collect()
    };
    let invalid = worst(mlstor_mlperf::rules::Validation::Invalid);
    if !invalid.is_empty() {
        bail!(
            "this {} run would be INVALID (what-if runs may change anything):\n{}",
            s.mode,
            invalid.join("\n")
        );
    }
    let open = worst(mlstor_mlperf::rules::Validation::Open);
    if s.mode == "closed" && !open.is_empty() {
        bail!(
            "this is not a CLOSED configuration (run it with `open`):\n{}",
            open.join("\n")
        );
    }
    Ok(())
}

/// The parameters the tool set (not the user's `--params`): reported, never counted as overrides.
pub(super) fn tool_injected(s: &Session, overrides: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
    overrides
        .iter()
        .filter(|(k, _)| !s.params.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn listing_interval(files: u64) -> u64 {
    match files {
        0..10_000 => 1,
        10_000..100_000 => 10,
        100_000..1_000_000 => 100,
        1_000_000..10_000_000 => 1000,
        _ => 10_000,
    }
}

fn as_arg(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

fn configview(g: &GlobalArgs, s: &Session, c: &CommonArgs, object: bool) -> Result<()> {
    let (tool, _) = tool_params(s, c, Phase::Configview, object).unwrap_or_default();
    let mut all = tool;
    all.extend(s.params.clone());
    let overrides: Vec<String> = all.iter().map(|(k, v)| format!("{k}={}", as_arg(v))).collect();
    let w = mlstor_bench::config::load_with_process_env(&s.workload, &overrides)
        .with_context(|| format!("workload {}", s.workload))?;
    if g.json {
        let v = serde_json::to_value(mlstor_bench::config::resolved_value(&w))?;
        return crate::commands::print_json(&json!({"workload": s.workload, "config": v, "parameters": all}));
    }
    print!("{}", mlstor_bench::config::resolved_yaml(&w));
    for (k, v) in &all {
        let who = if s.params.contains_key(k) {
            "--params"
        } else {
            "tool"
        };
        eprintln!(
            "{}",
            mlstor_bench::config::mask_override(&format!("{who}: {k}={}", as_arg(v)))
        );
    }
    Ok(())
}

fn execute(g: &GlobalArgs, s: &Session, c: &CommonArgs, phase: Phase, object: bool) -> Result<()> {
    let processes = match phase {
        Phase::Run => c
            .num_accelerators
            .context("run needs --num-accelerators N (simulated accelerators over all hosts)")?,
        _ => c.num_accelerators.unwrap_or(1).max(1),
    };
    let hosts = session::hosts(c, processes)?;
    let mem = match phase {
        Phase::Run => Some(session::memory(&s.mode, c, &hosts, false)?),
        _ => None,
    };
    let (mut merged, env) = tool_params(s, c, phase, object)?;
    let probe = s.location(c, Some(phase.as_str()), "00000000_000000")?;
    if !s.params.contains_key("dataset.num_files_train") {
        match recorded_datasize(&probe) {
            Some((files, sub, at)) => {
                eprintln!("using the datasize recorded at {at}: {files} file(s), {sub} subfolder(s)");
                merged.insert("dataset.num_files_train".into(), json!(files));
                if !s.params.contains_key("dataset.num_subfolders_train") {
                    merged.insert("dataset.num_subfolders_train".into(), json!(sub));
                }
            }
            None => eprintln!(
                "warning: no datasize run recorded for {} under {}; the workload's num_files_train is used (Rules.md 3.1.1 wants `datasize` first)",
                s.model,
                s.results_dir.display()
            ),
        }
    }
    if phase == Phase::Run {
        let files = s
            .parameters(&merged)?
            .get("dataset")
            .and_then(|d| d.get("num_files_train"))
            .map_or(0, datasize::as_u64);
        merged.insert("dataset.skip_listing".into(), json!(true));
        merged.insert(
            "dataset.listing_validation_interval".into(),
            json!(listing_interval(files)),
        );
    }
    let tool_keys: Vec<String> = merged.keys().cloned().collect();
    merged.extend(s.params.clone()); // the user's win
    let parameters = s.parameters(&merged)?;
    if phase == Phase::Run && s.mode != "whatif" {
        refuse_before_start(s, processes, &parameters, &merged)?;
    }
    let loops = if phase == Phase::Run { c.loops.max(1) } else { 1 };
    let mut last: Option<String> = None;
    let mut done = Vec::new();
    for i in 0..loops {
        let (location, dir) = if c.dry_run {
            let l = s.location(c, Some(phase.as_str()), &session::datetime_after(None))?;
            let d = l.path()?;
            (l, d)
        } else {
            s.claim(c, Some(phase.as_str()), last.as_deref())?
        };
        last = Some(location.datetime.clone());
        let mut args = launch::global_args(g);
        args.push(match phase {
            Phase::Run => "run".into(),
            _ => "generate".into(),
        });
        args.push(s.workload.clone());
        for (k, v) in &merged {
            args.extend(["--set".into(), format!("{k}={}", as_arg(v))]);
        }
        if phase == Phase::Run {
            args.extend(["--results-dir".into(), dir.display().to_string()]);
        }
        let env_keys: Vec<String> = env.iter().map(|(k, _)| k.clone()).collect();
        let command = launch::command_line(c, &hosts, processes, args, &env_keys)?;
        if c.dry_run && g.json {
            let mut shown = json!(merged);
            mask_dotted(&mut shown);
            done.push(json!({"command": launch::shell_words(&command), "results": dir, "parameters": shown}));
            continue;
        }
        if c.dry_run {
            println!("{}", launch::shell_words(&command));
            println!("results: {}", dir.display());
            for (k, v) in &merged {
                let who = if tool_keys.contains(k) && !s.params.contains_key(k) {
                    "tool"
                } else {
                    "--params"
                };
                println!(
                    "  {}",
                    mlstor_bench::config::mask_override(&format!("{who}: {k}={}", as_arg(v)))
                );
            }
            continue;
        }
        if loops > 1 {
            eprintln!("== {} {}/{loops}: {}", phase.as_str(), i + 1, dir.display());
        }
        let prefix = format!("training_{}", phase.as_str());
        let child = launch::run(&dir, &prefix, &command, &env, g.json)?;
        let verdict = record(
            s,
            c,
            &location,
            &dir,
            processes,
            &parameters,
            &merged,
            mem.as_ref(),
            &child,
        )?;
        done.push(json!({"results": dir, "verification": verdict, "exit_status": child.exit_code, "seconds": child.seconds}));
        if crate::signals::interrupted() {
            bail!(
                "{} interrupted; what it wrote is recorded in {}",
                phase.as_str(),
                dir.display()
            );
        }
        if !child.success {
            bail!(
                "{} failed ({}); its output is in {}",
                phase.as_str(),
                child
                    .exit_code
                    .map_or("killed".to_string(), |c| format!("exit {c}")),
                child.stderr.display()
            );
        }
    }
    if g.json {
        return crate::commands::print_json(&json!({"runs": done}));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn record(
    s: &Session,
    c: &CommonArgs,
    l: &Location,
    dir: &Path,
    processes: u64,
    parameters: &Value,
    overrides: &BTreeMap<String, Value>,
    mem: Option<&session::Memory>,
    child: &launch::Child,
) -> Result<Option<String>> {
    let summary = launch::read_summary(dir);
    let hosts = session::hosts(c, processes)?;
    launch::write_cluster_info(
        dir,
        BenchmarkType::Training,
        summary.as_ref(),
        c.client_host_memory_in_gb,
        &hosts,
    )?;
    // The memory the rules check against: what the ranks measured (CLOSED, OPEN), what was
    // declared (what-if: the sizing's own basis).
    let measured = summary.as_ref().and_then(mlstor_mlperf::tree::summary_memory);
    let total_memory = match (s.mode.as_str(), mem, measured) {
        ("whatif", Some(m), _) => Some(m.used_bytes),
        (_, _, Some(m)) => Some(m),
        (_, Some(m), None) => Some(m.used_bytes),
        _ => None,
    };
    let run = Run {
        benchmark_type: Some(BenchmarkType::Training),
        model: s.model.clone(),
        command: l.command.clone().unwrap_or_default(),
        run_datetime: l.datetime.clone(),
        num_processes: processes,
        parameters: parameters.clone(),
        override_parameters: overrides.clone(),
        accelerator: s.accelerator.clone(),
        total_memory_bytes: total_memory,
        num_hosts: mem.map(|m| m.hosts),
        run_args: args_json(s, c, l, Some(processes)),
        metrics: summary.clone(),
        dir: Some(dir.to_path_buf()),
        exit_status: child.exit_code.map(i64::from),
    };
    let verdict = (l.command.as_deref() == Some("run")).then(|| check_run(&run));
    let mut extra = child.metadata(verdict.as_ref());
    extra.insert(
        "tool_injected_parameters".into(),
        json!(tool_injected(s, overrides)),
    );
    if let Some(m) = mem {
        let mut info = system_info(m);
        if let (Some(t), Value::Object(o)) = (total_memory, &mut info) {
            o.insert("total_memory_bytes".into(), json!(t as u64));
            o.insert(
                "collection_method".into(),
                json!(if s.mode == "whatif" {
                    "args"
                } else {
                    "dlio_summary"
                }),
            );
        }
        extra.insert("system_info".into(), info);
    }
    write_metadata(&run, l, extra)?;
    if let Some(v) = &verdict {
        launch::print_verdict(v);
    }
    eprintln!("recorded: {}", dir.display());
    Ok(verdict.map(|v| v.category.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_folders_as_mlpstorage_makes_them() {
        assert_eq!(data_folder("/mnt/data", "unet3d"), "/mnt/data/unet3d");
        assert_eq!(data_folder("/mnt/data/unet3d/", "unet3d"), "/mnt/data/unet3d");
        assert_eq!(listing_interval(9_999), 1);
        assert_eq!(listing_interval(224_000), 100);
    }
}
