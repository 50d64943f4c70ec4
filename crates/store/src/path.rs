//! Key rules shared by all backends.

use crate::error::{Error, Result};

/// Checks a key (relative to a store's root): no `..` or `.` components, no NUL byte.
///
/// Keys are never rewritten; a key that would escape the store's root is refused.
pub fn validate_key(root: &str, key: &str) -> Result<()> {
    let reject = |reason: &str| {
        Err(Error::InvalidInput {
            uri: join(root, key),
            reason: reason.to_string(),
        })
    };
    if key.contains('\0') {
        return reject("key contains a NUL byte");
    }
    if key.split('/').any(|c| c == ".." || c == ".") {
        return reject("key has a '.' or '..' component and would escape the store's root");
    }
    Ok(())
}

/// `root` and `key` joined with exactly one `/`.
pub fn join(root: &str, key: &str) -> String {
    if key.is_empty() {
        return root.to_string();
    }
    let key = key.trim_start_matches('/');
    if root.ends_with('/') {
        format!("{root}{key}")
    } else {
        format!("{root}/{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_escapes() {
        for key in ["../x", "a/../../b", "a/./b", "..", "a\0b"] {
            let err = validate_key("file:///root", key).expect_err(key);
            assert!(err.to_string().contains("file:///root"), "{err}");
        }
        for key in ["a", "a/b", "a..b", "..a/b", "dir/with space/ü", ""] {
            validate_key("file:///root", key).expect(key);
        }
    }

    #[test]
    fn join_uses_one_slash() {
        assert_eq!(join("s3://b/", "/k"), "s3://b/k");
        assert_eq!(join("s3://b", "k"), "s3://b/k");
        assert_eq!(join("s3://b", ""), "s3://b");
        assert_eq!(join("file:///", "tmp/x"), "file:///tmp/x");
    }
}
