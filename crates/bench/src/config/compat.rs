//! How the workload's keys are read, applied to the parsed YAML before the typed schema
//! sees it: DLIO 3.0.2 silently ignores every key it does not read, and MLPerf Storage
//! v3.0's files carry some (older spellings, keys in the wrong section, tool-specific
//! sections). Here each key is one of:
//!
//! - **ignored as DLIO ignores it** ([`IGNORED`], and unknown `storage_options` keys):
//!   accepted and listed in [`Reading::ignored`];
//! - **read under the name it obviously means** (`dataset.record_length` as
//!   `record_length_bytes`, `reader.storage_root` as `storage.storage_root`,
//!   `storage_type: s3dlio`, ...): moved there and listed in [`Reading::unlike_dlio`],
//!   since DLIO 3.0.2 would ignore or reject it;
//! - anything else goes to the schema, where an unknown key is a typo.

use std::collections::BTreeMap;

use serde_yaml_ng::{Mapping, Value};

use super::storage::StorageOptions;

/// What the reading found, for the loaded workload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// Keys DLIO 3.0.2 ignores, as key paths (`dataset.parquet.columns[].read`), once each.
    pub ignored: Vec<String>,
    /// Keys read where DLIO 3.0.2 would not, each with how.
    pub unlike_dlio: Vec<String>,
    /// `storage.storage_options` keys DLIO 3.0.2 does not read, kept.
    pub storage_other: BTreeMap<String, Value>,
    /// The same for mlstor's `checkpoint.storage_options`.
    pub checkpoint_storage_other: BTreeMap<String, Value>,
}

impl Reading {
    fn ignore(&mut self, path: String) {
        if !self.ignored.contains(&path) {
            self.ignored.push(path);
        }
    }

    fn unlike(&mut self, what: String) {
        if !self.unlike_dlio.contains(&what) {
            self.unlike_dlio.push(what);
        }
    }
}

/// Keys DLIO 3.0.2 accepts and never reads (`*`: any list item), and whether the schema
/// has a field for them (kept for the record, and for tools that may honour them later)
/// or they are dropped.
pub const IGNORED: &[(&[&str], Keep)] = &[
    (&["workflow", "debug"], Keep::Drop),
    (&["workflow", "query"], Keep::Drop),
    (&["reader", "data_loader_root"], Keep::Drop),
    (&["reader", "shuffle"], Keep::Drop),
    (&["reader", "checkpoint_folder"], Keep::Drop),
    (&["reader", "seed"], Keep::Drop),
    (&["reader", "protocol"], Keep::Drop),
    (&["storage", "protocol"], Keep::Drop),
    (&["generator"], Keep::Drop),
    (&["logging"], Keep::Drop),
    // mlpstorage injects these for later DLIO versions; 3.0.2 reads neither.
    (&["dataset", "num_files_generated"], Keep::Drop),
    (&["dataset", "total_disk_bytes"], Keep::Drop),
    (&["dataset", "parquet", "read_mode"], Keep::Field),
    (&["dataset", "parquet", "compression"], Keep::Field),
];

/// Whether an ignored key stays in the tree for its schema field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Field,
    Drop,
}

/// Whether the key at `path` is (inside) a key DLIO 3.0.2 ignores.
pub fn is_ignored(path: &[String]) -> bool {
    let (section, rest) = match path {
        [s, rest @ ..] if s == "data_reader" => ("reader", rest),
        [s, rest @ ..] => (s.as_str(), rest),
        [] => return false,
    };
    IGNORED.iter().any(|(pattern, _)| {
        pattern.len() <= path.len()
            && pattern[0] == section
            && pattern[1..].iter().zip(rest).all(|(p, k)| *p == "*" || p == k)
    })
}

/// DLIO takes `data_reader` over `reader`: before overrides apply, the section in effect is
/// named `reader` (an empty file is an empty mapping).
pub fn section_names(root: &mut Value, r: &mut Reading) {
    if root.is_null() {
        *root = Value::Mapping(Mapping::new());
    }
    let Value::Mapping(m) = root else { return };
    if let Some(dr) = m.remove("data_reader")
        && m.insert(Value::String("reader".into()), dr).is_some()
    {
        r.ignore("reader (data_reader is given, which DLIO reads instead)".into());
    }
}

/// An override's key path with `data_reader` read as `reader`.
pub fn override_path(mut path: Vec<String>) -> Vec<String> {
    if path.first().is_some_and(|s| s == "data_reader") {
        path[0] = "reader".into();
    }
    path
}

/// Applies the reading to `root` (after interpolation); an `Err` explains a file whose
/// shape cannot be a workload.
pub fn normalize(root: &mut Value, r: &mut Reading) -> Result<(), String> {
    let Value::Mapping(m) = root else {
        return Err(format!(
            "a workload is a mapping of sections (model:, dataset:, reader:, ...), not {}",
            kind(root)
        ));
    };
    if let Some(model) = m.get_mut("model")
        && let Value::String(name) = model
    {
        r.unlike(format!(
            "model: {name} as model.name (DLIO 3.0.2 needs a section and leaves the name `default`)"
        ));
        let mut inner = Mapping::new();
        inner.insert("name".into(), Value::String(name.clone()));
        *model = Value::Mapping(inner);
    }
    ignored_keys(root, r);
    reader_storage_keys(root, r);
    storage_keys(root, r);
    storage_type(root, r);
    record_length(root, r);
    parquet_read_flags(root, r);
    options_other(
        root,
        &["storage", "storage_options"],
        &mut r.storage_other,
        &mut r.ignored,
    );
    options_other(
        root,
        &["checkpoint", "storage_options"],
        &mut r.checkpoint_storage_other,
        &mut r.ignored,
    );
    parquet_columns(root);
    framework(root, r);
    if get(root, &["workflow", "checkpoint"]).and_then(Value::as_bool) == Some(true)
        && get(root, &["model", "model_size"]).is_some_and(|v| !v.is_null())
    {
        r.unlike(
            "model.model_size as the model's checkpoint size (DLIO 3.0.2 reads only model_size_bytes; \
             --dlio-compat does the same)"
                .into(),
        );
    }
    if get(root, &["reader", "data_loader_classname"]).and_then(Value::as_str) == Some(TORCH_DATALOADER)
        && get(root, &["reader", "data_loader_sampler"]).is_none()
    {
        r.unlike(format!(
            "reader.data_loader_classname {TORCH_DATALOADER} as the stock pytorch loader \
             (DLIO 3.0.2 also wants reader.data_loader_sampler)"
        ));
    }
    Ok(())
}

/// PyTorch's own loader class, which `data_loader: pytorch` uses anyway.
pub const TORCH_DATALOADER: &str = "torch.utils.data.DataLoader";

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

fn ignored_keys(root: &mut Value, r: &mut Reading) {
    for (pattern, keep) in IGNORED {
        let mut found = false;
        visit(root, pattern, *keep, &mut found);
        if found {
            let shown = pattern.join(".").replace(".*.", "[].");
            r.ignore(shown);
        }
    }
}

/// Finds (and, for `Keep::Drop`, removes) the keys matching `pattern` under `v`.
fn visit(v: &mut Value, pattern: &[&str], keep: Keep, found: &mut bool) {
    match (pattern, v) {
        ([last], Value::Mapping(m)) => {
            let present = if keep == Keep::Drop {
                m.remove(*last).is_some()
            } else {
                m.contains_key(*last)
            };
            *found |= present;
        }
        (["*", rest @ ..], Value::Sequence(s)) => {
            for x in s {
                visit(x, rest, keep, found);
            }
        }
        ([head, rest @ ..], Value::Mapping(m)) if !rest.is_empty() => {
            if let Some(x) = m.get_mut(*head) {
                visit(x, rest, keep, found);
            }
        }
        _ => {}
    }
}

/// `reader.storage_*` (the s3dlio examples put storage keys under `reader:`).
fn reader_storage_keys(root: &mut Value, r: &mut Reading) {
    for key in [
        "storage_type",
        "storage_root",
        "storage_library",
        "storage_options",
        "endpoint_uris",
        "load_balance_strategy",
        "use_mpi_endpoint_distribution",
    ] {
        move_key(root, &["reader", key], &["storage", key], r);
    }
}

/// Storage keys DLIO 3.0.2 reads only inside `storage_options`.
fn storage_keys(root: &mut Value, r: &mut Reading) {
    if get(root, &["storage", "storage_options"]).is_some_and(Value::is_null) {
        set(
            root,
            &["storage", "storage_options"],
            Value::Mapping(Mapping::new()),
        );
        r.unlike("storage.storage_options: (empty) as no options (DLIO 3.0.2 stops on it)".into());
    }
    if get(root, &["checkpoint", "storage_options"]).is_some_and(Value::is_null)
        && let Some(Value::Mapping(c)) = get_mut(root, &["checkpoint"])
    {
        c.remove("storage_options");
    }
    for key in [
        "endpoint_uris",
        "load_balance_strategy",
        "use_mpi_endpoint_distribution",
        "s3_force_path_style",
    ] {
        move_key(root, &["storage", key], &["storage", "storage_options", key], r);
    }
}

/// `storage_type: s3dlio` / `object` (the multi-library examples): object storage (or the
/// file system) through that library, the scheme taken from `storage_root`, else
/// `storage_options.uri_scheme`, else S3.
fn storage_type(root: &mut Value, r: &mut Reading) {
    let Some(given) = get(root, &["storage", "storage_type"])
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return;
    };
    if given != "s3dlio" && given != "object" {
        return;
    }
    let root_scheme = get(root, &["storage", "storage_root"])
        .and_then(Value::as_str)
        .and_then(|s| s.split_once("://").map(|(scheme, _)| scheme.to_string()));
    let option_scheme = get(root, &["storage", "storage_options", "uri_scheme"])
        .and_then(Value::as_str)
        .map(|s| s.trim_end_matches([':', '/']).to_string());
    let scheme = root_scheme.or(option_scheme).unwrap_or_else(|| "s3".into());
    let storage_type = match scheme.as_str() {
        "az" | "azure" => "azure",
        "gs" | "gcs" => "gcs",
        "file" => "local_fs",
        "direct" => "direct_fs",
        _ => "s3",
    };
    set(
        root,
        &["storage", "storage_type"],
        Value::String(storage_type.into()),
    );
    let mut how = format!("storage.storage_type {given} as {storage_type}");
    if given == "s3dlio" && get(root, &["storage", "storage_library"]).is_none() {
        set(
            root,
            &["storage", "storage_library"],
            Value::String("s3dlio".into()),
        );
        how.push_str(" with storage_library s3dlio");
    }
    r.unlike(format!("{how} (DLIO 3.0.2 rejects {given})"));
}

/// `dataset.parquet.columns[].read` (MLPerf's DLRM files): mlstor reads only the columns
/// marked `read: true`, where DLIO 3.0.2 ignores the flag and reads every column.
fn parquet_read_flags(root: &Value, r: &mut Reading) {
    let Some(Value::Sequence(columns)) = get(root, &["dataset", "parquet", "columns"]) else {
        return;
    };
    let read = columns
        .iter()
        .filter(|c| c.get("read").and_then(Value::as_bool) == Some(true))
        .count();
    if read > 0 {
        r.unlike(format!(
            "dataset.parquet.columns[].read: only the {read} of {} columns marked `read: true` are read \
             (DLIO 3.0.2 ignores the flag and reads every column)",
            columns.len()
        ));
    }
}

/// `dataset.record_length*`: the older spelling of `record_length_bytes*`.
fn record_length(root: &mut Value, r: &mut Reading) {
    for (old, new) in [
        ("record_length", "record_length_bytes"),
        ("record_length_stdev", "record_length_bytes_stdev"),
        ("record_length_resize", "record_length_bytes_resize"),
    ] {
        move_key(root, &["dataset", old], &["dataset", new], r);
    }
}

/// Moves `from` to `to` unless `to` is given (then `from` is ignored, as DLIO ignores it).
fn move_key(root: &mut Value, from: &[&str], to: &[&str], r: &mut Reading) {
    let Some(v) = take(root, from) else { return };
    let (f, t) = (from.join("."), to.join("."));
    if get(root, to).is_some() {
        r.ignore(format!("{f} ({t} is given)"));
    } else {
        set(root, to, v);
        r.unlike(format!("{f} as {t}"));
    }
}

/// Moves the `storage_options` keys DLIO 3.0.2 does not read out of the tree.
fn options_other(
    root: &mut Value,
    at: &[&str],
    other: &mut BTreeMap<String, Value>,
    ignored: &mut Vec<String>,
) {
    let Some(Value::Mapping(m)) = get_mut(root, at) else {
        return;
    };
    let unknown: Vec<Value> = m
        .keys()
        .filter(|k| k.as_str().is_none_or(|k| !StorageOptions::KEYS.contains(&k)))
        .cloned()
        .collect();
    for k in unknown {
        let name = match &k {
            Value::String(s) => s.clone(),
            other => serde_yaml_ng::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        };
        if let Some(v) = m.remove(&k) {
            let path = format!("{}.{name}", at.join("."));
            if !ignored.contains(&path) {
                ignored.push(path);
            }
            other.insert(name, v);
        }
    }
}

/// A bare string in `dataset.parquet.columns` is a column name (DLIO 3.0.2).
fn parquet_columns(root: &mut Value) {
    if let Some(Value::Sequence(cols)) = get_mut(root, &["dataset", "parquet", "columns"]) {
        for c in cols {
            if let Value::String(name) = c {
                let mut m = Mapping::new();
                m.insert("name".into(), Value::String(name.clone()));
                *c = Value::Mapping(m);
            }
        }
    }
}

/// A file that names no framework but a pytorch loader means pytorch (DLIO 3.0.2 keeps its
/// default, tensorflow, and then refuses the pair).
fn framework(root: &mut Value, r: &mut Reading) {
    if get(root, &["framework"]).is_none()
        && get(root, &["reader", "data_loader"]).and_then(Value::as_str) == Some("pytorch")
    {
        set(root, &["framework"], Value::String("pytorch".into()));
        r.unlike("framework (not set) as pytorch, as reader.data_loader says".into());
    }
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.as_mapping()?.get(*k))
}

fn get_mut<'a>(v: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, k| v.as_mapping_mut()?.get_mut(*k))
}

fn take(v: &mut Value, path: &[&str]) -> Option<Value> {
    let (last, parent) = path.split_last()?;
    get_mut(v, parent)?.as_mapping_mut()?.remove(*last)
}

/// Sets `path`, creating (or replacing empty) sections on the way; a non-section on the
/// way is left alone (the schema reports it).
fn set(v: &mut Value, path: &[&str], value: Value) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for k in parent {
        let Some(m) = cur.as_mapping_mut() else { return };
        let next = m.entry(Value::String((*k).into())).or_insert(Value::Null);
        if next.is_null() {
            *next = Value::Mapping(Mapping::new());
        }
        cur = next;
    }
    if let Some(m) = cur.as_mapping_mut() {
        m.insert(Value::String((*last).into()), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(yaml: &str) -> (Value, Reading) {
        let mut v: Value = serde_yaml_ng::from_str(yaml).expect("yaml");
        let mut r = Reading::default();
        section_names(&mut v, &mut r);
        normalize(&mut v, &mut r).expect("normalize");
        (v, r)
    }

    #[test]
    fn ignored_keys_are_listed_once_and_dropped_or_kept() {
        let (v, r) = read(
            "workflow: {debug: false, train: true}\ngenerator: {num_workers: 4}\n\
             dataset:\n  parquet:\n    read_mode: row_group\n    columns:\n      - {name: a, read: true}\n      - {name: b, read: false}\n",
        );
        assert_eq!(
            r.ignored,
            ["workflow.debug", "generator", "dataset.parquet.read_mode",]
        );
        assert_eq!(
            r.unlike_dlio,
            [
                "dataset.parquet.columns[].read: only the 1 of 2 columns marked `read: true` are read \
              (DLIO 3.0.2 ignores the flag and reads every column)"
            ]
        );
        assert!(get(&v, &["workflow", "debug"]).is_none() && get(&v, &["generator"]).is_none());
        assert!(
            get(&v, &["dataset", "parquet", "read_mode"]).is_some(),
            "kept for its field"
        );
        assert!(is_ignored(&[
            "dataset".into(),
            "parquet".into(),
            "read_mode".into()
        ]));
        assert!(is_ignored(&["data_reader".into(), "shuffle".into()]));
        assert!(!is_ignored(&["reader".into(), "batch_size".into()]));
    }

    #[test]
    fn older_spellings_and_misplaced_keys_are_read_as_meant() {
        let (v, r) = read(
            "model: resnet50\ndataset: {record_length: 10, record_length_stdev: 0, record_length_bytes_resize: 5, record_length_resize: 7}\n\
             reader: {data_loader: pytorch, storage_library: s3dlio, storage_root: b/p, storage_options: {region: r}}\n\
             storage: {endpoint_uris: [a, b], use_mpi_endpoint_distribution: true}\n",
        );
        assert_eq!(
            get(&v, &["model", "name"]).and_then(Value::as_str),
            Some("resnet50")
        );
        assert_eq!(
            get(&v, &["dataset", "record_length_bytes"]).and_then(Value::as_u64),
            Some(10)
        );
        assert_eq!(
            get(&v, &["dataset", "record_length_bytes_resize"]).and_then(Value::as_u64),
            Some(5),
            "the _bytes spelling wins"
        );
        assert!(
            r.ignored.contains(
                &"dataset.record_length_resize (dataset.record_length_bytes_resize is given)".into()
            )
        );
        assert_eq!(
            get(&v, &["storage", "storage_library"]).and_then(Value::as_str),
            Some("s3dlio")
        );
        assert_eq!(
            get(&v, &["storage", "storage_root"]).and_then(Value::as_str),
            Some("b/p")
        );
        let o = get(&v, &["storage", "storage_options"]).expect("options");
        assert_eq!(o["region"].as_str(), Some("r"));
        assert_eq!(o["endpoint_uris"][1].as_str(), Some("b"));
        assert_eq!(o["use_mpi_endpoint_distribution"].as_bool(), Some(true));
        assert_eq!(get(&v, &["framework"]).and_then(Value::as_str), Some("pytorch"));
        for what in [
            "model: resnet50",
            "dataset.record_length as",
            "reader.storage_library as storage.storage_library",
            "storage.endpoint_uris as storage.storage_options.endpoint_uris",
            "framework (not set) as pytorch",
        ] {
            assert!(
                r.unlike_dlio.iter().any(|u| u.starts_with(what)),
                "{what}: {:?}",
                r.unlike_dlio
            );
        }
    }

    #[test]
    fn s3dlio_and_object_storage_types() {
        let ty = |yaml: &str| {
            let (v, r) = read(yaml);
            let s = |p: &[&str]| get(&v, p).and_then(Value::as_str).map(str::to_string);
            (
                s(&["storage", "storage_type"]),
                s(&["storage", "storage_library"]),
                r.unlike_dlio,
            )
        };
        let (t, lib, how) = ty("storage: {storage_type: s3dlio, storage_root: 's3://b/p'}");
        assert_eq!((t.as_deref(), lib.as_deref()), (Some("s3"), Some("s3dlio")));
        assert!(
            how[0].contains("s3dlio as s3 with storage_library s3dlio"),
            "{how:?}"
        );
        assert_eq!(
            ty("storage: {storage_type: s3dlio, storage_root: 'az://c/p'}")
                .0
                .as_deref(),
            Some("azure")
        );
        assert_eq!(
            ty("storage: {storage_type: s3dlio, storage_root: 'file:///x'}")
                .0
                .as_deref(),
            Some("local_fs")
        );
        assert_eq!(
            ty("storage: {storage_type: s3dlio, storage_root: b, storage_options: {uri_scheme: direct}}")
                .0
                .as_deref(),
            Some("direct_fs")
        );
        let (t, lib, _) = ty("storage: {storage_type: object, storage_library: minio, storage_root: b}");
        assert_eq!((t.as_deref(), lib.as_deref()), (Some("s3"), Some("minio")));
        assert_eq!(
            ty("storage: {storage_type: s3}").0.as_deref(),
            Some("s3"),
            "DLIO's own values stay"
        );
    }

    #[test]
    fn unknown_storage_options_are_kept_aside_and_empty_options_are_none() {
        let (v, r) = read(
            "storage:\n  storage_options: {region: r, my_knob: 3}\ncheckpoint:\n  storage_options: {zz: 1}\n",
        );
        assert_eq!(r.storage_other.get("my_knob"), Some(&Value::Number(3.into())));
        assert_eq!(
            r.checkpoint_storage_other.get("zz"),
            Some(&Value::Number(1.into()))
        );
        assert_eq!(
            r.ignored,
            ["storage.storage_options.my_knob", "checkpoint.storage_options.zz"]
        );
        assert!(get(&v, &["storage", "storage_options", "my_knob"]).is_none());
        let (v, r) = read("storage:\n  storage_options:\n");
        assert!(get(&v, &["storage", "storage_options"]).is_some_and(Value::is_mapping));
        assert!(r.unlike_dlio[0].contains("(empty) as no options"));
    }

    #[test]
    fn data_reader_wins_over_reader() {
        let (v, r) = read("reader: {batch_size: 1}\ndata_reader: {batch_size: 2}\n");
        assert_eq!(
            get(&v, &["reader", "batch_size"]).and_then(Value::as_u64),
            Some(2)
        );
        assert!(r.ignored[0].starts_with("reader (data_reader"), "{:?}", r.ignored);
        assert_eq!(
            override_path(vec!["data_reader".into(), "x".into()]),
            ["reader", "x"]
        );
    }

    #[test]
    fn a_workload_must_be_a_mapping() {
        let mut v = Value::String("hello".into());
        let e = normalize(&mut v, &mut Reading::default()).expect_err("not a mapping");
        assert!(e.contains("mapping of sections") && e.contains("a string"), "{e}");
    }
}
