//! `mlstor compare`: storage libraries head to head on the same storage, with the same data,
//! at the same concurrency, with every byte they read checked.
//!
//! ```text
//! spec ──► run: for each repeat, each library (rotating order), in its own prefix:
//!            worker (own process: Python worker.py or `mlstor compare-worker`)
//!              write ──► check (listing) ──► read ──► check (CRC-32 per object) ──► delete
//!        ──► Report (raw samples, JSON) ──► summary (medians, percentiles, verdict) ──► render (text, HTML)
//! ```
//!
//! - [`spec`]: what to compare; [`library`]: the libraries and how each is driven;
//! - [`data`]: the objects (mlstor's generator) and their CRCs;
//! - [`worker`]: one library doing one op in its own process, and the Rust worker;
//! - [`run`]: the comparison; [`summary`]: statistics and the verdict; [`render`]: output.

pub mod data;
pub mod library;
pub mod render;
pub mod run;
pub mod spec;
pub mod summary;
pub mod worker;

use std::path::Path;

/// Errors of a comparison.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompareError {
    #[error("{0}")]
    Spec(String),
    #[error("{what}: {why}")]
    Worker { what: String, why: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(mlstor_store::Error),
    #[error(transparent)]
    Datagen(mlstor_datagen::Error),
}

impl CompareError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> CompareError {
        CompareError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
