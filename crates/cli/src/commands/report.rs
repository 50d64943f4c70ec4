//! `mlstor report`: reports from finished results folders alone, mlstor's or DLIO's own:
//! `report DIR` re-prints the end-of-run tables, `--html OUT` writes a self-contained page
//! with charts, `report A B` compares two runs figure by figure, and `report --op-log
//! FILE...` analyses the requests an op-log recorded.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use mlstor_bench::report::{compare, html, oplog, text, view::RunView};
use mlstor_bench::results::read::RunFolder;

use crate::GlobalArgs;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// A results folder (mlstor's or DLIO's); two to compare them (A, then B).
    #[arg(value_name = "DIR", num_args = 0..=2)]
    pub dirs: Vec<PathBuf>,
    /// Write the report of DIR as one self-contained HTML page with charts.
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,
    /// Analyse op-logs (from `--op-log` of run, generate, bench): per-operation latency
    /// and time to first byte, throughput over time segments. Repeat for several ranks.
    #[arg(long = "op-log", value_name = "FILE")]
    pub op_logs: Vec<PathBuf>,
    /// Length of the op-log's time segments in seconds (default: a tenth of the run, at
    /// most 1 s).
    #[arg(long, value_name = "SECS")]
    pub segment: Option<f64>,
}

fn open(dir: &Path) -> Result<RunFolder> {
    Ok(RunFolder::open(dir)?)
}

pub async fn run(g: &GlobalArgs, a: &ReportArgs) -> Result<()> {
    if !a.op_logs.is_empty() {
        if !a.dirs.is_empty() || a.html.is_some() {
            bail!("--op-log analyses op-logs only: give results folders in another call");
        }
        let segment = a
            .segment
            .map(|s| Duration::try_from_secs_f64(s).context("--segment must be a positive number of seconds"))
            .transpose()?;
        let analysis = oplog::analyze(&a.op_logs, segment)?;
        if g.json {
            return super::print_json(&serde_json::to_value(&analysis)?);
        }
        print!("{}", oplog::render(&analysis));
        return Ok(());
    }
    match a.dirs.as_slice() {
        [] => bail!("give a results folder (or two to compare), or --op-log FILE"),
        [dir] => {
            let folder = open(dir)?;
            let view = RunView::of(&folder);
            if let Some(out) = &a.html {
                std::fs::write(out, html::render(&view))
                    .with_context(|| format!("cannot write {}", out.display()))?;
                if !g.json {
                    eprintln!("report: {}", out.display());
                }
            }
            if g.json {
                return super::print_json(&serde_json::to_value(&view)?);
            }
            if a.html.is_none() {
                print!("{}", text::render_folder(&folder));
            }
            Ok(())
        }
        [da, db] => {
            if a.html.is_some() {
                bail!("--html writes the report of one folder; a comparison is text or --json");
            }
            let (va, vb) = (RunView::of(&open(da)?), RunView::of(&open(db)?));
            let changes = compare::compare(&va, &vb);
            if g.json {
                return super::print_json(&serde_json::json!({
                    "a": {"title": va.title, "source": va.source, "folder": va.folder},
                    "b": {"title": vb.title, "source": vb.source, "folder": vb.folder},
                    "changes": changes,
                }));
            }
            print!("{}", compare::render(&va, &vb, &changes));
            Ok(())
        }
        _ => bail!("at most two results folders"),
    }
}
