//! Workload configuration: DLIO's YAML schema with its defaults ([`schema`]), `${VAR}`
//! substitution ([`env`](mod@env)), command-line overrides ([`overrides`]), and validation with errors
//! that name the YAML key path and the closest valid key.
//!
//! ```
//! let w = mlstor_bench::config::load("unet3d_h100", &["dataset.num_files_train=4".into()], &|_| None)?;
//! assert_eq!(w.dataset.num_files_train, 4);
//! assert_eq!(w.reader.batch_size, 7);
//! # Ok::<(), mlstor_bench::config::ConfigError>(())
//! ```

pub mod env;
pub mod overrides;
pub mod schema;
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
    #[error(
        "{file}, line {line}: environment variable {var} is not set (use ${{{var}:-default}} for a default)"
    )]
    MissingEnv { file: String, var: String, line: usize },
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

/// Reads a workload (a YAML path or the name of a shipped workload), substitutes `${VAR}`
/// from `env`, applies `overrides` (`key.path=value`), fills DLIO's defaults and validates.
pub fn load(
    source: &str,
    overrides: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Workload, ConfigError> {
    let (file, text) = read_source(source)?;
    let text = env::substitute(&text, env).map_err(|m| ConfigError::MissingEnv {
        file: file.clone(),
        var: m.var,
        line: m.line,
    })?;
    let mut value: Value = serde_yaml_ng::from_str(&text).map_err(|e| ConfigError::Yaml {
        file: file.clone(),
        message: e.to_string(),
    })?;
    normalize(&mut value);
    for arg in overrides {
        let bad = |reason: String| ConfigError::BadOverride {
            arg: arg.clone(),
            reason,
        };
        let o = overrides::parse(arg).map_err(bad)?;
        overrides::apply(&mut value, &o).map_err(bad)?;
    }
    let mut workload: Workload =
        serde_path_to_error::deserialize(value).map_err(|e| typed_error(&file, e))?;
    validate::validate(&workload).map_err(|reason| ConfigError::Invalid { file, reason })?;
    workload.reader.data_loader = Some(workload.reader.loader(workload.framework));
    Ok(workload)
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

/// DLIO quirks in the YAML shape: an empty file is all defaults; `model: name` is a name.
fn normalize(value: &mut Value) {
    if value.is_null() {
        *value = Value::Mapping(Default::default());
    }
    if let Value::Mapping(m) = value
        && let Some(model) = m.get_mut("model")
        && let Value::String(name) = model
    {
        let mut inner = serde_yaml_ng::Mapping::new();
        inner.insert(Value::String("name".into()), Value::String(name.clone()));
        *model = Value::Mapping(inner);
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
        return ConfigError::UnknownKey {
            file: file.to_string(),
            path: format!("{parent}{key}").trim_start_matches('.').to_string(),
            suggestion: closest(key, &valid)
                .map(|s| format!("{parent}{s}").trim_start_matches('.').to_string()),
        };
    }
    let message = message.split(" at line ").next().unwrap_or(&message).to_string();
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
    let mut v = serde_yaml_ng::to_value(w).unwrap_or(Value::Null);
    mask_secrets(&mut v);
    serde_yaml_ng::to_string(&v).unwrap_or_default()
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
