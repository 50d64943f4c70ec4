//! `mlstor report`: the end-of-run tables re-printed from a results folder alone, DLIO's own
//! folders read, two runs compared, an op-log analysed, and the HTML page rendered by a
//! real headless Chromium (its DOM after the page's script drew the charts).
mod common;

use std::path::{Path, PathBuf};

use common::{fails, json, marks, mlstor, ok, rendered};
use serde_json::Value;

fn dlio(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bench/tests/data/dlio/v3.0.2")
        .join(case)
}

/// A small training run with evaluation and checkpoints: (results folder, its stdout report).
fn training(dir: &Path, extra: &[&str]) -> (PathBuf, String) {
    let r = dir.join(format!("results-{}", extra.len()));
    let ck = format!("checkpoint.checkpoint_folder={}", dir.join("ck").display());
    let mut args = vec![
        "run",
        "unet3d_tiny",
        "--results-dir",
        r.to_str().expect("utf8"),
        "--set",
        "dataset.num_files_train=8",
        "--set",
        "dataset.num_files_eval=2",
        "--set",
        "dataset.record_length_bytes=65536",
        "--set",
        "workflow.evaluation=True",
        "--set",
        "workflow.checkpoint=True",
        "--set",
        "checkpoint.steps_between_checkpoints=2",
        "--set",
        &ck,
        "--set",
        "train.computation_time=0.002",
    ];
    args.extend_from_slice(extra);
    let out = ok(dir, &args);
    (r, out)
}

#[test]
fn report_reprints_the_end_of_run_tables_from_the_files() {
    let d = tempfile::tempdir().expect("tempdir");
    let (r, printed) = training(d.path(), &[]);
    assert!(printed.contains("AU check"), "{printed}");
    let again = ok(d.path(), &["report", r.to_str().expect("utf8")]);
    assert_eq!(again, printed, "the same tables, from results.json alone");
    // A checkpoint-only run too.
    let c = d.path().join("ckpt");
    let ck = format!("checkpoint.checkpoint_folder={}", d.path().join("ck2").display());
    let printed = ok(
        d.path(),
        &[
            "run",
            "llama3_tiny",
            "--results-dir",
            c.to_str().expect("utf8"),
            "--set",
            &ck,
        ],
    );
    let again = ok(d.path(), &["report", c.to_str().expect("utf8")]);
    let table = |t: &str| {
        t.lines()
            .filter(|l| !l.starts_with("saved ") && !l.starts_with("restored "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(table(&again), table(&printed));
}

#[test]
fn report_reads_dlio_folders() {
    let d = tempfile::tempdir().expect("tempdir");
    let summary = json(&dlio("train_eval").join("summary.json"));
    let text = ok(d.path(), &["report", dlio("train_eval").to_str().expect("utf8")]);
    let au = summary["metric"]["train_au_percentage"][0].as_f64().expect("au");
    assert!(text.contains(&format!("{au:.2}")), "epoch 1's AU {au:.2}: {text}");
    assert!(text.contains("train_au_meet_expectation"), "{text}");
    let v: Value = serde_json::from_str(&ok(
        d.path(),
        &[
            "report",
            dlio("checkpoint_only").to_str().expect("utf8"),
            "--json",
        ],
    ))
    .expect("json");
    assert_eq!(v["kind"], "checkpoint");
    assert_eq!(
        v["checkpoints"].as_array().expect("ops").len(),
        4,
        "2 saves, 2 restores"
    );
    fails(
        d.path(),
        &["report", dlio("datagen").to_str().expect("utf8")],
        "not a results folder",
    );
    fails(
        d.path(),
        &["report", "/nonexistent/folder"],
        "/nonexistent/folder",
    );
}

#[test]
fn report_compares_two_runs() {
    let d = tempfile::tempdir().expect("tempdir");
    let (a, _) = training(d.path(), &[]);
    let text = ok(
        d.path(),
        &[
            "report",
            a.to_str().expect("utf8"),
            dlio("train_eval").to_str().expect("utf8"),
        ],
    );
    assert!(
        text.contains("train AU %") && text.contains("B against A:"),
        "{text}"
    );
    let v: Value = serde_json::from_str(&ok(
        d.path(),
        &[
            "report",
            a.to_str().expect("utf8"),
            dlio("train_eval").to_str().expect("utf8"),
            "--json",
        ],
    ))
    .expect("json");
    let au = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["name"] == "train AU %")
        .expect("AU compared");
    let (x, y) = (au["a"].as_f64().expect("a"), au["b"].as_f64().expect("b"));
    let want = (y - x) / x * 100.0;
    assert!((au["change_percent"].as_f64().expect("change") - want).abs() < 1e-9);
    assert!(["better", "worse", "same"].contains(&au["verdict"].as_str().expect("verdict")));
}

#[test]
fn report_analyses_the_op_log() {
    let d = tempfile::tempdir().expect("tempdir");
    let log = d.path().join("ops.tsv.zst");
    let (r, _) = training(d.path(), &["--op-log", log.to_str().expect("utf8"), "--quiet"]);
    // Every sample read of every phase is one get_into record in the log.
    let results = json(&r.join("results.json"));
    let requests: u64 = results["per_rank"][0]["epochs"]
        .as_array()
        .expect("epochs")
        .iter()
        .flat_map(|e| {
            let mut v: Vec<&Value> = e["blocks"].as_array().expect("blocks").iter().collect();
            v.extend(e["eval"].as_object().map(|_| &e["eval"]));
            v
        })
        .map(|p| p["requests"].as_u64().expect("requests"))
        .sum();
    let v: Value = serde_json::from_str(&ok(
        d.path(),
        &["report", "--op-log", log.to_str().expect("utf8"), "--json"],
    ))
    .expect("json");
    let op = |name: &str| {
        v["ops"]
            .as_array()
            .expect("ops")
            .iter()
            .find(|o| o["op"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(op("get_into")["requests"].as_u64(), Some(requests), "{v}");
    assert!(
        op("put")["requests"].as_u64().is_some_and(|n| n >= 10),
        "generation's puts: {v}"
    );
    assert!(
        op("write")["requests"].as_u64().is_some_and(|n| n > 0),
        "checkpoint pieces: {v}"
    );
    let text = ok(d.path(), &["report", "--op-log", log.to_str().expect("utf8")]);
    assert!(text.contains("get_into") && text.contains("fastest"), "{text}");
}

#[test]
fn report_html_renders_in_a_real_browser() {
    let d = tempfile::tempdir().expect("tempdir");
    let (r, _) = training(d.path(), &["--quiet"]);
    let page = d.path().join("report.html");
    ok(
        d.path(),
        &[
            "report",
            r.to_str().expect("utf8"),
            "--html",
            page.to_str().expect("utf8"),
        ],
    );
    let Some(dom) = rendered(&page) else { return };
    assert!(
        dom.contains("<body data-rendered=\"ok\""),
        "the script drew the page: {}",
        &dom[..dom.len().min(2000)]
    );
    assert!(!dom.contains("id=\"render-error\""));
    let results = json(&r.join("results.json"));
    let epochs = results["summary"]["epochs"].as_array().expect("epochs").len() as u64;
    assert_eq!(
        marks(&dom, "chart-epoch-au"),
        Some(2 * epochs),
        "train and eval AU per epoch"
    );
    assert_eq!(marks(&dom, "chart-epoch-throughput"), Some(2 * epochs));
    let saves = results["summary"]["checkpoint"]["save"]["checkpoints"]
        .as_array()
        .expect("saves")
        .len() as u64;
    assert_eq!(marks(&dom, "chart-checkpoints"), Some(saves), "one bar per save");
    assert_eq!(marks(&dom, "chart-ranks"), Some(2), "AU and throughput of rank 0");
    assert!(
        marks(&dom, "chart-latency-0").is_some_and(|n| n > 0),
        "read latency histogram"
    );
    assert!(dom.contains("unet3d_tiny") && dom.contains("AU check"), "facts");
    assert!(dom.contains("model:"), "the resolved config");
    // DLIO's own folder, and a checkpoint run: a Gantt row per rank of saves and restores.
    let page2 = d.path().join("dlio.html");
    ok(
        d.path(),
        &[
            "report",
            dlio("checkpoint_only").to_str().expect("utf8"),
            "--html",
            page2.to_str().expect("utf8"),
        ],
    );
    let dom = rendered(&page2).expect("rendered");
    assert!(dom.contains("<body data-rendered=\"ok\""));
    assert_eq!(marks(&dom, "chart-checkpoints"), Some(4));
    assert_eq!(
        marks(&dom, "chart-epoch-au"),
        None,
        "no epochs in a checkpoint run"
    );
}

#[test]
fn report_bad_arguments_are_clear() {
    let d = tempfile::tempdir().expect("tempdir");
    fails(d.path(), &["report"], "give a results folder");
    let out = mlstor(d.path(), &["report", "--op-log", "/nonexistent.tsv"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.tsv"));
}
