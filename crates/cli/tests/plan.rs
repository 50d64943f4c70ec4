//! `mlstor run --dry-run`: the plan (epochs, blocks, evaluations, checkpoints, files and
//! memory per rank) printed without touching storage.
mod common;

use common::{fails, ok};
use serde_json::Value;

#[test]
fn dry_run_prints_the_plan_and_touches_nothing() {
    let d = tempfile::tempdir().expect("tempdir");
    let text = ok(
        d.path(),
        &[
            "run",
            "unet3d_tiny",
            "--dry-run",
            "--set",
            "workflow.checkpoint=True",
            "--set",
            "checkpoint.steps_between_checkpoints=2",
        ],
    );
    assert!(text.contains("plan of unet3d_tiny: 1 rank(s)"), "{text}");
    assert!(
        text.contains("epoch 2: 4 steps, checkpoint after step 2, 4"),
        "{text}"
    );
    assert!(text.contains("memory per rank"), "{text}");
    let left: Vec<_> = std::fs::read_dir(d.path()).expect("ls").flatten().collect();
    assert!(
        left.is_empty(),
        "no dataset, checkpoint or results folder: {left:?}"
    );
    // --num-accelerators plans that many ranks (and does not start mpirun).
    let v: Value = serde_json::from_str(&ok(
        d.path(),
        &[
            "run",
            "unet3d_tiny",
            "--dry-run",
            "--json",
            "--num-accelerators",
            "4",
        ],
    ))
    .expect("json");
    assert_eq!(v["plan"]["ranks"], 4);
    assert_eq!(v["plan"]["generate_files"], 8);
    let epochs = v["plan"]["train"]["epochs"].as_array().expect("epochs");
    assert_eq!(epochs.len(), 2);
    assert_eq!(epochs[0]["steps"], 1, "8 samples, batch 2, 4 ranks");
    let memory = v["memory_per_rank"].as_array().expect("memory");
    assert_eq!(memory.len(), 4);
    assert!(
        memory
            .iter()
            .all(|m| m["loader"].as_u64().is_some_and(|b| b > 1 << 20))
    );
    // A plan that cannot be laid out is refused with the keys involved, before anything.
    fails(
        d.path(),
        &["run", "unet3d_tiny", "--dry-run", "--set", "reader.batch_size=64"],
        "cannot fill one step of reader.batch_size 64",
    );
    let ck: Value =
        serde_json::from_str(&ok(d.path(), &["run", "llama3_tiny", "--dry-run", "--json"])).expect("json");
    assert!(
        ck["plan"]["train"].is_null(),
        "a checkpoint-only plan has no epochs"
    );
    let ops: Vec<&str> = ck["plan"]["checkpoint"]["ops"]
        .as_array()
        .expect("ops")
        .iter()
        .map(|o| o["direction"].as_str().expect("direction"))
        .collect();
    assert_eq!(ops, ["save", "save", "restore", "restore"]);
    assert!(
        ck["memory_per_rank"][0]["checkpoint"]
            .as_u64()
            .is_some_and(|b| b > 0)
    );
}
