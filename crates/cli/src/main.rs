//! `mlstor`: object commands (`cp`, `ls`, `stat`, `rm`, `cat`) and storage benchmarks
//! (`bench put|get`) over every mlstor URI scheme. `main` only parses and dispatches.

mod commands;
mod progress;
mod signals;
mod size;

use std::process::ExitCode;

/// mimalloc: allocation-heavy paths (parquet encoding) spent a third of their CPU in glibc's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Args, Parser, Subcommand};
use mlstor_store::{LoadBalance, StoreOptions, StoreOverrides};

/// mlstor: fast storage I/O for AI training, over s3:// az:// gs:// file:// direct:// memory://
#[derive(Parser, Debug)]
#[command(name = "mlstor", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Options every command understands (credentials come from the environment:
/// AWS_*, AZURE_STORAGE_*, STORAGE_EMULATOR_HOST, GOOGLE_APPLICATION_CREDENTIALS).
#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Endpoint URL (S3-compatible server, Azure blob endpoint, GCS emulator); repeat for
    /// several doors to one namespace, or give storage URIs for independent roots.
    #[arg(long = "endpoint", global = true, value_name = "URL")]
    pub endpoints: Vec<String>,
    /// How requests spread over several endpoints [default: round_robin, or the workload's].
    #[arg(long, global = true, value_parser = parse_lb)]
    pub load_balance: Option<LoadBalance>,
    /// Pin this rank to endpoint (rank mod n); the rank comes from --rank,
    /// OMPI_COMM_WORLD_RANK or PMI_RANK.
    #[arg(long, global = true)]
    pub pin_rank: bool,
    /// Rank for --pin-rank.
    #[arg(long, global = true)]
    pub rank: Option<usize>,
    /// Part size of multipart/streaming writes.
    #[arg(long, global = true, value_parser = parse_size_usize, value_name = "SIZE")]
    pub part_size: Option<usize>,
    /// Parts uploaded concurrently per object.
    #[arg(long, global = true)]
    pub part_concurrency: Option<usize>,
    /// Attempts per request, first included (transient failures only).
    #[arg(long, global = true)]
    pub max_attempts: Option<u32>,
    /// Seconds to wait for a connection.
    #[arg(long, global = true, value_name = "SECS")]
    pub connect_timeout: Option<f64>,
    /// Seconds a request may wait for its next bytes before it is failed (and retried).
    #[arg(long, global = true, value_name = "SECS")]
    pub idle_timeout: Option<f64>,
    /// Machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Log on stderr as things happen (retries, timeouts, per-request errors): error, warn,
    /// info, debug or trace, or a RUST_LOG filter (`mlstor_store=debug`) [env: RUST_LOG].
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
}

fn parse_lb(s: &str) -> Result<LoadBalance, String> {
    s.parse()
}

fn parse_size_usize(s: &str) -> Result<usize, String> {
    size::parse_size(s).map(|v| v as usize)
}

impl GlobalArgs {
    /// What these flags set, laid over any store's other options.
    pub fn overrides(&self) -> StoreOverrides {
        let secs = |t: Option<f64>| t.and_then(|t| std::time::Duration::try_from_secs_f64(t).ok());
        StoreOverrides {
            endpoints: self.endpoints.clone(),
            load_balance: self.load_balance,
            pin_rank: self.pin_rank,
            rank: self.rank,
            part_size: self.part_size,
            part_concurrency: self.part_concurrency,
            max_attempts: self.max_attempts,
            connect_timeout: secs(self.connect_timeout),
            idle_timeout: secs(self.idle_timeout),
        }
    }

    /// The options of a store rooted at `uri` for a command without a workload: these
    /// flags, then the environment (the same path as a workload's stores take).
    pub fn store_options(&self, uri: &str) -> StoreOptions {
        mlstor_bench::plan::locations::store_options(None, &self.overrides(), uri)
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Copy an object, or a prefix with --recursive (each side a local path or a URI).
    Cp(commands::cp::CpArgs),
    /// List objects and prefixes under a URI.
    Ls(commands::ls::LsArgs),
    /// Show an object's size, last-modified time and ETag.
    Stat(commands::stat::StatArgs),
    /// Delete an object, or everything under a prefix with --recursive.
    Rm(commands::rm::RmArgs),
    /// Write an object to standard output.
    Cat(commands::cat::CatArgs),
    /// Print a workload fully resolved (DLIO defaults, ${VAR}s, overrides; secrets masked).
    Config(commands::config::ConfigArgs),
    /// Run a workload's workflow: generate its dataset, train and evaluate (DLIO-compatible AU and results).
    Run(commands::run::RunArgs),
    /// Write a workload's dataset (DLIO's file layout and formats) through the store.
    Generate(commands::generate::GenerateArgs),
    /// Generate data with exact dedup/compression ratios and report GB/s.
    Datagen(commands::datagen::DatagenArgs),
    /// Object-store load generator: put or get N objects and report throughput and latency.
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// Report on finished results folders (mlstor's or DLIO's): tables, an HTML page with
    /// charts, two runs compared, or an op-log's requests.
    Report(commands::report::ReportArgs),
    /// MLPerf Storage v3.0's flows (as mlpstorage runs them): datasize, datagen, run and
    /// checkpointing into the results tree; validate, status and reportgen over it.
    #[command(subcommand)]
    Mlperf(Box<commands::mlperf::MlperfCommand>),
    /// Storage libraries head to head (mlstor, s3dlio, s3torchconnector, minio, boto3,
    /// obstore, azstoragetorch): same data, same concurrency, every read checked; a table per
    /// operation, the verdict, JSON and an HTML page.
    Compare(Box<commands::compare::CompareArgs>),
    /// Run an installed DLIO (3.0.2) with its s3dlio and s3torchconnector I/O through
    /// mlstor: `mlstor dlio workload=NAME ++workload.x=y` (DLIO's own arguments).
    Dlio(commands::dlio::DlioArgs),
    /// One job of `mlstor compare` for mlstor's Rust library (internal).
    #[command(hide = true)]
    CompareWorker,
}

fn main() -> ExitCode {
    // The parquet crate can panic on damaged pages; the decoder catches that and returns an
    // error, which is what the user sees (not the panic's own message).
    let report_panic = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // `println!` into a closed pipe (`mlstor ... | head`) panics; that is not an error.
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        if !mlstor_formats::parquet::in_guarded_decode() {
            report_panic(info);
        }
    }));
    let cli = Cli::parse_from(commands::compare::rewrite_json_file(std::env::args().collect()));
    init_logging(cli.global.log_level.as_deref());
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let g = &cli.global;
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Cp(a) => commands::cp::run(g, a).await,
            Command::Ls(a) => commands::ls::run(g, a).await,
            Command::Stat(a) => commands::stat::run(g, a).await,
            Command::Rm(a) => commands::rm::run(g, a).await,
            Command::Cat(a) => commands::cat::run(g, a).await,
            Command::Bench(b) => commands::bench::run(g, b).await,
            Command::Datagen(a) => commands::datagen::run(g, a).await,
            Command::Config(a) => commands::config::run(g, a).await,
            Command::Generate(a) => commands::generate::run(g, a).await,
            Command::Run(a) => commands::run::run(g, a).await,
            Command::Report(a) => commands::report::run(g, a).await,
            Command::Mlperf(c) => commands::mlperf::run(g, c).await,
            Command::Compare(a) => commands::compare::run(g, a).await,
            Command::CompareWorker => commands::compare::worker(g).await,
            Command::Dlio(a) => commands::dlio::run(g, a),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", mlstor_store::redact::userinfo(&format!("{e:#}")));
            signals::exit_code().map_or(ExitCode::FAILURE, ExitCode::from)
        }
    }
}

/// Logging on stderr from `--log-level` or `RUST_LOG` (off without either). A bare level
/// applies to mlstor's own crates (the HTTP stack stays at `warn`); every line goes through
/// the credential redaction errors get.
fn init_logging(level: Option<&str>) {
    if let Some(level) = level {
        let filter = match level {
            "error" | "warn" | "info" | "debug" | "trace" => {
                format!("warn,mlstor={level},mlstor_store={level},mlstor_bench={level},mlstor_mlperf={level}")
            }
            other => other.to_string(),
        };
        // SAFETY: nothing else runs yet (the runtime starts after this); ranks and child
        // processes (mpirun, mlstor mlperf's runs) inherit the setting.
        unsafe { std::env::set_var("RUST_LOG", filter) };
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| RedactingStderr)
        .try_init();
}

/// stderr, with credentials in URLs replaced by `***` (one log event per write).
struct RedactingStderr;

impl std::io::Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(mlstor_store::redact::userinfo(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// A closed stdout (`mlstor cat x | head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}
