//! One file per subcommand; helpers they share live here.

pub mod bench;
pub mod cat;
pub mod compare;
pub mod config;
pub mod cp;
pub mod datagen;
pub mod dlio;
pub mod generate;
pub mod ls;
pub mod mlperf;
pub mod report;
pub mod rm;
pub mod run;
pub mod stat;

use anyhow::{Context, Result};
use clap::Args;
use mlstor_bench::config::Workload;
use mlstor_bench::ranks::launcher_env;

/// The workload arguments `config`, `generate` and `run` share.
#[derive(Args, Debug)]
pub struct WorkloadArgs {
    /// A workload YAML path or a shipped workload name (e.g. unet3d_h100).
    pub workload: String,
    /// Override a key: `--set dataset.num_files_train=64` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// DLIO/Hydra-style overrides: `++workload.reader.batch_size=4` (options may follow them).
    #[arg(value_name = "OVERRIDE")]
    pub overrides: Vec<String>,
}

impl WorkloadArgs {
    /// `--set` and `++workload.` overrides, in that order.
    pub fn all_overrides(&self) -> Vec<String> {
        self.set.iter().chain(&self.overrides).cloned().collect()
    }

    /// The workload resolved with its overrides and the process environment; what DLIO
    /// 3.0.2 would ignore or not read in it is said on stderr (once: by rank 0 of a job).
    pub fn load(&self) -> Result<Workload> {
        let w = self.load_silently()?;
        print_messages(&w);
        Ok(w)
    }

    /// [`WorkloadArgs::load`] without a word (for a process that starts the ranks itself).
    pub fn load_silently(&self) -> Result<Workload> {
        Ok(mlstor_bench::config::load_with_process_env(
            &self.workload,
            &self.all_overrides(),
        )?)
    }
}

/// The workload's messages (keys ignored as DLIO 3.0.2 ignores them, keys read where it
/// would not) on stderr, from one process of a job only.
pub fn print_messages(w: &Workload) {
    if launcher_env(&|k| std::env::var(k).ok()).is_none_or(|(rank, _, _)| rank == 0) {
        for m in mlstor_bench::config::messages(w) {
            eprintln!("{m}");
        }
    }
}

/// A command-line location as a URI: URIs pass through, local paths become `file://` URIs.
pub fn to_uri(arg: &str) -> Result<String> {
    if arg.contains("://") {
        return Ok(arg.to_string());
    }
    let path = std::path::Path::new(arg);
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .context("cannot read the current directory")?
            .join(path)
    };
    let mut s = abs
        .to_str()
        .with_context(|| format!("path {arg:?} is not UTF-8"))?
        .to_string();
    if arg.ends_with('/') && !s.ends_with('/') {
        s.push('/');
    }
    Ok(format!("file://{s}"))
}

/// Prints `value` as one line of JSON on stdout.
pub fn print_json(value: &serde_json::Value) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_become_file_uris() {
        assert_eq!(to_uri("s3://b/k").expect("uri"), "s3://b/k");
        assert_eq!(to_uri("/tmp/x").expect("abs"), "file:///tmp/x");
        assert_eq!(to_uri("/tmp/x/").expect("dir"), "file:///tmp/x/");
        assert!(to_uri("rel").expect("rel").starts_with("file:///"));
    }
}
