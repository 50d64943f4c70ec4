//! Interpolation on the parsed workload, as Hydra/OmegaConf does it, plus mlstor's
//! environment form:
//!
//! - `${a.b}` is the value of key `a.b`, named from the workload's top (`${workload.a.b}`
//!   too, Hydra's absolute form); `${.x}` is a sibling key, each further dot one level up
//!   (`${..storage.storage_root}` from `dataset.data_folder`);
//! - `${oc.env:VAR}` / `${oc.env:VAR,default}` read the environment;
//! - `${VAR}` / `${VAR:-default}` read the environment when no key of that name exists
//!   (mlstor's form, so `${AWS_ACCESS_KEY_ID}` works as written);
//! - `$$` is a literal `$`, `\${` a literal `${`; any other `$` is itself.
//!
//! A value that is one interpolation takes the referenced value's type (a number stays a
//! number; an environment value that reads as a plain number or bool becomes one); inside
//! a longer string the pieces are joined as text. Interpolations may nest
//! (`${oc.env:A,${oc.env:B}}`); a reference to itself is an error.

use serde_yaml_ng::{Mapping, Value};

/// An interpolation that cannot be resolved: where it is, what it says, what is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterpolationError {
    /// The dotted key path holding it (`storage.storage_root`).
    pub key: String,
    /// The interpolation as written (`${BUCKET}`).
    pub expr: String,
    pub message: String,
}

/// `root` with every interpolation resolved, and the forms resolved that DLIO 3.0.2 (plain
/// OmegaConf under Hydra's `workload:`) would not resolve, each said in a line. An error
/// inside a key for which `lenient(path)` holds (keys DLIO ignores, which DLIO never
/// resolves) leaves that value as written.
pub fn resolve(
    root: &Value,
    env: &dyn Fn(&str) -> Option<String>,
    lenient: &dyn Fn(&[String]) -> bool,
) -> Result<(Value, Vec<String>), InterpolationError> {
    let mut r = Resolver {
        root,
        env,
        lenient,
        stack: Vec::new(),
        unlike_dlio: Vec::new(),
    };
    let v = r.node(root, &mut Vec::new())?;
    Ok((v, r.unlike_dlio))
}

struct Resolver<'a> {
    root: &'a Value,
    env: &'a dyn Fn(&str) -> Option<String>,
    lenient: &'a dyn Fn(&[String]) -> bool,
    /// Keys being resolved through references, to catch cycles.
    stack: Vec<Vec<String>>,
    /// Interpolations DLIO 3.0.2 would not resolve, and how they were read.
    unlike_dlio: Vec<String>,
}

/// A string split into literal text and `${...}` bodies.
enum Piece {
    Text(String),
    Expr(String),
}

impl<'a> Resolver<'a> {
    fn node(&mut self, v: &Value, path: &mut Vec<String>) -> Result<Value, InterpolationError> {
        Ok(match v {
            Value::Mapping(m) => {
                let mut out = Mapping::with_capacity(m.len());
                for (k, x) in m {
                    path.push(key_text(k));
                    let resolved = self.node(x, path);
                    path.pop();
                    out.insert(k.clone(), resolved?);
                }
                Value::Mapping(out)
            }
            Value::Sequence(s) => {
                let mut out = Vec::with_capacity(s.len());
                for (i, x) in s.iter().enumerate() {
                    path.push(i.to_string());
                    let resolved = self.node(x, path);
                    path.pop();
                    out.push(resolved?);
                }
                Value::Sequence(out)
            }
            Value::String(s) if s.contains('$') => match self.string(s, path) {
                Ok(v) => v,
                Err(_) if (self.lenient)(path) => v.clone(),
                Err(e) => return Err(e),
            },
            other => other.clone(),
        })
    }

    fn string(&mut self, s: &str, path: &[String]) -> Result<Value, InterpolationError> {
        let pieces = split(s).map_err(|message| error(path, s, message))?;
        if let [Piece::Expr(e)] = pieces.as_slice() {
            return self.expr(e, path);
        }
        let mut out = String::new();
        for p in pieces {
            match p {
                Piece::Text(t) => out.push_str(&t),
                Piece::Expr(e) => match self.expr(&e, path)? {
                    Value::Mapping(_) | Value::Sequence(_) => {
                        return Err(error(
                            path,
                            &format!("${{{e}}}"),
                            "names a section or a list, which cannot be part of a string".into(),
                        ));
                    }
                    v => out.push_str(&scalar_text(&v)),
                },
            }
        }
        Ok(Value::String(out))
    }

    /// The value of one `${...}` body.
    fn expr(&mut self, body: &str, path: &[String]) -> Result<Value, InterpolationError> {
        let written = format!("${{{body}}}");
        let body = if body.contains("${") {
            scalar_text(&self.string(body, path)?)
        } else {
            body.to_string()
        };
        let e = body.trim();
        let fail = |message: String| error(path, &written, message);
        if let Some(rest) = e.strip_prefix("oc.env:") {
            let (var, default) = match rest.split_once(',') {
                Some((v, d)) => (v.trim(), Some(unquote(d.trim()))),
                None => (rest.trim(), None),
            };
            return match (self.env)(var).or(default) {
                Some(v) => Ok(env_value(v)),
                None => Err(fail(format!(
                    "environment variable {var} is not set (use ${{oc.env:{var},default}} for a default)"
                ))),
            };
        }
        if let Some((resolver, _)) = e.split_once(':')
            && resolver.starts_with("oc.")
        {
            return Err(fail(format!(
                "the resolver {resolver} is not supported (mlstor knows oc.env)"
            )));
        }
        if let Some((var, default)) = e.split_once(":-") {
            let var = var.trim();
            self.note(format!(
                "{written} in {} from the environment (DLIO 3.0.2 reads ${{oc.env:{var},{default}}})",
                path.join(".")
            ));
            return Ok(env_value(
                (self.env)(var)
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| default.to_string()),
            ));
        }
        let target = target_path(e, path).map_err(&fail)?;
        if self.root_get(&target).is_some() {
            if !e.starts_with('.') && !e.starts_with("workload.") {
                self.note(format!(
                    "{written} in {} from the workload's top (DLIO 3.0.2 reads ${{workload.{e}}})",
                    path.join(".")
                ));
            }
            return self.reference(target, &written, path);
        }
        if is_env_name(e) {
            return match (self.env)(e).filter(|v| !v.is_empty()) {
                Some(v) => {
                    self.note(format!(
                        "{written} in {} from the environment (DLIO 3.0.2 reads ${{oc.env:{e}}})",
                        path.join(".")
                    ));
                    Ok(env_value(v))
                }
                None => Err(fail(format!(
                    "{e} is neither a key of the workload nor a set environment variable \
                     (use ${{{e}:-default}} for a default)"
                ))),
            };
        }
        Err(fail(format!(
            "the workload has no key {} (keys are named from the workload's top, e.g. \
             ${{storage.storage_root}}, or relative to this one, e.g. ${{..storage.storage_root}})",
            target.join(".")
        )))
    }

    fn note(&mut self, what: String) {
        if !self.unlike_dlio.contains(&what) {
            self.unlike_dlio.push(what);
        }
    }

    /// The resolved value of the key at `target`.
    fn reference(
        &mut self,
        target: Vec<String>,
        written: &str,
        from: &[String],
    ) -> Result<Value, InterpolationError> {
        if self.stack.contains(&target) || target.as_slice() == from {
            return Err(error(
                from,
                written,
                format!("refers to itself through {}", target.join(".")),
            ));
        }
        let Some(v) = self.root_get(&target) else {
            return Err(error(from, written, "the key vanished".into()));
        };
        self.stack.push(target.clone());
        let mut at = target;
        let out = self.node(v, &mut at);
        self.stack.pop();
        out
    }

    fn root_get(&self, path: &[String]) -> Option<&'a Value> {
        let mut cur: &'a Value = self.root;
        for seg in path {
            cur = match cur {
                Value::Mapping(m) => m.get(seg.as_str())?,
                Value::Sequence(s) => s.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }
}

/// The key path an interpolation body names: absolute (`a.b`, `workload.a.b`) or relative
/// to the container of the key at `path` (`.x`, `..x`).
fn target_path(e: &str, path: &[String]) -> Result<Vec<String>, String> {
    let dots = e.len() - e.trim_start_matches('.').len();
    let rest = &e[dots..];
    let mut base: Vec<String> = if dots == 0 {
        Vec::new()
    } else {
        let container = &path[..path.len().saturating_sub(1)];
        let up = dots - 1;
        if up > container.len() {
            return Err(format!("{e} goes above the workload's top"));
        }
        container[..container.len() - up].to_vec()
    };
    let rest = if dots == 0 {
        rest.strip_prefix("workload.").unwrap_or(rest)
    } else {
        rest
    };
    if rest.is_empty() || rest.split('.').any(str::is_empty) {
        return Err(format!("{e:?} is not a key path"));
    }
    base.extend(rest.split('.').map(str::to_string));
    Ok(base)
}

/// Splits `s` into text and `${...}` bodies (nested ones kept inside their body).
fn split(s: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(['$', '\\']) {
        text.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("\\${") {
            text.push_str("${");
            rest = t;
        } else if let Some(t) = tail.strip_prefix("$$") {
            text.push('$');
            rest = t;
        } else if let Some(t) = tail.strip_prefix("${") {
            let end = closing_brace(t).ok_or("an interpolation is not closed (a `}` is missing)")?;
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Expr(t[..end].to_string()));
            rest = &t[end + 1..];
        } else {
            text.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    text.push_str(rest);
    if !text.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// The index of the `}` closing an interpolation whose body starts at `t`.
fn closing_brace(t: &str) -> Option<usize> {
    let mut depth = 0usize;
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn error(path: &[String], expr: &str, message: String) -> InterpolationError {
    InterpolationError {
        key: path.join("."),
        expr: expr.to_string(),
        message,
    }
}

fn key_text(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        other => scalar_text(other),
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => "null".into(),
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim_end()
            .to_string(),
    }
}

fn unquote(s: &str) -> String {
    let q = |c: char| s.len() >= 2 && s.starts_with(c) && s.ends_with(c);
    if q('"') || q('\'') {
        s[1..s.len() - 1].to_string()
    } else {
        s.to_string()
    }
}

/// An environment value: a plain number or bool becomes one (as if written in the YAML),
/// anything else stays text (`0123`, `1e5`, keys and names).
fn env_value(v: String) -> Value {
    match v.as_str() {
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = v.strip_prefix('-').unwrap_or(&v);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let plain_int =
        !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) && (int == "0" || !int.starts_with('0'));
    let plain = plain_int && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if plain
        && let Ok(n) = serde_yaml_ng::from_str::<Value>(&v)
        && n.is_number()
    {
        return n;
    }
    Value::String(v)
}

fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "AK" => Some("key123".into()),
            "EMPTY" => Some(String::new()),
            "N" => Some("64".into()),
            "ZEROS" => Some("0123".into()),
            "B" => Some("bucket".into()),
            _ => None,
        }
    }

    fn run(yaml: &str) -> Result<Value, InterpolationError> {
        notes(yaml).map(|(v, _)| v)
    }

    fn notes(yaml: &str) -> Result<(Value, Vec<String>), InterpolationError> {
        let v: Value = serde_yaml_ng::from_str(yaml).expect("yaml");
        resolve(&v, &env, &|p| p.first().is_some_and(|k| k == "generator"))
    }

    fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
        path.split('.').fold(v, |v, k| &v[k])
    }

    #[test]
    fn substitutes_with_defaults() {
        let v = run("a: ${AK}\nb: ${NOPE:-fallback}\nc: ${EMPTY:-d}\nd: $$HOME\ne: $plain\nf: x${AK}y")
            .expect("ok");
        let s = |k: &str| v[k].as_str().expect("str").to_string();
        assert_eq!(
            [s("a"), s("b"), s("c"), s("d"), s("e"), s("f")],
            ["key123", "fallback", "d", "$HOME", "$plain", "xkey123y"]
        );
    }

    #[test]
    fn missing_variable_names_it_and_its_key() {
        let e = run("x: 1\ny:\n  z: ${AWS_SECRET_ACCESS_KEY}\n").expect_err("missing");
        assert_eq!(
            (e.key.as_str(), e.expr.as_str()),
            ("y.z", "${AWS_SECRET_ACCESS_KEY}")
        );
        assert!(
            e.message.contains("AWS_SECRET_ACCESS_KEY is neither a key"),
            "{}",
            e.message
        );
        let e = run("y: ${oc.env:NOPE}").expect_err("oc.env missing");
        assert!(
            e.message.contains("environment variable NOPE is not set"),
            "{}",
            e.message
        );
    }

    #[test]
    fn keys_absolute_hydra_style_and_relative() {
        let v = run(
            "storage:\n  storage_root: /data\ndataset:\n  data_folder: ${storage.storage_root}/train\n  \
             a: ${workload.storage.storage_root}\n  b: ${..storage.storage_root}\n  c: ${.a}\n  n: ${reader.batch}\n\
             reader:\n  batch: 4\n  list: ['${reader.batch}', x]\n  whole: ${storage}\n",
        )
        .expect("keys");
        assert_eq!(get(&v, "dataset.data_folder").as_str(), Some("/data/train"));
        for k in ["dataset.a", "dataset.b", "dataset.c"] {
            assert_eq!(get(&v, k).as_str(), Some("/data"), "{k}");
        }
        assert_eq!(
            get(&v, "dataset.n").as_u64(),
            Some(4),
            "one reference keeps the type"
        );
        assert_eq!(v["reader"]["list"][0].as_u64(), Some(4));
        assert_eq!(get(&v, "reader.whole.storage_root").as_str(), Some("/data"));
    }

    #[test]
    fn keys_win_over_the_environment_and_env_forms() {
        let v = run("AK: mine\na: ${AK}\nb: ${oc.env:AK}\nc: ${oc.env:NOPE,dflt}\nd: ${oc.env:NOPE,'q'}\ne: ${oc.env:NOPE,${B}}")
            .expect("ok");
        assert_eq!(v["a"].as_str(), Some("mine"), "a key of that name wins");
        assert_eq!(v["b"].as_str(), Some("key123"), "oc.env reads the environment");
        assert_eq!(
            (v["c"].as_str(), v["d"].as_str(), v["e"].as_str()),
            (Some("dflt"), Some("q"), Some("bucket"))
        );
    }

    #[test]
    fn environment_numbers_and_text() {
        let v = run("n: ${N}\nz: ${ZEROS}\nt: ${oc.env:NOPE,true}\ns: files-${N}").expect("ok");
        assert_eq!(v["n"].as_u64(), Some(64));
        assert_eq!(v["z"].as_str(), Some("0123"), "not a plain number: stays text");
        assert_eq!(v["t"].as_bool(), Some(true));
        assert_eq!(v["s"].as_str(), Some("files-64"));
    }

    #[test]
    fn errors_explain_what_is_missing() {
        let e = run("a:\n  b: ${storage.nope}").expect_err("no key");
        assert!(e.message.contains("no key storage.nope"), "{}", e.message);
        let e = run("a: ${a}").expect_err("self");
        assert!(e.message.contains("refers to itself"), "{}", e.message);
        let e = run("a: ${b}\nb: ${a}").expect_err("cycle");
        assert!(e.message.contains("refers to itself"), "{}", e.message);
        let e = run("a: ${...x}").expect_err("above");
        assert!(e.message.contains("above the workload's top"), "{}", e.message);
        let e = run("a: ${oc.select:x}").expect_err("resolver");
        assert!(e.message.contains("oc.select"), "{}", e.message);
        let e = run("a: ${x").expect_err("unclosed");
        assert!(e.message.contains("not closed"), "{}", e.message);
        let e = run("s: {k: 1}\na: x${s}").expect_err("section in a string");
        assert!(e.message.contains("section"), "{}", e.message);
    }

    #[test]
    fn forms_dlio_would_not_resolve_are_said() {
        let (_, n) =
            notes("r: x\na: ${r}\nb: ${workload.r}\nc: ${AK}\nd: ${oc.env:AK}\ne: ${NOPE:-x}").expect("ok");
        assert_eq!(
            n,
            [
                "${r} in a from the workload's top (DLIO 3.0.2 reads ${workload.r})",
                "${AK} in c from the environment (DLIO 3.0.2 reads ${oc.env:AK})",
                "${NOPE:-x} in e from the environment (DLIO 3.0.2 reads ${oc.env:NOPE,x})",
            ]
        );
    }

    #[test]
    fn escapes_and_lenient_keys() {
        let v = run("a: \\${AK}\nb: $${AK}\ngenerator:\n  x: ${NOPE}").expect("ok");
        assert_eq!(v["a"].as_str(), Some("${AK}"));
        assert_eq!(v["b"].as_str(), Some("${AK}"));
        assert_eq!(
            get(&v, "generator.x").as_str(),
            Some("${NOPE}"),
            "an ignored key stays as written"
        );
    }
}
