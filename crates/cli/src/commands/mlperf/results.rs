//! `mlstor mlperf init | validate | status | reportgen`: a finished results tree, read back
//! (mlstor's or mlpstorage + DLIO's), checked, summarised and tabulated.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use mlstor_mlperf::report::{self, load};
use mlstor_mlperf::rules::Validation;
use mlstor_mlperf::tree;
use serde_json::{Value, json};

use crate::GlobalArgs;

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The organisation submitting (letters, digits, '.', '_', '-').
    pub orgname: String,
    /// The results folder [default: mlperf-results].
    pub results_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct TreeArgs {
    /// A results folder (its root, or any folder under it).
    pub dir: PathBuf,
    /// Every finding, the CLOSED ones included.
    #[arg(long)]
    pub verbose: bool,
}

#[derive(Args, Debug)]
pub struct ReportgenArgs {
    /// A results folder.
    pub dir: PathBuf,
    /// Where results.csv and results.json go [default: DIR].
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

pub fn init(a: &InitArgs) -> Result<()> {
    let dir = a
        .results_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("mlperf-results"));
    if a.orgname.is_empty()
        || !a
            .orgname
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        || a.orgname == "."
        || a.orgname == ".."
    {
        bail!(
            "organisation name {:?}: letters, digits, '.', '_', '-' only (it is a folder name)",
            a.orgname
        );
    }
    let path = dir.join(super::session::SENTINEL);
    if let Some(old) = super::session::read_sentinel(&dir)?
        && old != a.orgname
    {
        bail!(
            "{} already records organisation {old:?}; a results folder belongs to one organisation",
            path.display()
        );
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&path, format!("orgname: {}\n", a.orgname))
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("{}: results of {}", dir.display(), a.orgname);
    Ok(())
}

pub fn validate(g: &GlobalArgs, a: &TreeArgs) -> Result<()> {
    let (groups, skipped) = load(&a.dir)?;
    if g.json {
        let v: Vec<Value> = groups
            .iter()
            .map(|(grp, v)| json!({"mode": grp.mode, "orgname": grp.orgname, "systemname": grp.systemname, "verdict": v}))
            .collect();
        crate::commands::print_json(
            &json!({"results": v, "skipped": skipped.iter().map(|s| json!({"path": s.path, "why": s.why})).collect::<Vec<_>>()}),
        )?;
    } else {
        for (grp, v) in &groups {
            println!(
                "{}: {} ({} run folder(s))",
                grp.title(v),
                v.category,
                grp.runs.len()
            );
            for i in v
                .issues
                .iter()
                .filter(|i| a.verbose || i.validation != Validation::Closed)
            {
                println!("  {i}");
            }
            for (command, at, rv) in &v.runs {
                let shown: Vec<_> = rv
                    .issues
                    .iter()
                    .filter(|i| a.verbose || i.validation != Validation::Closed)
                    .collect();
                if !shown.is_empty() || a.verbose {
                    println!("  {command} {at}: {}", rv.category);
                    for i in shown {
                        println!("    {i}");
                    }
                }
            }
        }
        for s in &skipped {
            println!("skipped {}: {}", s.path.display(), s.why);
        }
        if groups.is_empty() {
            println!("no runs under {}", a.dir.display());
        }
    }
    if groups.iter().any(|(_, v)| v.category == Validation::Invalid) {
        bail!("INVALID results under {}", a.dir.display());
    }
    Ok(())
}

pub fn status(g: &GlobalArgs, a: &TreeArgs) -> Result<()> {
    let (groups, skipped) = load(&a.dir)?;
    let mut rows = Vec::new();
    for (grp, v) in &groups {
        let (state, missing) = report::status(&a.dir, grp, v);
        rows.push(json!({"result": grp.title(v), "status": state, "category": v.category.to_string(), "missing": missing}));
    }
    if g.json {
        return crate::commands::print_json(&json!({"results": rows, "skipped": skipped.len()}));
    }
    for r in &rows {
        println!(
            "{:<9} {}",
            r["status"].as_str().unwrap_or(""),
            r["result"].as_str().unwrap_or("")
        );
        for m in r["missing"].as_array().into_iter().flatten() {
            println!("          - {}", m.as_str().unwrap_or(""));
        }
    }
    for s in &skipped {
        println!("skipped {}: {}", s.path.display(), s.why);
    }
    if rows.is_empty() {
        println!("no runs under {}", a.dir.display());
    }
    Ok(())
}

pub fn reportgen(g: &GlobalArgs, a: &ReportgenArgs) -> Result<()> {
    let start = std::time::Instant::now();
    let (groups, skipped) = load(&a.dir)?;
    let cols = report::columns();
    let rows: Vec<BTreeMap<String, Value>> = groups
        .iter()
        .map(|(grp, v)| report::row(&a.dir, grp, v))
        .collect();
    let out = a.output.clone().unwrap_or_else(|| a.dir.clone());
    let mut csv = cols
        .iter()
        .map(|c| report::csv_field(&json!(c)))
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    for r in &rows {
        csv.push_str(
            &cols
                .iter()
                .map(|c| report::csv_field(&r[c]))
                .collect::<Vec<_>>()
                .join(","),
        );
        csv.push('\n');
    }
    let list: Vec<Value> = rows
        .iter()
        .map(|r| Value::Object(cols.iter().map(|c| (c.clone(), r[c].clone())).collect()))
        .collect();
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let csv_path = out.join("results.csv");
    let tmp = out.join(".results.csv.tmp");
    std::fs::write(&tmp, csv)
        .and_then(|()| std::fs::rename(&tmp, &csv_path))
        .with_context(|| format!("cannot write {}", csv_path.display()))?;
    tree::write_json(&out, "results.json", &Value::Array(list))?;
    let runs: usize = groups.iter().map(|(g, _)| g.runs.len()).sum();
    if g.json {
        return crate::commands::print_json(
            &json!({"results_csv": csv_path, "rows": rows.len(), "runs": runs, "skipped": skipped.len(), "seconds": start.elapsed().as_secs_f64()}),
        );
    }
    for (grp, v) in &groups {
        println!("{}: {}", grp.title(v), v.category);
    }
    for s in &skipped {
        println!("skipped {}: {}", s.path.display(), s.why);
    }
    println!(
        "{} row(s) from {runs} run folder(s) in {:.2} s: {} and results.json",
        rows.len(),
        start.elapsed().as_secs_f64(),
        csv_path.display()
    );
    Ok(())
}
