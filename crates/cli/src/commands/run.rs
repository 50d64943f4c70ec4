//! `mlstor run WORKLOAD`: executes the workload's `workflow` (generate the dataset, train
//! and evaluate with DLIO's loader and AU emulation) on every rank, writes the results
//! folder and prints the report. `--num-accelerators N` starts N ranks on this host through
//! `mpirun`; under a launcher each process is one rank. Checkpoint-only workflows go to
//! [`super::checkpoint`].

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::ProgressBar;
use mlstor_bench::plan::locations;
use mlstor_bench::ranks::{Ranks, launcher_env};
use mlstor_bench::run::{Callbacks, RunOptions, execute};
use mlstor_bench::train::{Phase, Progress};
use mlstor_store::StoreOptions;
use tokio_util::sync::CancellationToken;

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
    /// Check every sample read against what `mlstor generate` wrote.
    #[arg(long)]
    pub verify: bool,
    /// No progress bars and no report (errors and the results folder only).
    #[arg(long)]
    pub quiet: bool,
    /// Files each rank writes at once when generating the dataset.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    #[command(flatten)]
    pub checkpoint: super::checkpoint::CheckpointArgs,
}

impl RunArgs {
    /// The run's options from these arguments, with the dataset's URI and store options.
    pub(super) fn run_options(&self, data_uri: String, store: StoreOptions, cwd: PathBuf) -> RunOptions {
        RunOptions {
            workload_name: self.workload.workload.clone(),
            overrides: self
                .workload
                .set
                .iter()
                .chain(&self.workload.overrides)
                .cloned()
                .collect(),
            results_dir: self.results_dir.clone(),
            dlio_compat: self.dlio_compat,
            verify: self.verify,
            data_uri,
            store,
            generate_concurrency: self.concurrency,
            cwd,
            checkpoint: None,
            cancel: CancellationToken::new(),
        }
    }
}

pub async fn run(g: &GlobalArgs, a: &RunArgs) -> Result<()> {
    let w = a.workload.load()?;
    if w.workflow.checkpoint && !w.workflow.train && !w.workflow.evaluation {
        return super::checkpoint::run(g, a, w).await; // checkpoint-only (llama3_*)
    }
    mlstor_bench::run::check_supported(&w)?;
    if let Some(n) = a.num_accelerators {
        match launcher_env(&|k| std::env::var(k).ok()) {
            None if n > 1 => return launch(n),
            Some((_, size, var)) if size != n => {
                bail!("--num-accelerators {n} but the launcher started {size} ranks ({var})")
            }
            _ => {}
        }
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let mut uri = locations::data_uri(&w, &cwd);
    if w.reader.odirect && uri.starts_with("file://") {
        uri = uri.replacen("file://", "direct://", 1); // DLIO's O_DIRECT readers
    }
    let mut store = locations::store_options(&w.storage.storage_options);
    super::checkpoint::apply_globals(g, &mut store);
    let mut opts = a.run_options(uri, store, cwd);
    if w.workflow.checkpoint {
        opts.checkpoint = Some(super::checkpoint::setup(g, a, &w, &opts.cwd));
    }
    let on_signal = opts.cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let (quiet, json, pin) = (a.quiet, g.json, g.pin_rank);
    let name = a.workload.workload.clone();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let ranks = Ranks::discover()?;
        let mut opts = opts;
        if pin {
            opts.store.pin_to_rank = true;
            opts.store.rank = Some(ranks.rank());
        }
        let r = run_rank(
            &w,
            &opts,
            &ranks,
            &handle,
            quiet || json || !ranks.is_root(),
            json,
            &name,
        );
        if let Err(e) = &r
            && ranks.size() > 1
        {
            eprintln!("error: rank {}: {e:#}", ranks.rank());
            ranks.abort(1);
        }
        r
    })
    .await
    .context("the run stopped unexpectedly")?
}

fn run_rank(
    w: &mlstor_bench::config::Workload,
    o: &RunOptions,
    ranks: &Ranks,
    handle: &tokio::runtime::Handle,
    hide: bool,
    json: bool,
    name: &str,
) -> Result<()> {
    let generation = progress::GenerationBar::new(hide);
    let generate_start = |n: u64| generation.start(n);
    let file_written = |n: u64| generation.file_written(n);
    let steps_bar = std::sync::Mutex::new(ProgressBar::hidden());
    let train = |p: Progress| {
        let Ok(mut b) = steps_bar.lock() else { return };
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
    };
    let cb = Callbacks {
        generate_start: &generate_start,
        file_written: &file_written,
        train: &train,
    };
    let out = execute(w, o, ranks, handle, &cb).with_context(|| format!("running {name}"))?;
    generation.finish();
    if !ranks.is_root() {
        return Ok(());
    }
    if let Some(r) = &out.generated
        && !json
        && !o.verify
    {
        eprintln!(
            "generated {} file(s), {} in {:.2} s on rank 0 of {}",
            r.files,
            human(r.bytes),
            r.seconds,
            ranks.size()
        );
    }
    for warning in &out.warnings {
        eprintln!("warning: {warning}");
    }
    if json {
        let v = out.results.clone().unwrap_or_else(|| {
            serde_json::json!({"workload": name, "generate": out.generated.as_ref().map(|g| serde_json::json!({"files": g.files, "bytes": g.bytes, "seconds": g.seconds}))})
        });
        return super::print_json(&v);
    }
    if let Some(s) = &out.summary {
        if !hide {
            print!("{}", mlstor_bench::report::render(name, s));
        }
        eprintln!("results: {}", out.results_dir.display());
    }
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
