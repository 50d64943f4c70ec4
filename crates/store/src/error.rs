//! The one error type of `mlstor-store`.
//!
//! Every variant names the URI it is about and keeps the cause chain (`source()`), so a user
//! sees *what* failed and *why*. Secrets never reach an error: backends build messages from
//! URIs, endpoints and server replies only.

use std::error::Error as StdError;

/// A boxed cause, as carried in [`Error`] variants.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Errors of every store operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URI could not be parsed or names an unknown scheme.
    #[error("invalid URI {uri:?}: {reason}")]
    InvalidUri { uri: String, reason: String },

    /// A key or argument was rejected before any I/O (path escape, bad range, bad option).
    #[error("invalid input for {uri}: {reason}")]
    InvalidInput { uri: String, reason: String },

    /// The object (or bucket/container) does not exist.
    #[error("not found: {uri}")]
    NotFound {
        uri: String,
        #[source]
        source: Option<BoxError>,
    },

    /// The server or file system refused the credentials or the permission.
    #[error("permission denied for {uri} (endpoint {endpoint})")]
    PermissionDenied {
        uri: String,
        endpoint: String,
        #[source]
        source: Option<BoxError>,
    },

    /// A requested byte range starts past the end of the object.
    #[error("range {offset}..{end} is out of bounds for {uri} (size {size})")]
    RangeOutOfBounds {
        uri: String,
        offset: u64,
        end: u64,
        size: u64,
    },

    /// The backend cannot do this (e.g. O_DIRECT on tmpfs, an option a scheme lacks).
    #[error("not supported for {uri}: {what}")]
    NotSupported { uri: String, what: String },

    /// A transient failure (5xx, throttling, connection reset, timeout) that persisted.
    #[error("transient failure on {uri} after {attempts} attempt(s)")]
    Transient {
        uri: String,
        attempts: u32,
        #[source]
        source: BoxError,
    },

    /// A local I/O error.
    #[error("I/O error on {uri}")]
    Io {
        uri: String,
        #[source]
        source: std::io::Error,
    },

    /// Any other failure reported by a backend client.
    #[error("storage error on {uri}")]
    Backend {
        uri: String,
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// Whether retrying the same operation may succeed (used by the retry layer).
    pub fn is_temporary(&self) -> bool {
        matches!(self, Error::Transient { .. })
    }

    /// Whether this is [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// The URI the error is about.
    pub fn uri(&self) -> &str {
        match self {
            Error::InvalidUri { uri, .. }
            | Error::InvalidInput { uri, .. }
            | Error::NotFound { uri, .. }
            | Error::PermissionDenied { uri, .. }
            | Error::RangeOutOfBounds { uri, .. }
            | Error::NotSupported { uri, .. }
            | Error::Transient { uri, .. }
            | Error::Io { uri, .. }
            | Error::Backend { uri, .. } => uri,
        }
    }

    /// Maps a local I/O error, turning the kinds with a variant of their own into it.
    pub(crate) fn from_io(uri: impl Into<String>, source: std::io::Error) -> Error {
        let uri = uri.into();
        match source.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound {
                uri,
                source: Some(Box::new(source)),
            },
            std::io::ErrorKind::PermissionDenied => Error::PermissionDenied {
                uri,
                endpoint: "local file system".into(),
                source: Some(Box::new(source)),
            },
            _ => Error::Io { uri, source },
        }
    }
}

/// The error and its sources, `: `-joined (what `{:#}` prints for an `anyhow::Error`).
pub fn chain(err: &dyn StdError) -> String {
    let mut s = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        s.push_str(": ");
        s.push_str(&e.to_string());
        next = e.source();
    }
    s
}

/// A short, single-line cause: server replies can be long multi-line XML bodies.
#[derive(Debug)]
pub(crate) struct Trimmed(pub String);

impl Trimmed {
    pub(crate) fn boxed(err: &dyn std::fmt::Display) -> BoxError {
        let text = err.to_string();
        let line = text.lines().next().unwrap_or("").trim();
        let mut line: String = line.chars().take(300).collect();
        if line.len() < text.trim().len() {
            line.push_str(" ...");
        }
        Box::new(Trimmed(line))
    }
}

impl Trimmed {
    /// [`Trimmed::boxed`] with the error's root cause appended when its first line does not
    /// say it: "error sending request" becomes "error sending request (cause: Connection
    /// refused (os error 111))", so a refused and a timed-out connection read differently.
    pub(crate) fn with_cause(err: &(dyn StdError + 'static)) -> BoxError {
        let mut root: &(dyn StdError + 'static) = err;
        while let Some(next) = root.source() {
            root = next;
        }
        let boxed = Trimmed::boxed(&err);
        let cause = root.to_string();
        let cause = cause.lines().next().unwrap_or("").trim();
        if err.source().is_none() || cause.is_empty() || boxed.to_string().contains(cause) {
            return boxed;
        }
        let cause: String = cause.chars().take(200).collect();
        Box::new(Trimmed(format!("{boxed} (cause: {cause})")))
    }
}

impl std::fmt::Display for Trimmed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Trimmed {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_map_to_semantic_variants() {
        let e = Error::from_io("file:///x", std::io::Error::from(std::io::ErrorKind::NotFound));
        assert!(e.is_not_found());
        assert_eq!(e.uri(), "file:///x");
        let e = Error::from_io(
            "file:///x",
            std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        );
        assert!(matches!(e, Error::PermissionDenied { .. }));
    }

    #[test]
    fn the_root_cause_is_said() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("error sending request")
            }
        }
        impl StdError for Outer {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let e = Outer(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let t = Trimmed::with_cause(&e).to_string();
        assert!(
            t.starts_with("error sending request (cause: ") && t.contains("refused"),
            "{t}"
        );
        assert_eq!(
            Trimmed::with_cause(&std::io::Error::other("plain")).to_string(),
            "plain"
        );
    }

    #[test]
    fn trimmed_keeps_first_line_only() {
        let t = Trimmed::boxed(&"first line\n<xml>\n</xml>");
        assert_eq!(t.to_string(), "first line ...");
    }
}
