//! `mlstor run WORKLOAD`: plans the workload's `workflow` (generate the dataset, train and
//! evaluate with DLIO's loader and AU emulation, checkpoints during training or MLPerf
//! Storage's checkpoint-only workflow), runs the plan on every rank, and prints rank 0's
//! report; `--dry-run` prints the plan instead. `--num-accelerators N` starts N ranks on
//! this host through `mpirun`; under a launcher each process is one rank.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::ProgressBar;
use mlstor_bench::config::Workload;
use mlstor_bench::execute::checkpoint::{CheckpointOptions, Control};
use mlstor_bench::execute::train::{Phase, Progress};
use mlstor_bench::execute::{self, CheckpointSetup, Event, Outcome, RunOptions};
use mlstor_bench::plan::{Direction, Plan, locations};
use mlstor_bench::ranks::{Ranks, launcher_env};
use mlstor_bench::records::checkpoint::TimedCheckpoint;
use mlstor_bench::report::text;
use mlstor_bench::results::write::Summary;

use crate::size::human;
use crate::{GlobalArgs, progress};

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub workload: super::WorkloadArgs,
    /// Results folder (default: the workload's output.folder, else `results/<workload>/<timestamp>`).
    #[arg(long, value_name = "DIR")]
    pub results_dir: Option<PathBuf>,
    /// Ranks (simulated accelerators) to start on this host; runs `mpirun -np N` for you.
    #[arg(long, value_name = "N")]
    pub num_accelerators: Option<usize>,
    /// Reproduce DLIO v2.0 where it differs from what the YAML says (sample order,
    /// total_training_steps per epoch); see docs/dlio-compatibility.md.
    #[arg(long)]
    pub dlio_compat: bool,
    /// Check every sample (and checkpoint byte) read against what mlstor wrote.
    #[arg(long)]
    pub verify: bool,
    /// Check the CRC-32 of every npz member read, as numpy's loader does (a damaged payload
    /// fails the run; about +55% client CPU per GB read, so off by default).
    #[arg(long)]
    pub check_crc: bool,
    /// No progress bars and no report (errors and the results folder only).
    #[arg(long)]
    pub quiet: bool,
    /// Print the plan (epochs, steps, checkpoints, files per rank, memory per rank) and
    /// stop, without touching storage.
    #[arg(long)]
    pub dry_run: bool,
    /// Write every storage request to FILE (tab-separated, zstd-compressed when it ends in
    /// `.zst`; one file per rank under mpirun: FILE with `.rank<r>`); read it back with
    /// `mlstor report --op-log FILE`.
    #[arg(long, value_name = "FILE")]
    pub op_log: Option<PathBuf>,
    /// Files each rank writes at once when generating the dataset.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    #[command(flatten)]
    pub checkpoint: CheckpointArgs,
}

/// How checkpoints move bytes (the part size and part concurrency are the global
/// `--part-size` / `--part-concurrency`).
#[derive(Args, Debug, Clone)]
pub struct CheckpointArgs {
    /// Checkpoint files a rank writes or reads at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub file_concurrency: usize,
    /// Ranged reads in flight per file during restores.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub read_concurrency: usize,
}

impl RunArgs {
    /// The checkpoint options from the command line.
    fn checkpoint_options(&self, g: &GlobalArgs) -> CheckpointOptions {
        let d = CheckpointOptions::default();
        CheckpointOptions {
            part_size: g.part_size.unwrap_or(d.part_size),
            file_concurrency: self.checkpoint.file_concurrency.max(1),
            part_concurrency: g.part_concurrency.unwrap_or(d.part_concurrency),
            read_concurrency: self.checkpoint.read_concurrency.max(1),
            verify: self.verify,
            dlio_compat: self.dlio_compat,
        }
    }

    /// The run's options: where the data and checkpoints are, every store's options from
    /// the one path (the workload's, then these flags, then the environment).
    fn run_options(&self, g: &GlobalArgs, w: &Workload, cwd: &Path) -> RunOptions {
        let overrides = g.overrides();
        let mut data_uri = locations::data_uri(w, cwd);
        if w.reader.odirect && data_uri.starts_with("file://") {
            data_uri = data_uri.replacen("file://", "direct://", 1); // DLIO's O_DIRECT readers
        }
        let checkpoint = w.workflow.checkpoint.then(|| {
            let uri = locations::checkpoint_uri(w, cwd);
            CheckpointSetup {
                store: locations::checkpoint_store_options(w, &overrides, &uri),
                uri,
                options: self.checkpoint_options(g),
            }
        });
        RunOptions {
            workload_name: self.workload.workload.clone(),
            overrides: self.workload.all_overrides(),
            results_dir: self.results_dir.clone(),
            cwd: cwd.to_path_buf(),
            verify: self.verify,
            data_store: locations::data_store_options(w, &overrides, &data_uri),
            data_uri,
            checkpoint,
            generate_concurrency: self.concurrency,
            op_log: self.op_log.clone(),
            control: Control::default(),
        }
    }
}

/// The rank count of this job before MPI starts: the launcher's, else 1.
fn launched_size(a: &RunArgs) -> Result<Option<usize>> {
    let launched = launcher_env(&|k| std::env::var(k).ok());
    if let Some(n) = a.num_accelerators {
        match launched {
            None if n > 1 => return Ok(None), // this process starts mpirun
            Some((_, size, var)) if size != n => {
                bail!("--num-accelerators {n} but the launcher started {size} ranks ({var})")
            }
            _ => {}
        }
    }
    Ok(Some(launched.map_or(1, |l| l.1)))
}

pub async fn run(g: &GlobalArgs, a: &RunArgs) -> Result<()> {
    mlstor_formats::npz::check_crc(a.check_crc);
    let w = a.workload.load_silently()?;
    let name = a.workload.workload.clone();
    let Some(size) = launched_size(a)? else {
        let n = a.num_accelerators.unwrap_or(1);
        let plan =
            Plan::build(&w, n, a.dlio_compat).with_context(|| format!("planning {name} on {n} rank(s)"))?;
        if a.dry_run {
            print_warnings(&plan);
            return dry_run(g, a, &plan);
        }
        return launch(n); // the ranks say what there is to say
    };
    let plan =
        Plan::build(&w, size, a.dlio_compat).with_context(|| format!("planning {name} on {size} rank(s)"))?;
    print_warnings(&plan);
    if a.dry_run {
        return dry_run(g, a, &plan);
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let opts = a.run_options(g, &w, &cwd);
    let on_signal = opts.control.cancel.clone();
    crate::signals::on_interrupt(move || on_signal.cancel());
    let (quiet, json, pin) = (a.quiet, g.json, g.pin_rank);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let ranks = Ranks::discover()?;
        let mut opts = opts;
        if pin {
            opts.data_store.rank = Some(ranks.rank());
            if let Some(c) = &mut opts.checkpoint {
                c.store.rank = Some(ranks.rank());
            }
        }
        let hide = quiet || json || !ranks.is_root();
        let r = run_rank(&plan, &opts, &ranks, &handle, hide, json, &name);
        if let Err(e) = &r
            && ranks.size() > 1
        {
            // The other ranks would wait at the next barrier forever.
            eprintln!("error: rank {}: {e:#}", ranks.rank());
            ranks.abort(1);
        }
        r
    })
    .await
    .context("the run stopped unexpectedly")?
}

/// The workload's messages and the plan's warnings, on stderr (rank 0 of a job only).
fn print_warnings(plan: &Plan) {
    super::print_messages(&plan.workload);
    if launcher_env(&|k| std::env::var(k).ok()).is_none_or(|(rank, _, _)| rank == 0) {
        for w in plan.warnings() {
            eprintln!("warning: {w}");
        }
    }
}

/// Runs the plan on this rank with progress bars, then (rank 0) prints the report.
fn run_rank(
    plan: &Plan,
    o: &RunOptions,
    ranks: &Ranks,
    handle: &tokio::runtime::Handle,
    hide: bool,
    json: bool,
    name: &str,
) -> Result<()> {
    let generation = progress::GenerationBar::new(hide);
    let steps_bar = std::sync::Mutex::new(ProgressBar::hidden());
    let bytes_bar = progress::bytes_bar(checkpoint_bytes(plan, ranks.rank()), hide);
    let mut o = o.clone();
    let moved = bytes_bar.clone();
    o.control = o.control.clone().on_bytes(move |n| moved.inc(n));
    let on_event = |e: Event| match e {
        Event::GenerateStart(n) => generation.start(n),
        Event::FileWritten(n) => generation.file_written(n),
        Event::Train(p) => train_progress(&steps_bar, p, hide),
        Event::Checkpoint(t) => {
            if !hide {
                bytes_bar.println(checkpoint_line(t));
            }
        }
    };
    let out = execute::run(plan, &o, ranks, handle, &on_event).with_context(|| format!("running {name}"));
    generation.finish();
    bytes_bar.finish_and_clear();
    let out = out?;
    if ranks.is_root() {
        report(&out, o.verify, ranks.size(), hide, json, name)?;
    }
    Ok(())
}

/// Bytes this rank's standalone checkpoint workflow moves (for its progress bar).
fn checkpoint_bytes(plan: &Plan, rank: usize) -> u64 {
    let Some(c) = &plan.checkpoint else { return 0 };
    let bytes: u64 = c
        .layout
        .rank_files(rank)
        .map(|f| f.iter().map(|f| f.bytes).sum())
        .unwrap_or(0);
    bytes * c.ops.len() as u64
}

fn train_progress(bar: &std::sync::Mutex<ProgressBar>, p: Progress, hide: bool) {
    let Ok(mut b) = bar.lock() else { return };
    match p {
        Progress::Start {
            epoch,
            epochs,
            phase,
            steps,
        } => {
            let what = match phase {
                Phase::Train => format!("epoch {epoch}/{epochs}"),
                Phase::Eval => format!("eval {epoch}/{epochs}"),
            };
            *b = progress::steps_bar(steps, &what, hide);
        }
        Progress::Step {
            done,
            samples_per_s,
            au_percent,
        } => {
            b.set_position(done);
            b.set_message(format!("{samples_per_s:.1} samples/s, AU {au_percent:.1}%"));
        }
        Progress::End => b.finish_and_clear(),
    }
}

/// Rank 0's end of a run: what was generated, warnings, the report or `--json`.
fn report(out: &Outcome, verify: bool, ranks: usize, hide: bool, json: bool, name: &str) -> Result<()> {
    if let Some(r) = &out.generated
        && !json
        && !verify
    {
        eprintln!(
            "generated {} file(s), {} in {:.2} s on rank 0 of {ranks}",
            r.files,
            human(r.bytes),
            r.seconds,
        );
    }
    let warnings = out
        .written
        .as_ref()
        .map(|w| w.warnings.as_slice())
        .unwrap_or_default();
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    if let Some((path, n)) = &out.op_log
        && !json
    {
        eprintln!("op-log: {n} request(s) in {}", path.display());
    }
    if json {
        let v = out.written.as_ref().map(|w| w.results.clone()).unwrap_or_else(|| {
            serde_json::json!({"workload": name, "generate": out.generated.as_ref().map(|g| serde_json::json!({"files": g.files, "bytes": g.bytes, "seconds": g.seconds}))})
        });
        return super::print_json(&v);
    }
    let Some(summary) = out.summary() else {
        return Ok(());
    };
    if !hide {
        use std::io::Write;
        let text = match summary {
            Summary::Training(s) => text::render(name, s),
            Summary::Checkpoint { summary, uri } => text::render_checkpoint(name, uri, summary),
        };
        std::io::stdout().lock().write_all(text.as_bytes())?;
    }
    eprintln!("results: {}", out.results_dir.display());
    Ok(())
}

fn checkpoint_line(t: &TimedCheckpoint) -> String {
    let what = match t.report.direction {
        Direction::Save => "saved",
        Direction::Restore => "restored",
    };
    format!(
        "{what} {} ({}, {} file(s)) in {:.3} s = {:.3} GB/s on rank 0",
        t.report.checkpoint,
        human(t.report.bytes),
        t.report.files.len(),
        t.duration_s,
        t.report.bytes as f64 / 1e9 / t.duration_s.max(1e-9)
    )
}

/// `--dry-run`: the plan, where it reads and writes, and each rank's memory.
fn dry_run(g: &GlobalArgs, a: &RunArgs, plan: &Plan) -> Result<()> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let o = a.run_options(g, &plan.workload, &cwd);
    let ck = a.checkpoint_options(g);
    let memory: Vec<_> = (0..plan.ranks)
        .map(|r| plan.memory(r, ck.part_size as u64, ck.file_concurrency as u64))
        .collect();
    if g.json {
        return super::print_json(&serde_json::json!({
            "workload": a.workload.workload,
            "plan": plan,
            "data": execute::storage_json(&o.data_uri, &o.data_store),
            "checkpoint": o.checkpoint.as_ref().map(|c| execute::storage_json(&c.uri, &c.store)),
            "memory_per_rank": memory,
        }));
    }
    let ck_uri = o.checkpoint.as_ref().map(|c| c.uri.as_str());
    print!(
        "{}",
        text::render_plan(&a.workload.workload, plan, &o.data_uri, ck_uri, &memory)
    );
    Ok(())
}

/// Starts `n` ranks of this very command under `mpirun` and waits for them.
pub(super) fn launch(n: usize) -> Result<()> {
    if !cfg!(feature = "mpi") {
        bail!(
            "--num-accelerators {n} needs an mlstor built with the `mpi` feature (ranks must meet at barriers)"
        );
    }
    let exe = std::env::current_exe().context("cannot find the mlstor executable")?;
    let mut args: Vec<OsString> = Vec::new();
    let mut it = std::env::args_os().skip(1);
    while let Some(arg) = it.next() {
        if arg == "--num-accelerators" {
            it.next();
        } else if !arg.to_string_lossy().starts_with("--num-accelerators=") {
            args.push(arg);
        }
    }
    let mut cmd = std::process::Command::new("mpirun");
    cmd.arg("-np")
        .arg(n.to_string())
        .args(["--oversubscribe", "--bind-to", "none"]);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        cmd.arg("--allow-run-as-root");
    }
    cmd.arg(exe).args(args);
    let status = cmd.status().map_err(|e| {
        anyhow::anyhow!(
            "cannot start mpirun ({e}); install Open MPI (Debian: openmpi-bin) or start the ranks with your own launcher"
        )
    })?;
    if !status.success() {
        bail!("mpirun -np {n} failed ({status})");
    }
    Ok(())
}
