//! `mlstor dlio [DLIO args...]`: runs an installed DLIO (3.0.2) with `import s3dlio` and
//! `import s3torchconnector` answered by mlstor's Python drop-ins (`python -m mlstor.dlio`,
//! which replaces this process, so `mpirun -np N mlstor dlio ...` gives N DLIO ranks).

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Result, bail};
use clap::Args;

use crate::GlobalArgs;

#[derive(Args, Debug)]
pub struct DlioArgs {
    /// The Python that has DLIO and mlstor's Python package installed [env:
    /// MLSTOR_DLIO_PYTHON; default: python3].
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// DLIO's own arguments, as `dlio_benchmark` takes them (`workload=unet3d_h100`,
    /// `++workload.dataset.num_files_train=8`, `--config-dir=DIR`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "DLIO_ARG")]
    pub args: Vec<String>,
}

pub fn run(g: &GlobalArgs, a: &DlioArgs) -> Result<()> {
    if g.json {
        bail!("--json does not apply to `mlstor dlio`: DLIO writes its own results");
    }
    let python = python(a.python.as_ref(), || PathBuf::from("python3"));
    exec_module(&python, "mlstor.dlio", &a.args, &env_from_flags(g)?)
}

/// The Python that runs DLIO: `explicit` (--python), else `MLSTOR_DLIO_PYTHON`, else
/// `otherwise()`.
pub fn python(explicit: Option<&PathBuf>, otherwise: impl FnOnce() -> PathBuf) -> PathBuf {
    explicit
        .cloned()
        .or_else(|| std::env::var_os("MLSTOR_DLIO_PYTHON").map(PathBuf::from))
        .unwrap_or_else(otherwise)
}

/// Replaces this process with `python -m module args...` (with `env` added), after checking
/// that `python` starts and has mlstor's Python package, so a wrong interpreter is named
/// rather than failing inside DLIO.
pub fn exec_module(
    python: &PathBuf,
    module: &str,
    args: &[String],
    env: &[(&'static str, String)],
) -> Result<()> {
    let probe = Command::new(python).args(["-c", "import mlstor.dlio"]).output();
    match probe {
        Err(e) => bail!("cannot start {}: {e}", python.display()),
        Ok(out) if !out.status.success() => bail!(
            "{} has no mlstor Python package (install it there: pip install mlstor, or give \
             --python / MLSTOR_DLIO_PYTHON): {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr)
                .trim()
                .lines()
                .last()
                .unwrap_or("")
        ),
        Ok(_) => {}
    }
    let err = Command::new(python)
        .arg("-m")
        .arg(module)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .exec();
    bail!("cannot start {}: {err}", python.display())
}

/// The store flags that mean something to DLIO, as the environment it reads: one
/// `--endpoint` is `AWS_ENDPOINT_URL`, several are DLIO's `S3_ENDPOINT_URIS` (one per MPI
/// rank). The others have no equivalent in DLIO and are refused rather than ignored
/// (`--json` is each command's own: `compare --dlio` takes it, `dlio` refuses it).
pub fn env_from_flags(g: &GlobalArgs) -> Result<Vec<(&'static str, String)>> {
    let ignored = [
        ("--load-balance", g.load_balance.is_some()),
        ("--pin-rank", g.pin_rank),
        ("--rank", g.rank.is_some()),
        ("--part-size", g.part_size.is_some()),
        ("--part-concurrency", g.part_concurrency.is_some()),
        ("--max-attempts", g.max_attempts.is_some()),
        ("--connect-timeout", g.connect_timeout.is_some()),
        ("--idle-timeout", g.idle_timeout.is_some()),
        ("--log-level", g.log_level.is_some()),
    ];
    if let Some((flag, _)) = ignored.iter().find(|(_, set)| *set) {
        bail!(
            "{flag} does not apply to `mlstor dlio`: DLIO takes its settings from the workload \
             (put {flag} after `dlio` only if it is a DLIO argument)"
        );
    }
    Ok(match g.endpoints.as_slice() {
        [] => vec![],
        [one] => vec![("AWS_ENDPOINT_URL", one.clone())],
        many => vec![("S3_ENDPOINT_URIS", many.join(","))],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        g: GlobalArgs,
    }

    #[test]
    fn endpoints_become_dlio_environment_and_other_flags_are_refused() {
        let g = T::parse_from(["t"]).g;
        assert!(env_from_flags(&g).expect("none").is_empty());
        let g = T::parse_from(["t", "--endpoint", "http://a:1"]).g;
        assert_eq!(
            env_from_flags(&g).expect("one"),
            vec![("AWS_ENDPOINT_URL", "http://a:1".to_string())]
        );
        let g = T::parse_from(["t", "--endpoint", "http://a:1", "--endpoint", "http://b:2"]).g;
        assert_eq!(
            env_from_flags(&g).expect("two"),
            vec![("S3_ENDPOINT_URIS", "http://a:1,http://b:2".to_string())]
        );
        let g = T::parse_from(["t", "--max-attempts", "3"]).g;
        let e = env_from_flags(&g).expect_err("refused").to_string();
        assert!(e.contains("--max-attempts does not apply"), "{e}");
    }
}
