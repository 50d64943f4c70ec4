//! The house rules of `crates/bench/src` and `crates/py/src` (docs/architecture.md), checked
//! on the source files themselves: every import (`use`, `crate::` / `super::` paths) goes
//! down the declared layers, never up and never sideways between top-level modules, and the
//! files of a crate import each other without a circle. Test modules and comments are not
//! imports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A crate's top-level modules, bottom layer first; a module may import only its own files
/// and the modules of lower layers.
const BENCH_LAYERS: &[&[&str]] = &[
    &["host", "metrics", "workloads"],
    &["config"],
    &["plan"],
    &["ranks", "records"],
    &["results"],
    &["execute", "report"],
];

const PY_LAYERS: &[&[&str]] = &[
    &["runtime"],
    &["buffer", "errors"],
    &["values"],
    &["ops"],
    &["datagen", "stream", "writer"],
    &["store"],
];

/// Module path (`["execute", "checkpoint", "engine"]`) -> its file's text (tests and comments
/// removed).
fn modules(src: &Path) -> BTreeMap<Vec<String>, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read src").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel: PathBuf = p.strip_prefix(src).expect("under src").to_path_buf();
            let mut parts: Vec<String> = rel
                .iter()
                .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if parts
                .last()
                .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
            {
                parts.pop();
            }
            let text = std::fs::read_to_string(&p).expect("read source");
            let code: String = text
                .split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .lines()
                .map(|l| l.split("//").next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(parts, code);
        }
    }
    out
}

/// The paths a file's code names from `base` (`crate` or `super`): `base::a::b`, and each
/// item of `base::{a, b::c}`.
fn paths_after(code: &str, base: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let needle = format!("{base}::");
    let mut rest = code;
    while let Some(i) = rest.find(&needle) {
        let before = rest[..i].chars().last();
        rest = &rest[i + needle.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // part of a longer path (`super::super::x` handled by the resolver)
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                out.push(segments(item.trim()));
            }
        } else {
            out.push(segments(rest));
        }
    }
    out
}

fn segments(s: &str) -> Vec<String> {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(s.len());
    s[..end]
        .split("::")
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// The file module a path names: the longest prefix that is a module.
fn resolve(mods: &BTreeMap<Vec<String>, String>, path: &[String]) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| mods.contains_key(p))
}

/// Every import edge between file modules (self-edges dropped).
fn edges(mods: &BTreeMap<Vec<String>, String>) -> BTreeSet<(Vec<String>, Vec<String>)> {
    let mut out = BTreeSet::new();
    for (m, code) in mods {
        let mut targets = Vec::new();
        for p in paths_after(code, "crate") {
            targets.extend(resolve(mods, &p));
        }
        for p in paths_after(code, "super") {
            // `super` of a file module is its parent module; `super::super` climbs again.
            let mut parent = m.clone();
            parent.pop();
            let mut p = p.as_slice();
            while p.first().is_some_and(|s| s == "super") {
                parent.pop();
                p = &p[1..];
            }
            let mut full = parent;
            full.extend(p.iter().cloned());
            targets.extend(resolve(mods, &full).filter(|t| !t.is_empty()));
        }
        // A module's own children named without `crate::`/`super::` (`use read::X;`,
        // `oplog::OpLogWriter::create(...)`).
        for child in mods.keys().filter(|c| c.len() == m.len() + 1 && c.starts_with(m)) {
            let needle = format!("{}::", child[m.len()]);
            let named = code.match_indices(&needle).any(|(i, _)| {
                let before = code[..i].chars().last();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            });
            if named {
                targets.push(child.clone());
            }
        }
        for t in targets {
            if &t != m && !t.is_empty() {
                out.insert((m.clone(), t));
            }
        }
    }
    out
}

fn layer_of(layers: &[&[&str]], top: &str) -> Option<usize> {
    layers.iter().position(|l| l.contains(&top))
}

fn name(m: &[String]) -> String {
    if m.is_empty() { "lib".into() } else { m.join("::") }
}

/// Everything wrong with a crate's imports.
fn violations(src: &Path, layers: &[&[&str]]) -> Vec<String> {
    let mods = modules(src);
    let edges = edges(&mods);
    let mut bad = Vec::new();
    for m in mods.keys().filter(|m| !m.is_empty()) {
        if layer_of(layers, &m[0]).is_none() {
            bad.push(format!("{} is in no layer of docs/architecture.md", name(m)));
        }
    }
    for (from, to) in &edges {
        if from.is_empty() || to.is_empty() || from[0] == to[0] {
            continue;
        }
        let (Some(a), Some(b)) = (layer_of(layers, &from[0]), layer_of(layers, &to[0])) else {
            continue;
        };
        if b >= a {
            bad.push(format!(
                "{} imports {} ({})",
                name(from),
                name(to),
                if b == a { "sideways" } else { "up" }
            ));
        }
    }
    // Circles: depth-first search for a back edge.
    let mut graph: BTreeMap<&Vec<String>, Vec<&Vec<String>>> = BTreeMap::new();
    for (a, b) in &edges {
        graph.entry(a).or_default().push(b);
    }
    let mut state: BTreeMap<&Vec<String>, u8> = BTreeMap::new();
    fn visit<'a>(
        n: &'a Vec<String>,
        g: &BTreeMap<&'a Vec<String>, Vec<&'a Vec<String>>>,
        state: &mut BTreeMap<&'a Vec<String>, u8>,
        path: &mut Vec<&'a Vec<String>>,
        bad: &mut Vec<String>,
    ) {
        state.insert(n, 1);
        path.push(n);
        for &next in g.get(n).into_iter().flatten() {
            match state.get(next) {
                Some(1) => {
                    let start = path.iter().position(|p| *p == next).unwrap_or(0);
                    let circle: Vec<String> = path[start..].iter().map(|p| name(p)).collect();
                    bad.push(format!(
                        "import circle: {} -> {}",
                        circle.join(" -> "),
                        name(next)
                    ));
                }
                Some(_) => {}
                None => visit(next, g, state, path, bad),
            }
        }
        path.pop();
        state.insert(n, 2);
    }
    for m in mods.keys() {
        if !state.contains_key(m) {
            visit(m, &graph, &mut state, &mut Vec::new(), &mut bad);
        }
    }
    bad
}

#[test]
fn architecture_bench_imports_go_down_without_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = violations(&src, BENCH_LAYERS);
    assert!(bad.is_empty(), "crates/bench/src:\n{}", bad.join("\n"));
}

#[test]
fn architecture_py_imports_go_down_without_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../py/src");
    let bad = violations(&src, PY_LAYERS);
    assert!(bad.is_empty(), "crates/py/src:\n{}", bad.join("\n"));
}

#[test]
fn architecture_the_checker_sees_circles_and_upward_imports() {
    let d = tempfile::tempdir().expect("tmp");
    let w = |p: &str, t: &str| {
        let f = d.path().join(p);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, t).expect("write");
    };
    w("lib.rs", "pub mod low;\npub mod high;\n");
    w("low.rs", "use crate::high::Thing;\n");
    w(
        "high/mod.rs",
        "pub mod a;\npub use a::X;\n// crate::low in a comment is no import\n",
    );
    w(
        "high/a.rs",
        "use super::Y;\nuse crate::low;\n#[cfg(test)]\nmod tests { use crate::high::b; }\n",
    );
    let bad = violations(d.path(), &[&["low"], &["high"]]);
    assert!(bad.iter().any(|b| b == "low imports high (up)"), "{bad:?}");
    assert!(
        bad.iter()
            .any(|b| b.starts_with("import circle:") && b.contains("high -> high::a")),
        "{bad:?}"
    );
    assert!(
        !bad.iter().any(|b| b.contains("high::b")),
        "test modules are not imports: {bad:?}"
    );
}
