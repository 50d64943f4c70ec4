//! Starts `mlstor generate` / `mlstor run` for a run folder: under `mpirun` when there are
//! several ranks or other hosts, its output copied to the terminal and to the run's
//! `<type>_<command>.stdout.log` / `.stderr.log`.

use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};

use anyhow::{Context, Result};
use mlstor_mlperf::hosts::{self, Host, MpiOptions};
use mlstor_mlperf::rules::{Validation, Verdict};
use serde_json::{Map, Value, json};

use super::CommonArgs;
use crate::GlobalArgs;

/// Environment variables ranks on other hosts need (their values never go on a command line).
const FORWARD_PREFIXES: &[&str] = &[
    "AWS_", "AZURE_", "GOOGLE_", "STORAGE_", "MLSTOR_", "BUCKET", "RUST_LOG",
];

pub struct Child {
    /// The whole command line (mpirun's prefix included), for the metadata.
    pub command: Vec<String>,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    pub success: bool,
    pub exit_code: Option<i32>,
    pub seconds: f64,
}

/// The global flags as arguments, for the child (`--endpoint`, `--part-size`, ...).
pub fn global_args(g: &GlobalArgs) -> Vec<String> {
    let mut a = Vec::new();
    for e in &g.endpoints {
        a.extend(["--endpoint".to_string(), e.clone()]);
    }
    if let Some(lb) = g.load_balance {
        let name = match lb {
            mlstor_store::LoadBalance::RoundRobin => "round_robin",
            mlstor_store::LoadBalance::Random => "random",
            mlstor_store::LoadBalance::LeastOutstanding => "least_outstanding",
        };
        a.extend(["--load-balance".to_string(), name.to_string()]);
    }
    if g.pin_rank {
        a.push("--pin-rank".into());
    }
    let mut opt = |flag: &str, v: Option<String>| {
        if let Some(v) = v {
            a.extend([flag.to_string(), v]);
        }
    };
    opt("--part-size", g.part_size.map(|v| v.to_string()));
    opt("--part-concurrency", g.part_concurrency.map(|v| v.to_string()));
    opt("--max-attempts", g.max_attempts.map(|v| v.to_string()));
    opt("--connect-timeout", g.connect_timeout.map(|v| v.to_string()));
    opt("--idle-timeout", g.idle_timeout.map(|v| v.to_string()));
    a
}

/// The full command line: `mlstor <args>` alone for one local rank, else under mpirun, with
/// `-x NAME` for the environment the ranks need: the forwarded prefixes of this process's
/// environment and `env_keys` (the .env file's variables, which the child gets).
pub fn command_line(
    c: &CommonArgs,
    hosts: &[Host],
    processes: u64,
    args: Vec<String>,
    env_keys: &[String],
) -> Result<Vec<String>> {
    let exe = std::env::current_exe().context("cannot find the mlstor executable")?;
    let exe = exe.to_string_lossy().into_owned();
    let local = hosts::all_local(hosts, &super::session::hostname());
    if processes <= 1 && local {
        return Ok(std::iter::once(exe).chain(args).collect());
    }
    let mut forward: std::collections::BTreeSet<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| FORWARD_PREFIXES.iter().any(|p| k.starts_with(p)))
        .collect();
    forward.extend(env_keys.iter().cloned());
    let forward: Vec<String> = forward.into_iter().collect();
    let o = mpi_options(c, c.oversubscribe || local, forward);
    Ok(hosts::mpi_prefix(hosts, processes, &o)
        .into_iter()
        .chain(std::iter::once(exe))
        .chain(args)
        .collect())
}

/// The command line's mpirun settings (`--allow-run-as-root` added when running as root,
/// as Open MPI refuses root otherwise).
fn mpi_options(c: &CommonArgs, oversubscribe: bool, forward: Vec<String>) -> MpiOptions {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    MpiOptions {
        mpi_bin: c.mpi_bin.clone(),
        oversubscribe,
        allow_run_as_root: c.allow_run_as_root || root,
        params: c.mpi_params.clone(),
        forward,
    }
}

/// Runs `command` with `env` added, its output teed to `<dir>/<prefix>.stdout.log` and
/// `.stderr.log` (stdout to the log only with `quiet_stdout`: `--json` keeps stdout for JSON).
pub fn run(
    dir: &Path,
    prefix: &str,
    command: &[String],
    env: &[(String, String)],
    quiet_stdout: bool,
) -> Result<Child> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stdout_path = dir.join(format!("{prefix}.stdout.log"));
    let stderr_path = dir.join(format!("{prefix}.stderr.log"));
    let create =
        |p: &Path| std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()));
    let (out_log, err_log) = (create(&stdout_path)?, create(&stderr_path)?);
    let (program, args) = command.split_first().context("empty command")?;
    let start = std::time::Instant::now();
    forward_signals();
    let mut child = Command::new(program)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            if program.ends_with("mpirun") || program.ends_with("mpiexec") {
                format!("cannot start {program}: install Open MPI (Debian: openmpi-bin) or give --mpi-bin")
            } else {
                format!("cannot start {program}")
            }
        })?;
    CHILD.store(i32::try_from(child.id()).unwrap_or(0), Ordering::SeqCst);
    let out = tee(child.stdout.take(), out_log, Echo::Stdout.unless(quiet_stdout));
    let err = tee(child.stderr.take(), err_log, Echo::Stderr);
    let status = child.wait().context("waiting for the run");
    CHILD.store(0, Ordering::SeqCst);
    let status = status?;
    for t in [out, err] {
        let _ = t.join();
    }
    Ok(Child {
        command: command.to_vec(),
        stdout: stdout_path,
        stderr: stderr_path,
        success: status.success(),
        // 128 + the signal when one ended it, as shells report it.
        exit_code: status.code().or_else(|| status.signal().map(|s| 128 + s)),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The pid of the run being waited for (0: none). SIGINT / SIGTERM reaching `mlstor mlperf`
/// go on to it as SIGTERM, so that it stops cleanly and its folder is still recorded.
static CHILD: AtomicI32 = AtomicI32::new(0);

fn forward_signals() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        crate::signals::on_interrupt(|| {
            let pid = CHILD.load(Ordering::SeqCst);
            if pid > 0 {
                // SAFETY: kill has no memory-safety preconditions; pid is our child, not yet
                // waited for (CHILD is reset to 0 once it has been).
                unsafe { libc::kill(pid, libc::SIGTERM) };
            }
        })
    });
}

/// Where a child's stream is echoed besides its log.
#[derive(Clone, Copy, PartialEq)]
enum Echo {
    Stdout,
    Stderr,
    Nowhere,
}

impl Echo {
    fn unless(self, quiet: bool) -> Echo {
        if quiet { Echo::Nowhere } else { self }
    }
}

/// Copies `src` to `file` (and echoes it) until the child closes it.
fn tee(
    src: Option<impl Read + Send + 'static>,
    mut file: std::fs::File,
    echo: Echo,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let Some(mut src) = src else { return };
        let mut buf = [0u8; 8192];
        loop {
            let n = match src.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            let _ = file.write_all(&buf[..n]);
            let _ = match echo {
                Echo::Stdout => std::io::stdout().write_all(&buf[..n]),
                Echo::Stderr => std::io::stderr().write_all(&buf[..n]),
                Echo::Nowhere => Ok(()),
            };
        }
        let _ = file.flush();
    })
}

/// A command line for people and records: arguments with spaces quoted, the values of
/// credential-like keys (`--set storage.storage_options.secret_access_key=...`) masked.
pub fn shell_words(command: &[String]) -> String {
    command
        .iter()
        .map(|a| mlstor_store::redact::userinfo(&mlstor_bench::config::mask_override(a)))
        .map(|a| {
            if a.is_empty() || a.chars().any(|c| c.is_whitespace() || "'\"$`\\".contains(c)) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Child {
    /// What the metadata says of the run's process: runtime, exit status, end time, the
    /// command and its logs, and the verdict.
    pub fn metadata(&self, verdict: Option<&Verdict>) -> Map<String, Value> {
        let command = shell_words(&self.command);
        let mut m = Map::new();
        m.insert("runtime".into(), json!(self.seconds));
        m.insert("exit_status".into(), json!(self.exit_code));
        m.insert(
            "end_datetime".into(),
            json!(chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%.6f").to_string()),
        );
        m.insert(
            "verification".into(),
            json!(verdict.map(|v| v.category.to_string())),
        );
        m.insert(
            "command_output_files".into(),
            json!([{"command": command, "stdout": self.stdout, "stderr": self.stderr}]),
        );
        m.insert("executed_command".into(), json!(command));
        m
    }
}

/// Writes the run's `provenance.json` (mlpstorage's stamp: rules edition, tool, storage
/// library, core-config hash) and returns the metadata key that points at it.
pub fn write_provenance(
    dir: &Path,
    parameters: &Value,
    t: mlstor_mlperf::rules::BenchmarkType,
) -> Result<(String, Value)> {
    let object = parameters
        .get("storage")
        .and_then(|s| s.get("storage_type"))
        .and_then(Value::as_str)
        .is_some_and(|t| !matches!(t, "local_fs" | "direct_fs" | "file"));
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let stamp = mlstor_mlperf::provenance::stamp(parameters, t, object, env!("CARGO_PKG_VERSION"), &now);
    mlstor_mlperf::tree::write_json(dir, mlstor_mlperf::provenance::FILE_NAME, &stamp)?;
    Ok((
        "provenance_file".into(),
        json!(mlstor_mlperf::provenance::FILE_NAME),
    ))
}

/// Writes the run's system description, `<type>_cluster_info.json` (what the ranks measured,
/// else the hosts and memory declared).
pub fn write_cluster_info(
    dir: &Path,
    t: mlstor_mlperf::rules::BenchmarkType,
    summary: Option<&Value>,
    declared_gb_per_host: Option<f64>,
    hosts: &[Host],
) -> Result<()> {
    let names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
    let at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let declared = declared_gb_per_host.map(|g| g * 1024.0 * 1024.0 * 1024.0);
    let info = mlstor_mlperf::tree::cluster_info(summary, declared, &names, &at);
    mlstor_mlperf::tree::write_json(dir, &format!("{}_cluster_info.json", t.as_str()), &info)?;
    Ok(())
}

/// The memory of the listed hosts, measured on each of them through mpirun (one process per
/// host), in bytes over all hosts; None (with a warning) when that fails: mlpstorage then
/// falls back to the declared memory too. Waits at most 60 s.
pub fn remote_memory(c: &CommonArgs, hosts: &[Host]) -> Option<f64> {
    let unique: Vec<Host> = {
        let mut seen = std::collections::BTreeSet::new();
        hosts
            .iter()
            .filter(|h| seen.insert(h.name.clone()))
            .map(|h| Host {
                name: h.name.clone(),
                slots: 1,
            })
            .collect()
    };
    let o = mpi_options(c, false, Vec::new());
    let mut cmd = hosts::mpi_prefix(&unique, unique.len() as u64, &o);
    cmd.extend(["sh".into(), "-c".into(), hosts::MEMINFO_SCRIPT.into()]);
    let warn = |why: String| {
        eprintln!(
            "warning: could not measure the client hosts' memory ({}: {why}); sizing against the declared memory",
            shell_words(&cmd)
        );
        None
    };
    let (program, args) = cmd.split_first()?;
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return warn(e.to_string()),
    };
    let mut out = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text);
        text
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return warn("no answer within 60 s".into());
            }
        }
    };
    let text = reader.join().unwrap_or_default();
    let found = hosts::parse_meminfo(&text);
    if !status.success() || found.len() < unique.len() {
        return warn(format!(
            "{status}, {} of {} host(s) answered",
            found.len(),
            unique.len()
        ));
    }
    Some(found.iter().map(|f| f.1).sum::<u64>() as f64)
}

/// The run's `summary.json`, if it wrote one.
pub fn read_summary(dir: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(dir.join("summary.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// The verdict on stderr: the category and the findings that are not CLOSED.
pub fn print_verdict(v: &Verdict) {
    eprintln!("verification: {}", v.category);
    for i in v.issues.iter().filter(|i| i.validation != Validation::Closed) {
        eprintln!("  {i}");
    }
}
