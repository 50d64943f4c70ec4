//! `mlstor compare`: storage libraries head to head ([`mlstor_compare`]), with the seed
//! scripts' flags (`--library`, `--compare A B ...`, `--compare-all`, `--compare-libraries`),
//! a table per operation, the verdict, `--json FILE` and `--html FILE`; `--from-json FILE`
//! renders a saved comparison again; `--install LIB` puts a library into mlstor's private
//! venv. `mlstor compare-worker` (hidden) is the Rust library's worker process.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use mlstor_compare::library::{self, LEGACY_PAIR, Library};
use mlstor_compare::run::{Native, Report};
use mlstor_compare::spec::{Op, Spec, Target};
use mlstor_compare::{render, worker};
use mlstor_store::{LoadBalance, store_for_uri};

use crate::GlobalArgs;
use crate::size::parse_size;

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Run one library (mlstor, mlstor-py, s3dlio, s3torchconnector, minio, boto3, obstore,
    /// azstoragetorch).
    #[arg(long, value_name = "LIB")]
    pub library: Option<String>,
    /// Compare these libraries.
    #[arg(long, num_args = 1.., value_name = "LIB")]
    pub compare: Vec<String>,
    /// Compare every library installed here that speaks the bucket's scheme.
    #[arg(long)]
    pub compare_all: bool,
    /// The seed scripts' two-way mode: mlstor against s3torchconnector.
    #[arg(long)]
    pub compare_libraries: bool,
    /// write, read, or both (each library reads what it wrote).
    #[arg(long, default_value = "both", value_parser = ["write", "read", "both"])]
    pub op: String,
    /// Objects per library, op and repeat.
    #[arg(long, default_value_t = 2000)]
    pub files: usize,
    /// Object size: a plain number is MB as in the seed scripts (100 = 100 MB), or 16MiB, 1GB...
    #[arg(long, default_value = "100", value_parser = parse_seed_size)]
    pub size: u64,
    /// Objects in flight, for every library.
    #[arg(long, default_value_t = 32)]
    pub threads: usize,
    /// Bucket name (S3) or URI: s3://b, az://container, gs://b, file:///dir [env: BUCKET].
    #[arg(long, env = "BUCKET")]
    pub bucket: Option<String>,
    /// Folder inside the bucket; each run makes its own below it and deletes it at the end.
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// Repeats; libraries take turns (the order rotates), medians and spread are reported.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Untimed warm-up objects per library and op.
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// Write every raw number to FILE (`--json` alone prints it on stdout).
    #[arg(long = "json-file", value_name = "FILE", hide = true)]
    pub json_file: Option<PathBuf>,
    /// Write a self-contained HTML page with the tables, bar charts and latency CDFs.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Render a comparison saved with --json again (text, --html) without running anything.
    #[arg(long, value_name = "FILE")]
    pub from_json: Option<PathBuf>,
    /// The Python that runs the Python libraries [env: MLSTOR_COMPARE_PYTHON; default: the
    /// private venv of --install if it exists, else python3].
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Install a library into mlstor's private venv (~/.cache/mlstor/compare-venv, or
    /// MLSTOR_COMPARE_VENV); repeatable; alone, it only installs.
    #[arg(long, value_name = "LIB")]
    pub install: Vec<String>,
    /// Compare your own library too: FILE.py defines make(job) returning an object with
    /// put(key, data) and get(key, on_first_byte); repeatable.
    #[arg(long, value_name = "NAME=FILE.py")]
    pub adapter: Vec<String>,
    /// Region for S3 [env: AWS_REGION, default us-east-1].
    #[arg(long)]
    pub region: Option<String>,
    /// Leave the objects in place.
    #[arg(long)]
    pub keep: bool,
    /// Compare the libraries inside DLIO instead: run this DLIO workload (a YAML file or a
    /// workload DLIO ships) once per library (s3dlio, s3torchconnector, minio, mlstor;
    /// --compare picks) with the DLIO 3.0.2 of --python (or MLSTOR_DLIO_PYTHON); figures side
    /// by side.
    #[arg(long, value_name = "WORKLOAD")]
    pub dlio: Option<String>,
    /// A DLIO override for every --dlio run (`++workload.train.epochs=2`); repeatable.
    #[arg(long, value_name = "OVERRIDE", allow_hyphen_values = true)]
    pub dlio_set: Vec<String>,
    /// MPI ranks per --dlio run (mpirun -np N).
    #[arg(long, default_value_t = 1)]
    pub ranks: usize,
    /// With --dlio: the dataset is already there; do not generate it first.
    #[arg(long)]
    pub no_generate: bool,
}

/// A plain number is MB (the seed scripts' unit); anything else as every other size flag.
fn parse_seed_size(s: &str) -> Result<u64, String> {
    match s.trim().parse::<f64>() {
        Ok(mb) if mb > 0.0 => Ok((mb * 1e6) as u64),
        _ => parse_size(s),
    }
}

/// `--json FILE` (the seed's spelling) for `compare`: the global `--json` is a flag, so a
/// following value that is not an option is taken as compare's output file.
pub fn rewrite_json_file(args: Vec<String>) -> Vec<String> {
    if !args.iter().any(|a| a == "compare") {
        return args;
    }
    // The subcommand: the first word that is neither an option nor a global option's value
    // (the options that take a value, from GlobalArgs itself).
    let globals = GlobalArgs::augment_args(clap::Command::new("mlstor"));
    let valued: Vec<String> = globals
        .get_arguments()
        .filter(|a| a.get_action().takes_values())
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    let mut at = None;
    let mut i = 1;
    while i < args.len() {
        if valued.contains(&args[i]) {
            i += 2;
        } else if args[i].starts_with('-') {
            i += 1;
        } else {
            at = Some(i);
            break;
        }
    }
    let Some(at) = at.filter(|&at| args[at] == "compare") else {
        return args;
    };
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.into_iter().enumerate().peekable();
    while let Some((i, a)) = it.next() {
        if i <= at {
            out.push(a);
        } else if let Some(file) = a.strip_prefix("--json=") {
            out.push(format!("--json-file={file}"));
        } else if a == "--json" && it.peek().is_some_and(|(_, n)| !n.starts_with('-')) {
            out.push("--json-file".into());
        } else {
            out.push(a);
        }
    }
    out
}

/// `--dlio WORKLOAD`: DLIO once per library (`python -m mlstor.dlio_compare`, which replaces
/// this process); the object-level flags do not apply and are refused.
fn dlio(g: &GlobalArgs, a: &CompareArgs, workload: &str) -> Result<()> {
    let object_flags = [
        ("--bucket", a.bucket.is_some()),
        ("--html", a.html.is_some()),
        ("--from-json", a.from_json.is_some()),
        ("--adapter", !a.adapter.is_empty()),
        ("--compare-all", a.compare_all),
        ("--compare-libraries", a.compare_libraries),
    ];
    if let Some((flag, _)) = object_flags.iter().find(|(_, set)| *set) {
        bail!("{flag} does not apply with --dlio (DLIO's workload names the data and the storage)");
    }
    let libraries: Vec<String> = match (&a.library, a.compare.is_empty()) {
        (Some(l), _) => vec![l.clone()],
        (None, false) => a.compare.clone(),
        (None, true) => ["s3dlio", "s3torchconnector", "minio", "mlstor"]
            .map(String::from)
            .to_vec(),
    };
    let mut args = vec![
        workload.to_string(),
        "--libraries".into(),
        libraries.join(","),
        "--repeat".into(),
        a.repeat.to_string(),
        "--np".into(),
        a.ranks.to_string(),
    ];
    match (&a.json_file, g.json) {
        (Some(f), _) => args.extend(["--json".into(), f.display().to_string()]),
        (None, true) => args.extend(["--json".into(), "-".into()]),
        (None, false) => {}
    }
    if a.keep {
        args.push("--keep".into());
    }
    if a.no_generate {
        args.push("--no-generate".into());
    }
    args.extend(a.dlio_set.iter().cloned());
    let env = super::dlio::env_from_flags(g)?;
    let python = super::dlio::python(a.python.as_ref(), || python(a));
    super::dlio::exec_module(&python, "mlstor.dlio_compare", &args, &env)
}

fn venv_dir() -> PathBuf {
    if let Some(v) = std::env::var_os("MLSTOR_COMPARE_VENV") {
        return PathBuf::from(v);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("mlstor").join("compare-venv")
}

fn python(a: &CompareArgs) -> PathBuf {
    if let Some(p) = &a.python {
        return p.clone();
    }
    if let Some(p) = std::env::var_os("MLSTOR_COMPARE_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = venv_dir().join("bin").join("python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

fn install(names: &[String]) -> Result<()> {
    let venv = venv_dir();
    let py = venv.join("bin").join("python");
    if !py.exists() {
        eprintln!("creating the venv {}", venv.display());
        let ok = std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .context("cannot run python3 -m venv")?;
        if !ok.success() {
            bail!("python3 -m venv {} failed ({ok})", venv.display());
        }
    }
    for n in names {
        let lib = lookup(n)?;
        if lib.pip.is_empty() {
            bail!("{}: {}", lib.name, lib.install_hint());
        }
        eprintln!("installing {} into {}", lib.pip.join(" "), venv.display());
        let ok = std::process::Command::new(&py)
            .args(["-m", "pip", "install", "--disable-pip-version-check"])
            .args(lib.pip)
            .status()
            .context("cannot run pip")?;
        if !ok.success() {
            bail!("pip install {} failed ({ok})", lib.pip.join(" "));
        }
    }
    Ok(())
}

fn lookup(name: &str) -> Result<&'static Library> {
    library::find(name).with_context(|| {
        let names: Vec<&str> = library::ALL.iter().map(|l| l.name).collect();
        format!("unknown library {name:?} (known: {})", names.join(", "))
    })
}

/// The libraries the flags name, in order, without repeats.
fn chosen(a: &CompareArgs, scheme: &str) -> Result<Vec<&'static Library>> {
    let mut names: Vec<String> = Vec::new();
    if let Some(l) = &a.library {
        names.push(l.clone());
    }
    names.extend(a.compare.iter().flat_map(|c| c.split(',')).map(str::to_string));
    if a.compare_libraries {
        names.extend(LEGACY_PAIR.iter().map(|s| s.to_string()));
    }
    let mut out: Vec<&'static Library> = Vec::new();
    if a.compare_all {
        out.extend(Spec::all_for(scheme));
    }
    for n in names.iter().filter(|n| !n.trim().is_empty()) {
        let l = lookup(n.trim())?;
        if !out.contains(&l) {
            out.push(l);
        }
    }
    Ok(out)
}

/// The endpoints the Python libraries are pointed at: `--endpoint`, else the environment's.
fn endpoints(g: &GlobalArgs, scheme: &str) -> Vec<String> {
    if !g.endpoints.is_empty() {
        return g.endpoints.clone();
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let e = match scheme {
        "s3" => env("AWS_ENDPOINT_URL_S3").or_else(|| env("AWS_ENDPOINT_URL")),
        "gs" => env("STORAGE_EMULATOR_HOST"),
        _ => None,
    };
    e.into_iter().collect()
}

/// The global store flags, for the Rust worker's command line.
fn native_args(g: &GlobalArgs) -> Vec<String> {
    let mut v = Vec::new();
    for e in &g.endpoints {
        v.extend(["--endpoint".to_string(), e.clone()]);
    }
    let mut opt = |flag: &str, value: Option<String>| {
        if let Some(x) = value {
            v.extend([flag.to_string(), x]);
        }
    };
    opt(
        "--load-balance",
        g.load_balance.map(|l| {
            match l {
                LoadBalance::RoundRobin => "round_robin",
                LoadBalance::Random => "random",
                LoadBalance::LeastOutstanding => "least_outstanding",
            }
            .to_string()
        }),
    );
    opt("--part-size", g.part_size.map(|x| x.to_string()));
    opt("--part-concurrency", g.part_concurrency.map(|x| x.to_string()));
    opt("--max-attempts", g.max_attempts.map(|x| x.to_string()));
    opt("--connect-timeout", g.connect_timeout.map(|x| x.to_string()));
    opt("--idle-timeout", g.idle_timeout.map(|x| x.to_string()));
    opt("--rank", g.rank.map(|x| x.to_string()));
    if g.pin_rank {
        v.push("--pin-rank".into());
    }
    v
}

/// Bytes of object data a worker may hold at once: a quarter of this host's memory, at most
/// 8 GiB.
fn batch_bytes() -> usize {
    let total = mlstor_bench::host::HostInfo::current().memory_bytes;
    let quarter = if total > 0 { total / 4 } else { 2 << 30 };
    quarter.min(8 << 30) as usize
}

pub async fn run(g: &GlobalArgs, a: &CompareArgs) -> Result<()> {
    if let Some(workload) = &a.dlio {
        return dlio(g, a, workload);
    }
    if !a.install.is_empty() {
        install(&a.install)?;
        if a.library.is_none() && a.compare.is_empty() && !a.compare_all && !a.compare_libraries {
            return Ok(());
        }
    }
    let report = match &a.from_json {
        Some(p) => read_report(p)?,
        None => measure(g, a).await?,
    };
    output(g, a, &report)
}

async fn measure(g: &GlobalArgs, a: &CompareArgs) -> Result<Report> {
    let Some(bucket) = &a.bucket else {
        bail!("--bucket is required (a bucket name, or s3:// az:// gs:// file:// URI; env BUCKET)");
    };
    let target = Target::parse(bucket)?;
    let mut plugins = Vec::new();
    for p in &a.adapter {
        let (name, file) = p
            .split_once('=')
            .with_context(|| format!("--adapter {p:?}: expected NAME=FILE.py"))?;
        let file = std::fs::canonicalize(file).with_context(|| format!("--adapter {p:?}: {file}"))?;
        plugins.push((name.to_string(), file));
    }
    let spec = Spec {
        libraries: chosen(a, &target.scheme)?,
        ops: match a.op.as_str() {
            "write" => vec![Op::Write],
            "read" => vec![Op::Read],
            _ => vec![Op::Write, Op::Read],
        },
        files: a.files,
        size: usize::try_from(a.size).context("--size does not fit in memory")?,
        threads: a.threads,
        endpoints: endpoints(g, &target.scheme),
        region: a
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .unwrap_or_else(|| "us-east-1".into()),
        prefix: a.prefix.clone(),
        repeat: a.repeat,
        warmup: a.warmup,
        python: python(a),
        plugins,
        keep: a.keep,
        batch_bytes: batch_bytes(),
        target,
    };
    spec.check()?;
    let root = spec.target.uri();
    let admin = store_for_uri(&root, &g.store_options(&root))?;
    let native = Native {
        exe: std::env::current_exe().context("cannot find the mlstor binary")?,
        args: native_args(g),
    };
    let quiet = g.json && a.json_file.is_none();
    let say = move |line: &str| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    Ok(mlstor_compare::run::run(&spec, admin, native, &say).await?)
}

fn read_report(p: &Path) -> Result<Report> {
    let text = std::fs::read_to_string(p).with_context(|| format!("{}", p.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a comparison saved by `mlstor compare --json`",
            p.display()
        )
    })
}

fn output(g: &GlobalArgs, a: &CompareArgs, r: &Report) -> Result<()> {
    let json = || serde_json::to_string_pretty(r).context("cannot write the comparison as JSON");
    if let Some(p) = &a.json_file {
        write_file(p, &json()?)?;
    }
    if let Some(p) = &a.html {
        write_file(p, &render::html(r))?;
    }
    if g.json && a.json_file.is_none() {
        println!("{}", json()?);
    } else {
        print!("{}", render::text(r));
    }
    Ok(())
}

/// Writes whole or not at all: a temporary file renamed into place.
fn write_file(p: &Path, text: &str) -> Result<()> {
    let tmp = p.with_extension("partial");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, p).with_context(|| format!("cannot write {}", p.display()))
}

/// `mlstor compare-worker`: one job of the Rust library (see `mlstor_compare::worker::native`).
pub async fn worker(g: &GlobalArgs) -> Result<()> {
    let opts = |uri: &str| g.store_options(uri);
    worker::native::serve(&opts).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn json_file_is_compare_only() {
        let cases = [
            (
                "mlstor compare --json out.json --files 8",
                "mlstor compare --json-file out.json --files 8",
            ),
            (
                "mlstor compare --json=o.json",
                "mlstor compare --json-file=o.json",
            ),
            (
                "mlstor compare --json --files 8",
                "mlstor compare --json --files 8",
            ),
            ("mlstor ls --json s3://b", "mlstor ls --json s3://b"),
            // Only after `compare`, and only when `compare` is the subcommand.
            (
                "mlstor --json compare --library mlstor",
                "mlstor --json compare --library mlstor",
            ),
            (
                "mlstor --endpoint http://h compare --json o.json",
                "mlstor --endpoint http://h compare --json-file o.json",
            ),
            ("mlstor cat compare --json x", "mlstor cat compare --json x"),
        ];
        for (given, expected) in cases {
            assert_eq!(rewrite_json_file(v(given)), v(expected), "{given}");
        }
    }

    #[test]
    fn seed_sizes() {
        assert_eq!(parse_seed_size("100"), Ok(100_000_000));
        assert_eq!(parse_seed_size("1MiB"), Ok(1 << 20));
        assert!(parse_seed_size("x").is_err());
    }
}
