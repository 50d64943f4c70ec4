//! Parsing of storage URIs: `scheme://container/path`.
//!
//! Keys are taken verbatim (no percent-decoding), so `s3://b/my file ü` names the key
//! `my file ü`. `file://` and `direct://` URIs carry an absolute path (`file:///data/x`).

use crate::error::{Error, Result};

/// The six supported schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    File,
    Direct,
    Memory,
    S3,
    Azure,
    Gcs,
}

impl Scheme {
    /// The URI prefix without `://`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::File => "file",
            Scheme::Direct => "direct",
            Scheme::Memory => "memory",
            Scheme::S3 => "s3",
            Scheme::Azure => "az",
            Scheme::Gcs => "gs",
        }
    }

    /// Whether URIs of this scheme name a local path rather than a container.
    pub fn is_local(self) -> bool {
        matches!(self, Scheme::File | Scheme::Direct)
    }

    fn parse(s: &str) -> Option<Scheme> {
        Some(match s {
            "file" => Scheme::File,
            "direct" => Scheme::Direct,
            "memory" | "mem" => Scheme::Memory,
            "s3" => Scheme::S3,
            "az" | "azure" => Scheme::Azure,
            "gs" | "gcs" => Scheme::Gcs,
            _ => return None,
        })
    }
}

/// A parsed storage URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreUri {
    pub scheme: Scheme,
    /// Bucket, container or memory namespace; empty for `file://` and `direct://`.
    pub container: String,
    /// For local schemes the absolute path; otherwise the key or prefix (no leading `/`).
    pub path: String,
}

impl StoreUri {
    /// Parses `uri`, rejecting unknown schemes and malformed containers.
    pub fn parse(uri: &str) -> Result<StoreUri> {
        let bad = |reason: &str| Error::InvalidUri {
            uri: uri.to_string(),
            reason: reason.to_string(),
        };
        let (scheme, rest) = uri
            .split_once("://")
            .ok_or_else(|| bad("expected scheme://..., e.g. s3://bucket/key or file:///path"))?;
        let scheme = Scheme::parse(&scheme.to_ascii_lowercase()).ok_or_else(|| {
            bad(&format!(
                "unknown scheme {scheme:?}; supported: file, direct, memory, s3, az, gs"
            ))
        })?;
        if rest.contains('\0') {
            return Err(bad("contains a NUL byte"));
        }
        if scheme.is_local() {
            if !rest.starts_with('/') {
                return Err(bad(&format!(
                    "{}:// needs an absolute path: {}:///path/to/data",
                    scheme.as_str(),
                    scheme.as_str()
                )));
            }
            return Ok(StoreUri {
                scheme,
                container: String::new(),
                path: rest.to_string(),
            });
        }
        let (container, path) = rest.split_once('/').unwrap_or((rest, ""));
        if container.is_empty() {
            return Err(bad("missing bucket/container name"));
        }
        let valid = container
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(bad(&format!(
                "invalid bucket/container name {container:?} (letters, digits, '-', '_', '.')"
            )));
        }
        Ok(StoreUri {
            scheme,
            container: container.to_string(),
            path: path.to_string(),
        })
    }

    /// `scheme://container` (or `file://` for local schemes): the root a store is built on.
    pub fn root(&self) -> String {
        format!("{}://{}", self.scheme.as_str(), self.container)
    }

    /// The local path a `file://` or `direct://` URI names; `None` for other schemes.
    pub fn local_path(&self) -> Option<&std::path::Path> {
        self.scheme.is_local().then(|| std::path::Path::new(&self.path))
    }
}

impl std::fmt::Display for StoreUri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.scheme.is_local() {
            write!(f, "{}://{}", self.scheme.as_str(), self.path)
        } else {
            write!(f, "{}/{}", self.root(), self.path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_of_local_schemes_only() {
        let path = |u: &str| StoreUri::parse(u).expect(u).local_path().map(|p| p.to_path_buf());
        assert_eq!(path("file:///data/x"), Some("/data/x".into()));
        assert_eq!(path("direct:///mnt/d"), Some("/mnt/d".into()));
        assert_eq!(path("s3://bucket/data/x"), None);
        assert_eq!(path("memory://ns/x"), None);
    }

    #[test]
    fn parses_every_scheme() {
        let u = StoreUri::parse("s3://bucket/a/b c").expect("s3");
        assert_eq!(
            (u.scheme, u.container.as_str(), u.path.as_str()),
            (Scheme::S3, "bucket", "a/b c")
        );
        let u = StoreUri::parse("az://cont").expect("az");
        assert_eq!((u.scheme, u.path.as_str()), (Scheme::Azure, ""));
        let u = StoreUri::parse("gs://b/k").expect("gs");
        assert_eq!(u.scheme, Scheme::Gcs);
        let u = StoreUri::parse("file:///tmp/x").expect("file");
        assert_eq!((u.scheme, u.path.as_str()), (Scheme::File, "/tmp/x"));
        let u = StoreUri::parse("direct:///tmp/x").expect("direct");
        assert_eq!(u.scheme, Scheme::Direct);
        let u = StoreUri::parse("memory://ns/k").expect("memory");
        assert_eq!((u.container.as_str(), u.path.as_str()), ("ns", "k"));
        assert_eq!(u.to_string(), "memory://ns/k");
    }

    #[test]
    fn rejects_bad_uris_with_reason() {
        for (uri, needle) in [
            ("ftp://x/y", "unknown scheme"),
            ("no-scheme", "expected scheme"),
            ("s3:///key", "missing bucket"),
            ("s3://bad bucket/k", "invalid bucket"),
            ("file://relative/x", "absolute path"),
        ] {
            let err = StoreUri::parse(uri).expect_err(uri).to_string();
            assert!(err.contains(needle), "{uri}: {err}");
            assert!(err.contains(uri), "{uri}: {err}");
        }
    }
}
