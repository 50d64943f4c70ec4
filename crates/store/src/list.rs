//! Listing helpers shared by backends that list from a complete, sorted key set
//! (memory, local files) rather than from a server.

use crate::store::{ListEntry, ListMode, ObjectMeta};

/// Turns sorted objects into a listing of `prefix` in `mode`.
///
/// Recursive mode keeps every object whose key starts with `prefix`. Delimited mode treats
/// `prefix` as a directory (a `/` is added when missing) and folds deeper keys into
/// common prefixes.
pub(crate) fn entries(objects: Vec<ObjectMeta>, prefix: &str, mode: ListMode) -> Vec<ListEntry> {
    match mode {
        ListMode::Recursive => objects
            .into_iter()
            .filter(|o| o.key.starts_with(prefix))
            .map(ListEntry::Object)
            .collect(),
        ListMode::Delimited => {
            let dir = dir_prefix(prefix);
            let mut out: Vec<ListEntry> = Vec::new();
            for o in objects {
                let Some(rest) = o.key.strip_prefix(dir.as_str()) else {
                    continue;
                };
                match rest.split_once('/') {
                    Some((sub, _)) => {
                        let p = format!("{dir}{sub}/");
                        if !matches!(out.last(), Some(ListEntry::Prefix(last)) if *last == p)
                            && !out.contains(&ListEntry::Prefix(p.clone()))
                        {
                            out.push(ListEntry::Prefix(p));
                        }
                    }
                    None => out.push(ListEntry::Object(o)),
                }
            }
            out
        }
    }
}

/// `prefix` as a directory: empty stays empty, otherwise it ends with `/`.
pub(crate) fn dir_prefix(prefix: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(key: &str) -> ObjectMeta {
        ObjectMeta {
            key: key.into(),
            size: 0,
            last_modified: None,
            etag: None,
        }
    }

    #[test]
    fn recursive_is_a_string_prefix() {
        let objs = vec![obj("a/b"), obj("a/c/d"), obj("ab"), obj("b")];
        let got = entries(objs, "a", ListMode::Recursive);
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn delimited_folds_subdirectories() {
        let objs = vec![obj("a/b"), obj("a/c/d"), obj("a/c/e"), obj("a/x/y"), obj("ab")];
        let got = entries(objs, "a", ListMode::Delimited);
        assert_eq!(
            got,
            vec![
                ListEntry::Object(obj("a/b")),
                ListEntry::Prefix("a/c/".into()),
                ListEntry::Prefix("a/x/".into()),
            ]
        );
    }
}
