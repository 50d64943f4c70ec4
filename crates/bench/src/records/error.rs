//! The records layer's error (the op-log file).

/// Errors of the records layer (the op-log file).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordsError {
    #[error("op-log {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("op-log {path}, line {line}: {reason}")]
    Parse { path: String, line: u64, reason: String },
}
