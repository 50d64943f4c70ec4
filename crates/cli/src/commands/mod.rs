//! One file per subcommand; helpers they share live here.

pub mod bench;
pub mod cat;
pub mod config;
pub mod cp;
pub mod datagen;
pub mod generate;
pub mod ls;
pub mod report;
pub mod rm;
pub mod run;
pub mod stat;

use anyhow::{Context, Result};
use clap::Args;

/// The workload arguments `config`, `generate` and `run` share.
#[derive(Args, Debug)]
pub struct WorkloadArgs {
    /// A workload YAML path or a shipped workload name (e.g. unet3d_h100).
    pub workload: String,
    /// Override a key: `--set dataset.num_files_train=64` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// DLIO/Hydra-style overrides: `++workload.reader.batch_size=4`.
    #[arg(value_name = "OVERRIDE", allow_hyphen_values = true)]
    pub overrides: Vec<String>,
}

impl WorkloadArgs {
    /// `--set` and `++workload.` overrides, in that order.
    pub fn all_overrides(&self) -> Vec<String> {
        self.set.iter().chain(&self.overrides).cloned().collect()
    }

    /// The workload resolved with its overrides and the process environment.
    pub fn load(&self) -> Result<mlstor_bench::config::Workload> {
        Ok(mlstor_bench::config::load_with_process_env(
            &self.workload,
            &self.all_overrides(),
        )?)
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
