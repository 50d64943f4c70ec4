//! Command-line overrides: `--set dataset.num_files_train=64`, and DLIO/Hydra style
//! `++workload.dataset.num_files_train=64` (also `+workload.…` and `workload.…`).

use serde_yaml_ng::{Mapping, Value};

/// One parsed override: a dotted key path and a YAML value.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub path: Vec<String>,
    pub value: Value,
}

/// Parses `key.path=value`; the value is read as YAML (`64` is a number, `True` a bool).
pub fn parse(arg: &str) -> Result<Override, String> {
    let (key, value) = arg
        .split_once('=')
        .ok_or("expected KEY=VALUE, e.g. dataset.num_files_train=64")?;
    let key = key.trim().trim_start_matches('+');
    let key = key.strip_prefix("workload.").unwrap_or(key);
    if key.is_empty() || key.split('.').any(str::is_empty) {
        return Err(format!("invalid key {key:?}"));
    }
    let value: Value = if value.trim().is_empty() {
        Value::String(String::new())
    } else {
        serde_yaml_ng::from_str(value).map_err(|e| format!("value {value:?} is not valid YAML: {e}"))?
    };
    Ok(Override {
        path: key.split('.').map(str::to_string).collect(),
        value,
    })
}

/// Sets `o.path` in `root`, creating mappings on the way.
pub fn apply(root: &mut Value, o: &Override) -> Result<(), String> {
    let mut cur = root;
    for (i, seg) in o.path.iter().enumerate() {
        if cur.is_null() {
            *cur = Value::Mapping(Mapping::new());
        }
        let Value::Mapping(map) = cur else {
            return Err(format!("{} is not a section", o.path[..i].join(".")));
        };
        let key = Value::String(seg.clone());
        if i + 1 == o.path.len() {
            map.insert(key, o.value.clone());
            return Ok(());
        }
        cur = map.entry(key).or_insert(Value::Null);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_styles_parse_to_the_same_override() {
        let a = parse("dataset.num_files_train=64").expect("plain");
        let b = parse("++workload.dataset.num_files_train=64").expect("hydra");
        assert_eq!(a, b);
        assert_eq!(a.value, Value::Number(64.into()));
        assert_eq!(
            parse("workflow.train=False").expect("bool").value,
            Value::Bool(false)
        );
    }

    #[test]
    fn apply_creates_sections() {
        let mut v: Value = serde_yaml_ng::from_str("dataset: {format: npz}").expect("yaml");
        apply(&mut v, &parse("reader.batch_size=4").expect("o")).expect("apply");
        apply(&mut v, &parse("dataset.num_files_train=2").expect("o")).expect("apply");
        assert_eq!(v["reader"]["batch_size"], Value::Number(4.into()));
        assert_eq!(v["dataset"]["format"], Value::String("npz".into()));
        let e = apply(&mut v, &parse("dataset.format.x=1").expect("o")).expect_err("not a section");
        assert!(e.contains("dataset.format"), "{e}");
    }

    #[test]
    fn bad_overrides_are_explained() {
        assert!(parse("nokey").is_err());
        assert!(parse("a..b=1").is_err());
    }
}
