//! Workload configuration: DLIO 3.0.2's YAML schema with its defaults ([`schema`],
//! [`storage`]), how the keys of real workload files are read ([`compat`]: what DLIO ignores,
//! older spellings), Hydra/OmegaConf interpolation and `${VAR}`s ([`interpolate`]),
//! command-line overrides ([`overrides`]), and validation with errors that name the YAML
//! key path and the closest valid key.
//!
//! ```
//! let w = mlstor_bench::config::load("unet3d_h100", &["dataset.num_files_train=4".into()], &|_| None)?;
//! assert_eq!(w.dataset.num_files_train, 4);
//! assert_eq!(w.reader.batch_size, 7);
//! # Ok::<(), mlstor_bench::config::ConfigError>(())
//! ```

pub mod compat;
pub mod interpolate;
mod lenient;
pub mod overrides;
pub mod schema;
pub mod storage;
mod validate;

use std::path::Path;

use serde_yaml_ng::Value;

pub use schema::Workload;

use crate::workloads;

/// What can go wrong reading a workload. Each names the file and the key path at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read workload file {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{name:?} is neither a workload file nor a shipped workload (shipped: {})", known.join(", "))]
    UnknownWorkload { name: String, known: Vec<String> },
    #[error("{file}: malformed YAML: {message}")]
    Yaml { file: String, message: String },
    #[error("{file}{}: `{key}` = {expr}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Interpolation {
        file: String,
        key: String,
        expr: String,
        /// The file's line holding it (none when it came from an override).
        line: Option<usize>,
        message: String,
    },
    #[error("{file}: unknown key `{path}`{}", suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownKey {
        file: String,
        path: String,
        suggestion: Option<String>,
    },
    #[error("{file}: `{path}`: {message}")]
    InvalidValue {
        file: String,
        path: String,
        message: String,
    },
    #[error("invalid override {arg:?}: {reason}")]
    BadOverride { arg: String, reason: String },
    #[error("{file}: {reason}")]
    Invalid { file: String, reason: String },
}

/// Reads a workload (a YAML path or the name of a shipped workload), applies `overrides`
/// (`key.path=value`), resolves interpolations (`${key.path}`, `${oc.env:VAR}`, `${VAR}`
/// from `env`), reads the keys as [`compat`] says, fills DLIO's defaults and validates.
/// The keys DLIO 3.0.2 ignores, and those read where it would not, come back on the
/// workload ([`messages`] words them).
pub fn load(
    source: &str,
    overrides: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Workload, ConfigError> {
    let (file, text) = read_source(source)?;
    let mut value: Value = serde_yaml_ng::from_str(&text).map_err(|e| ConfigError::Yaml {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let mut reading = compat::Reading::default();
    compat::section_names(&mut value, &mut reading);
    for arg in overrides {
        let bad = |reason: String| ConfigError::BadOverride {
            arg: arg.clone(),
            reason,
        };
        let mut o = overrides::parse(arg).map_err(bad)?;
        o.path = compat::override_path(o.path);
        overrides::apply(&mut value, &o).map_err(bad)?;
    }
    let (mut value, interpolated) =
        interpolate::resolve(&value, env, &compat::is_ignored).map_err(|e| ConfigError::Interpolation {
            line: line_of(&text, &e.expr),
            file: file.clone(),
            key: e.key,
            expr: e.expr,
            message: e.message,
        })?;
    compat::normalize(&mut value, &mut reading).map_err(|reason| ConfigError::Invalid {
        file: file.clone(),
        reason,
    })?;
    let mut workload: Workload =
        serde_path_to_error::deserialize(value).map_err(|e| typed_error(&file, e))?;
    workload.storage.storage_options.other = reading.storage_other;
    if let Some(o) = &mut workload.checkpoint.storage_options {
        o.other = reading.checkpoint_storage_other;
    }
    workload.ignored = reading.ignored;
    workload.unlike_dlio = interpolated;
    workload.unlike_dlio.extend(reading.unlike_dlio);
    validate::validate(&workload).map_err(|reason| ConfigError::Invalid { file, reason })?;
    workload.reader.data_loader = Some(workload.reader.loader(workload.framework));
    Ok(workload)
}

/// What loading `w` found worth a word, one line each: the keys DLIO 3.0.2 ignores
/// (`warning: ...`), and those mlstor reads where DLIO 3.0.2 would not (`note: ...`).
pub fn messages(w: &Workload) -> Vec<String> {
    let mut out = Vec::new();
    if !w.ignored.is_empty() {
        out.push(format!(
            "warning: ignored, as DLIO 3.0.2 ignores them: {}",
            w.ignored.join(", ")
        ));
    }
    if !w.unlike_dlio.is_empty() {
        out.push(format!(
            "note: read where DLIO 3.0.2 would not: {}",
            w.unlike_dlio.join("; ")
        ));
    }
    out
}

/// The 1-based line of `text` where `expr` first appears outside a comment.
fn line_of(text: &str, expr: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let code = match l.find(" #") {
                Some(i) => &l[..i],
                None if l.trim_start().starts_with('#') => "",
                None => l,
            };
            code.contains(expr)
        })
        .map(|i| i + 1)
}

/// Loads with the process environment.
pub fn load_with_process_env(source: &str, overrides: &[String]) -> Result<Workload, ConfigError> {
    load(source, overrides, &|k| std::env::var(k).ok())
}

fn read_source(source: &str) -> Result<(String, String), ConfigError> {
    let path = Path::new(source);
    if path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: source.to_string(),
            source: e,
        })?;
        return Ok((source.to_string(), text));
    }
    match workloads::shipped(source.trim_end_matches(".yaml")) {
        Some(text) => Ok((format!("{source} (shipped)"), text.to_string())),
        None if source.ends_with(".yaml") || source.contains('/') => Err(ConfigError::Read {
            path: source.to_string(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        }),
        None => Err(ConfigError::UnknownWorkload {
            name: source.to_string(),
            known: workloads::names().map(str::to_string).collect(),
        }),
    }
}

/// Turns a serde error into "unknown key (did you mean)" or "bad value at path".
fn typed_error(file: &str, e: serde_path_to_error::Error<serde_yaml_ng::Error>) -> ConfigError {
    let path = e.path().to_string();
    let message = e.inner().to_string();
    // serde's wording: "unknown field `x`, expected one of `a`, `b`" / "expected `a`".
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((key, tail)) = rest.split_once('`')
    {
        let valid: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
        let parent = path
            .rsplit_once('.')
            .map(|(p, _)| format!("{p}."))
            .unwrap_or_default();
        let parent = if path.ends_with(key) {
            parent
        } else {
            format!("{path}.")
        };
        // The keys DLIO ignores there are valid too (a typo of `debug` is still a typo).
        let sections: Vec<&str> = parent.split('.').filter(|s| !s.is_empty()).collect();
        let mut valid = valid;
        valid.extend(compat::IGNORED.iter().filter_map(|(pattern, _)| {
            let (last, head) = pattern.split_last()?;
            (head == sections.as_slice()).then_some(*last)
        }));
        return ConfigError::UnknownKey {
            file: file.to_string(),
            path: format!("{parent}{key}").trim_start_matches('.').to_string(),
            suggestion: closest(key, &valid)
                .map(|s| format!("{parent}{s}").trim_start_matches('.').to_string()),
        };
    }
    let mut message = message.split(" at line ").next().unwrap_or(&message).to_string();
    // "invalid type: string \"resnet50\", expected struct Model": a section given as a value.
    if let Some((found, _)) = message
        .strip_prefix("invalid type: ")
        .and_then(|m| m.split_once(", expected struct "))
    {
        message = format!(
            "must be a section (a mapping of its keys, one per line below it), but the file gives {found}"
        );
    }
    ConfigError::InvalidValue {
        file: file.to_string(),
        path,
        message,
    }
}

/// The valid key nearest to `key` by edit distance, if it is near enough to be a typo.
fn closest<'a>(key: &str, valid: &[&'a str]) -> Option<&'a str> {
    let best = valid.iter().map(|v| (edit_distance(key, v), *v)).min()?;
    (best.0 <= key.len().max(3) / 2 + 1).then_some(best.1)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The resolved workload as YAML, every default filled in and secrets masked.
pub fn resolved_yaml(w: &Workload) -> String {
    serde_yaml_ng::to_string(&resolved_value(w)).unwrap_or_default()
}

/// [`resolved_yaml`] as a YAML value.
pub fn resolved_value(w: &Workload) -> Value {
    let mut v = serde_yaml_ng::to_value(w).unwrap_or(Value::Null);
    mask_secrets(&mut v);
    v
}

/// Whether a key names a credential (`secret_access_key`, `password`, `azure_connection_string`...).
pub fn is_secret_key(k: &str) -> bool {
    [
        "secret",
        "password",
        "token",
        "connection_string",
        "account_key",
        "credential",
    ]
    .iter()
    .any(|s| k.to_ascii_lowercase().contains(s))
}

/// An override (`key=value`, `++workload.key=value`) with its value masked when the key
/// names a credential.
pub fn mask_override(o: &str) -> String {
    match o.split_once('=') {
        Some((k, _)) if is_secret_key(k) => format!("{k}=***"),
        _ => o.to_string(),
    }
}

/// Replaces the values of credential-like keys with `***`.
pub fn mask_secrets(v: &mut Value) {
    match v {
        Value::Mapping(m) => {
            for (k, val) in m.iter_mut() {
                let secret = k.as_str().is_some_and(is_secret_key);
                if secret && !val.is_null() {
                    *val = Value::String("***".into());
                } else {
                    mask_secrets(val);
                }
            }
        }
        Value::Sequence(s) => s.iter_mut().for_each(mask_secrets),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &'static str) -> impl Fn() -> Result<Workload, ConfigError> {
        move || {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("mlstor-cfg-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("dir");
            let p = dir.join("w.yaml");
            std::fs::write(&p, text).expect("write");
            load(p.to_str().expect("utf8"), &[], &|k| {
                (k == "AK").then(|| "secret-ak".to_string())
            })
        }
    }

    #[test]
    fn empty_file_is_dlio_defaults() {
        let w = yaml("")().expect("defaults");
        let mut want = Workload::default();
        want.reader.data_loader = Some(schema::DataLoader::Tensorflow); // the framework's loader
        assert!(w == want, "an empty workload is DLIO's defaults");
        assert_eq!(w.dataset.record_length_bytes, 65536.0);
        assert_eq!(w.reader.shuffle_size, 1024);
        assert_eq!(w.output.metric.exclude_start_steps, 1);
    }

    #[test]
    fn unknown_key_names_path_and_closest_key() {
        let e = yaml("dataset:\n  num_file_train: 3\n")().expect_err("unknown");
        let msg = e.to_string();
        assert!(msg.contains("`dataset.num_file_train`"), "{msg}");
        assert!(msg.contains("did you mean `dataset.num_files_train`"), "{msg}");
        let e = yaml("readr:\n  batch_size: 3\n")()
            .expect_err("unknown section")
            .to_string();
        assert!(e.contains("`readr`") && e.contains("`reader`"), "{e}");
    }

    #[test]
    fn wrong_type_and_bad_enum_name_path_and_expectation() {
        let e = yaml("reader:\n  batch_size: many\n")()
            .expect_err("type")
            .to_string();
        assert!(
            e.contains("`reader.batch_size`") && e.contains("invalid type"),
            "{e}"
        );
        let e = yaml("dataset:\n  format: zip\n")().expect_err("enum").to_string();
        assert!(e.contains("`dataset.format`") && e.contains("npz"), "{e}");
    }

    #[test]
    fn env_vars_and_missing_ones() {
        let w = yaml("storage:\n  storage_options:\n    access_key_id: ${AK}\n")().expect("env");
        assert_eq!(
            w.storage.storage_options.access_key_id.as_deref(),
            Some("secret-ak")
        );
        let e = yaml("a: 1\nstorage:\n  storage_root: ${BUCKET}\n")()
            .expect_err("missing")
            .to_string();
        assert!(e.contains("BUCKET") && e.contains("line 3"), "{e}");
    }

    #[test]
    fn model_may_be_a_bare_name() {
        assert_eq!(yaml("model: resnet50\n")().expect("name").model.name, "resnet50");
    }

    #[test]
    fn secrets_are_masked_in_the_resolved_yaml() {
        let mut w = Workload::default();
        w.storage.storage_options.secret_access_key = Some(schema::SecretString::new("hunter2"));
        let text = resolved_yaml(&w);
        assert!(!text.contains("hunter2") && text.contains("***"), "{text}");
        assert!(!format!("{w:?}").contains("hunter2"), "Debug never shows it");
        let json = serde_json::to_string(&w).expect("json");
        assert!(!json.contains("hunter2"), "nor does serialization: {json}");
    }

    #[test]
    fn interpolations_read_keys_and_the_environment() {
        let w = yaml(
            "storage:\n  storage_root: /data\n  storage_options:\n    secret_access_key: ${AK}\n    region: ${oc.env:NOPE,eu-1}\n\
             dataset:\n  data_folder: ${storage.storage_root}/train\n  num_files_eval: ${reader.batch_size}\n\
             reader:\n  batch_size: 3\ncheckpoint:\n  checkpoint_folder: ${..storage.storage_root}/ck\n",
        )()
        .expect("interpolations");
        assert_eq!(w.dataset.data_folder, "/data/train");
        assert_eq!(
            w.dataset.num_files_eval, 3,
            "a whole-value reference keeps its type"
        );
        assert_eq!(w.checkpoint.checkpoint_folder, "/data/ck");
        assert_eq!(w.storage.storage_options.region.as_deref(), Some("eu-1"));
        let text = resolved_yaml(&w);
        assert!(
            !text.contains("secret-ak") && text.contains("secret_access_key: '***'"),
            "{text}"
        );
        assert!(
            w.unlike_dlio
                .iter()
                .any(|u| u.contains("${storage.storage_root} in dataset.data_folder")),
            "{:?}",
            w.unlike_dlio
        );
        let e = yaml("dataset:\n  data_folder: ${storage.nope}/x\n")()
            .expect_err("no such key")
            .to_string();
        assert!(
            e.contains("line 2") && e.contains("`dataset.data_folder`") && e.contains("no key storage.nope"),
            "{e}"
        );
        let e = yaml("# ${IN_A_COMMENT} is fine\nstorage:\n  storage_root: ${oc.env:MLSTOR_UNSET_VAR}\n")()
            .expect_err("unset")
            .to_string();
        assert!(
            e.contains("line 3") && e.contains("MLSTOR_UNSET_VAR is not set"),
            "{e}"
        );
    }

    #[test]
    fn ignored_keys_make_one_warning_and_typos_stay_errors() {
        let w = yaml(
            "workflow:\n  debug: False\nreader:\n  data_loader_root: s3://x\n  seed: 4\ngenerator:\n  num_workers: 2\n\
             storage:\n  storage_options:\n    my_knob: 1\n",
        )()
        .expect("ignored keys load");
        let m = messages(&w);
        assert_eq!(
            m,
            [
                "warning: ignored, as DLIO 3.0.2 ignores them: workflow.debug, reader.data_loader_root, reader.seed, \
              generator, storage.storage_options.my_knob"
            ]
        );
        assert_eq!(
            w.storage.storage_options.other.len(),
            1,
            "unknown options are kept"
        );
        assert!(resolved_yaml(&w).contains("my_knob: 1"));
        let e = yaml("workflow:\n  debgu: False\n")()
            .expect_err("typo")
            .to_string();
        assert!(
            e.contains("`workflow.debgu`") && e.contains("did you mean"),
            "{e}"
        );
        let e = yaml("storage:\n  storage_typ: s3\n")()
            .expect_err("typo")
            .to_string();
        assert!(e.contains("did you mean `storage.storage_type`"), "{e}");
    }

    #[test]
    fn older_spellings_are_read_and_noted() {
        let w = yaml(
            "dataset:\n  record_length: 4096\nstorage:\n  storage_type: s3dlio\n  storage_root: s3://b/p\n  \
             endpoint_uris: [http://a:1, http://b:1]\n",
        )()
        .expect("aliases");
        assert_eq!(w.dataset.record_length_bytes, 4096.0);
        assert_eq!(w.storage.storage_type, schema::StorageType::S3);
        assert_eq!(w.storage.library(), Some(schema::StorageLibrary::S3dlio));
        assert_eq!(w.storage.storage_options.endpoint_uris.len(), 2);
        let m = messages(&w);
        assert!(
            m.len() == 1 && m[0].starts_with("note: read where DLIO 3.0.2 would not: "),
            "{m:?}"
        );
        assert!(
            m[0].contains("dataset.record_length as dataset.record_length_bytes"),
            "{m:?}"
        );
    }

    #[test]
    fn a_section_given_as_a_value_is_explained() {
        let e = yaml("dataset: npz\n")().expect_err("section").to_string();
        assert!(
            e.contains("`dataset`") && e.contains("must be a section") && e.contains("string \"npz\""),
            "{e}"
        );
    }

    #[test]
    fn dlio_3_schema_defaults() {
        let w = yaml("dataset:\n  format: parquet\n  compression: snappy\n  skip_listing: 'yes'\n")()
            .expect("parquet");
        assert_eq!(w.dataset.compression, schema::Compression::Snappy);
        assert!(w.dataset.skip_listing);
        assert_eq!(w.dataset.parquet.row_group_size, 1024);
        assert_eq!(w.dataset.listing_validation_interval, 1000);
        assert_eq!(w.dataset.hdf5.num_dset_per_record, 1);
        assert_eq!(w.reader.multiprocessing_context, "spawn");
        assert_eq!(w.reader.write_threads, 1);
        assert_eq!(w.checkpoint_mechanism(), schema::CheckpointMechanism::TfSave);
        let e = yaml("dataset:\n  record_dims: [3, 4]\n  hdf5:\n    num_dset_per_record: 2\n")()
            .expect_err("indivisible")
            .to_string();
        assert!(e.contains("num_dset_per_record"), "{e}");
    }

    #[test]
    fn secret_overrides_are_masked() {
        assert_eq!(
            mask_override("storage.storage_options.secret_access_key=abc"),
            "storage.storage_options.secret_access_key=***"
        );
        assert_eq!(
            mask_override("++workload.reader.batch_size=4"),
            "++workload.reader.batch_size=4"
        );
    }

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            closest("num_file_train", &["num_files_train", "format"]),
            Some("num_files_train")
        );
        assert_eq!(closest("zzzzzz", &["format"]), None);
    }
}
