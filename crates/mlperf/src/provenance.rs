//! `provenance.json`, the stamp mlpstorage writes in every run folder
//! (`mlps-run-provenance/1`): the rules edition, the tool, the storage library, and the
//! `core-config-v1` hash of the parameters that define the workload, so that two runs with
//! the same hash are the same benchmark. The allowlists are mlpstorage's
//! `rules/core_config_keys.yaml` (`training@1`, `checkpointing@1`): site tunables (file counts,
//! paths, threads, storage) are left out so they never split one workload into several.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::edition::EDITION;
use crate::rules::BenchmarkType;

pub const FILE_NAME: &str = "provenance.json";
pub const SCHEMA: &str = "mlps-run-provenance/1";
pub const ALGORITHM: &str = "core-config-v1";

/// (allowlist id, include, exclude) per benchmark type; `prefix.*` matches below a prefix.
fn allowlist(t: BenchmarkType) -> (&'static str, &'static [&'static str], &'static [&'static str]) {
    match t {
        BenchmarkType::Training => (
            "training@1",
            &[
                "framework",
                "metric.au",
                "model.*",
                "workflow.*",
                "dataset.format",
                "dataset.num_samples_per_file",
                "dataset.record_length_bytes",
                "dataset.record_length_bytes_stdev",
                "dataset.record_length_bytes_resize",
                "dataset.record_length",
                "dataset.record_length_stdev",
                "dataset.record_length_resize",
                "reader.data_loader",
                "reader.batch_size",
                "reader.file_shuffle",
                "reader.sample_shuffle",
                "reader.shuffle_size",
                "train.epochs",
                "train.computation_time",
                "train.computation_time_stdev",
                "train.total_training_steps",
                "checkpoint.*",
            ],
            &["checkpoint.checkpoint_folder"],
        ),
        BenchmarkType::Checkpointing => (
            "checkpointing@1",
            &["framework", "model.*", "workflow.*", "checkpoint.*"],
            &[
                "checkpoint.checkpoint_folder",
                "checkpoint.num_checkpoints_write",
                "checkpoint.num_checkpoints_read",
            ],
        ),
    }
}

fn allowed(key: &str, include: &[&str], exclude: &[&str]) -> bool {
    !exclude.contains(&key)
        && include.iter().any(|e| match e.strip_suffix('*') {
            Some(prefix) => key.starts_with(prefix),
            None => key == *e,
        })
}

/// `{"a": {"b": 1}}` as `("a.b", 1)`.
fn flatten(v: &Value, prefix: &str, out: &mut Vec<(String, Value)>) {
    if let Value::Object(m) = v {
        for (k, val) in m {
            let key = format!("{prefix}{k}");
            if val.is_object() {
                flatten(val, &format!("{key}."), out);
            } else {
                out.push((key, val.clone()));
            }
        }
    }
}

/// mlpstorage's `_canon`: `7`, `7.0` and `"7"` hash alike; `"True"` is `true`.
fn canon(v: &Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(0.0);
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                json!(f as i64)
            } else {
                v.clone()
            }
        }
        Value::String(s) => {
            let t = s.trim();
            match t.to_ascii_lowercase().as_str() {
                "true" => return Value::Bool(true),
                "false" => return Value::Bool(false),
                _ => {}
            }
            if let Ok(i) = t.parse::<i64>() {
                return json!(i);
            }
            match t.parse::<f64>() {
                Ok(f) if f.is_finite() => canon(&json!(f)),
                _ => Value::String(t.to_string()),
            }
        }
        Value::Array(a) => Value::Array(a.iter().map(canon).collect()),
        _ => v.clone(),
    }
}

/// Python's `json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=True)`.
fn canonical_json(m: &std::collections::BTreeMap<String, Value>) -> String {
    let text = serde_json::to_string(m).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for u in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// The `core_config` block of a run's parameters (the workload file plus its overrides).
pub fn core_config(parameters: &Value, t: BenchmarkType) -> Value {
    let (id, include, exclude) = allowlist(t);
    let mut flat = Vec::new();
    flatten(parameters, "", &mut flat);
    let kept: std::collections::BTreeMap<String, Value> = flat
        .into_iter()
        .filter(|(k, _)| allowed(k, include, exclude))
        .map(|(k, v)| (k, canon(&v)))
        .collect();
    if kept.is_empty() {
        return json!({"algorithm": ALGORITHM, "allowlist": id, "hash": "unknown", "keys": []});
    }
    let digest = Sha256::digest(canonical_json(&kept).as_bytes());
    let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    json!({"algorithm": ALGORITHM, "allowlist": id, "hash": hash, "keys": kept.keys().collect::<Vec<_>>()})
}

/// The whole stamp for a run; `object` when the data is on an object store (mlstor is then
/// the storage library too), `stamped_at` in UTC (`2026-12-03T13:00:00Z`).
pub fn stamp(
    parameters: &Value,
    t: BenchmarkType,
    object: bool,
    tool_version: &str,
    stamped_at: &str,
) -> Value {
    let mut p = Map::new();
    let (library, library_tag) = if object {
        (
            json!({"name": "mlstor", "version": tool_version}),
            "tool-constant",
        )
    } else {
        (json!({"name": "none"}), "n/a")
    };
    p.insert("schema".into(), json!(SCHEMA));
    p.insert("rules_edition".into(), json!(EDITION));
    p.insert("layout_version".into(), json!(1));
    p.insert(
        "tool".into(),
        json!({"name": "mlstor", "version": tool_version, "git_sha": "unknown", "code_image": "unknown"}),
    );
    // mlstor runs the workloads itself: no DLIO is involved.
    p.insert(
        "dlio".into(),
        json!({"version": "none", "source": "none", "commit": "none"}),
    );
    p.insert("storage_library".into(), library);
    p.insert("core_config".into(), core_config(parameters, t));
    p.insert("stamped_at".into(), json!(stamped_at));
    p.insert("stamped_by".into(), json!(format!("mlstor {tool_version}")));
    p.insert(
        "provenance".into(),
        json!({
            "rules_edition": "tool-constant", "layout_version": "tool-constant",
            "tool": "tool-constant", "dlio": "n/a", "storage_library": library_tag, "core_config": "runtime",
        }),
    );
    Value::Object(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unet3d() -> Value {
        json!({
            "model": {"name": "unet3d", "model_size": 499153191}, "framework": "pytorch",
            "workflow": {"train": true, "checkpoint": false},
            "dataset": {"format": "npz", "num_files_train": 7200, "data_folder": "/mnt/a", "num_samples_per_file": 1,
                        "record_length_bytes": 146600628},
            "reader": {"batch_size": 7, "read_threads": 4},
            "train": {"epochs": 5, "computation_time": 0.162}, "metric": {"au": 0.9},
            "checkpoint": {"checkpoint_folder": "/ck"},
        })
    }

    #[test]
    fn site_tunables_do_not_change_the_hash() {
        let a = core_config(&unet3d(), BenchmarkType::Training);
        let mut other = unet3d();
        other["dataset"]["num_files_train"] = json!(28000);
        other["dataset"]["data_folder"] = json!("/elsewhere");
        other["reader"]["read_threads"] = json!(16);
        other["checkpoint"]["checkpoint_folder"] = json!("/ck2");
        other["reader"]["batch_size"] = json!("7"); // "7" and 7 hash alike
        assert_eq!(a, core_config(&other, BenchmarkType::Training));
        other["train"]["computation_time"] = json!(0.323);
        assert_ne!(a["hash"], core_config(&other, BenchmarkType::Training)["hash"]);
        assert_eq!(a["hash"].as_str().map(str::len), Some(16));
        assert!(
            !a["keys"]
                .as_array()
                .expect("keys")
                .contains(&json!("dataset.num_files_train"))
        );
    }

    #[test]
    fn stamps_have_every_field() {
        let s = stamp(
            &unet3d(),
            BenchmarkType::Training,
            false,
            "0.1.0",
            "2026-12-03T13:00:00Z",
        );
        for k in [
            "schema",
            "rules_edition",
            "layout_version",
            "tool",
            "dlio",
            "storage_library",
            "core_config",
            "stamped_at",
            "stamped_by",
            "provenance",
        ] {
            assert!(s.get(k).is_some(), "{k}");
        }
        assert_eq!(s["storage_library"], json!({"name": "none"}));
    }
}
