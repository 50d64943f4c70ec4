//! `mlstor mlperf`: MLPerf Storage v3.0's flows as mlpstorage runs them: size the dataset
//! from the clients' memory, generate it, train (or checkpoint) under `mpirun` across the
//! hosts, record every run in mlpstorage's results tree, and check the runs and the whole
//! result against the rules (CLOSED / OPEN / INVALID), with a status and the submission's
//! tables. The sizing, tree and rules live in the `mlstor-mlperf` crate; this module joins
//! them to `mlstor generate` / `mlstor run`, which it starts as child processes (under
//! `mpirun` when there are several ranks) with their output in the run's log files.

mod checkpointing;
mod env_file;
mod launch;
mod results;
mod session;
mod training;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};

use crate::GlobalArgs;

#[derive(Subcommand, Debug)]
pub enum MlperfCommand {
    /// Runs for the CLOSED division (unet3d, retinanet on b200 / mi355; llama3 checkpoints).
    Closed {
        #[command(subcommand)]
        benchmark: Benchmark,
    },
    /// Runs for the OPEN division (CLOSED's models and accelerators, more parameters free).
    Open {
        #[command(subcommand)]
        benchmark: Benchmark,
    },
    /// What-if runs: every model and accelerator, sized from the memory you declare; not a
    /// submission (use it to try a system, or tiny shapes with --workload).
    Whatif {
        #[command(subcommand)]
        benchmark: Benchmark,
    },
    /// Record the organisation name of a results folder (what mlpstorage's `init` does).
    Init(results::InitArgs),
    /// Check every run under a results folder (mlstor's or mlpstorage + DLIO's) and each
    /// result against the rules; exits 1 when something is INVALID.
    Validate(results::TreeArgs),
    /// Per benchmark and model: SHORT, INVALID, PAPERWORK or READY, and what is missing.
    Status(results::TreeArgs),
    /// Write results.csv and results.json (mlpstorage's reportgen columns) for a results folder.
    Reportgen(results::ReportgenArgs),
}

#[derive(Subcommand, Debug)]
pub enum Benchmark {
    /// Training: `datasize`, `datagen`, `run`, `configview` for a model.
    Training(TrainingArgs),
    /// Checkpointing: `datasize`, `run`, `configview` for an LLM.
    Checkpointing(CheckpointingArgs),
}

/// The phases of a training result.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Datasize,
    Datagen,
    Run,
    Configview,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Datasize => "datasize",
            Phase::Datagen => "datagen",
            Phase::Run => "run",
            Phase::Configview => "configview",
        }
    }
}

/// Where the data is: a file system (`--data-dir`) or an object store (`.env`).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    File,
    Object,
}

#[derive(Args, Debug)]
pub struct TrainingArgs {
    /// cosmoflow, resnet50, unet3d, dlrm, retinanet or flux (CLOSED / OPEN: unet3d, retinanet).
    pub model: String,
    pub phase: Phase,
    /// `file` (default) or `object` (as mlpstorage writes it; same as --object).
    pub access: Option<Access>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Args, Debug)]
pub struct CheckpointingArgs {
    /// llama3-8b, llama3-70b, llama3-405b or llama3-1t.
    pub model: String,
    /// `datasize`, `run` or `configview`.
    pub phase: Phase,
    pub access: Option<Access>,
    #[command(flatten)]
    pub common: CommonArgs,
    /// Where checkpoints are written (a folder or a URI); the model's name is appended.
    #[arg(long, value_name = "DIR")]
    pub checkpoint_folder: Option<String>,
    /// Declare a subset run (llama3-8b on 8 processes only; Rules.md 4.3.5).
    #[arg(long)]
    pub checkpoint_subset: bool,
    /// Checkpoints to read (CLOSED: 10, or 0 in the two-invocation workflow).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub num_checkpoints_read: u64,
    /// Checkpoints to write (CLOSED: 10, or 0 in the two-invocation workflow).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub num_checkpoints_write: u64,
}

/// What every training and checkpointing command takes.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Simulated accelerator: b200 or mi355 (what-if also h100, a100).
    #[arg(long, value_name = "TYPE")]
    pub accelerator_type: Option<String>,
    /// Simulated accelerators (processes) over all hosts.
    #[arg(long, visible_aliases = ["num-processes", "max-accelerators"], value_name = "N")]
    pub num_accelerators: Option<u64>,
    /// Memory of each client host, in GB (GiB, as mlpstorage counts).
    #[arg(long, value_name = "GB")]
    pub client_host_memory_in_gb: Option<f64>,
    /// Client hosts (default: as many as --hosts lists, else 1).
    #[arg(long, value_name = "N")]
    pub num_client_hosts: Option<u64>,
    /// Client hosts, `h1:slots,h2:slots` or `h1 h2` (default: this host).
    #[arg(long, num_args = 1.., value_name = "HOST")]
    pub hosts: Vec<String>,
    /// Folder (or URI) under which the model's dataset lives: `<data-dir>/<model>`.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<String>,
    /// Workload parameters to override: `--params reader.read_threads=8 ...`.
    #[arg(long, visible_alias = "param", num_args = 1.., value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Results folder [env: MLPSTORAGE_RESULTS_DIR; default: mlperf-results].
    #[arg(long, value_name = "DIR")]
    pub results_dir: Option<PathBuf>,
    /// Organisation [env: MLPSTORAGE_ORGNAME; default: what `mlstor mlperf init` recorded].
    #[arg(long, value_name = "NAME")]
    pub orgname: Option<String>,
    /// System under test's name [env: MLPSTORAGE_SYSTEMNAME].
    #[arg(long, value_name = "NAME")]
    pub systemname: Option<String>,
    /// The MPI launcher.
    #[arg(long, default_value = "mpirun", value_name = "BIN")]
    pub mpi_bin: String,
    /// Extra mpirun arguments (repeatable; split on white space).
    #[arg(long, value_name = "PARAMS", allow_hyphen_values = true)]
    pub mpi_params: Vec<String>,
    /// Let mpirun start more ranks than a host has cores.
    #[arg(long)]
    pub oversubscribe: bool,
    /// Let Open MPI run as root (containers).
    #[arg(long)]
    pub allow_run_as_root: bool,
    /// Data on an object store: credentials, endpoint and bucket from --env-file.
    #[arg(long)]
    pub object: bool,
    /// The .env file --object reads (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, BUCKET, STORAGE_LIBRARY).
    #[arg(long, default_value = ".env", value_name = "FILE")]
    pub env_file: PathBuf,
    /// Run this many times in a row (a training result is 1 warm-up + 5 runs: --loops 6).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub loops: u32,
    /// What-if only: a workload file or shipped name instead of `<model>_<accelerator>`
    /// (e.g. unet3d_tiny to try the whole flow in seconds).
    #[arg(long, value_name = "WORKLOAD")]
    pub workload: Option<String>,
    /// Print what would run (commands, parameters, where results go) and stop.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run(g: &GlobalArgs, c: &MlperfCommand) -> Result<()> {
    match c {
        MlperfCommand::Closed { benchmark } => benchmark_run(g, "closed", benchmark),
        MlperfCommand::Open { benchmark } => benchmark_run(g, "open", benchmark),
        MlperfCommand::Whatif { benchmark } => benchmark_run(g, "whatif", benchmark),
        MlperfCommand::Init(a) => results::init(a),
        MlperfCommand::Validate(a) => results::validate(g, a),
        MlperfCommand::Status(a) => results::status(g, a),
        MlperfCommand::Reportgen(a) => results::reportgen(g, a),
    }
}

fn benchmark_run(g: &GlobalArgs, mode: &str, b: &Benchmark) -> Result<()> {
    match b {
        Benchmark::Training(a) => training::run(g, mode, a),
        Benchmark::Checkpointing(a) => checkpointing::run(g, mode, a),
    }
}
