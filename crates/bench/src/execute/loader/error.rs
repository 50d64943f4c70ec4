//! What can go wrong loading data.

use crate::plan::order::OrderError;

/// Errors of loading data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoaderError {
    #[error(
        "{uri}: {found} {split} files where the workload needs {expected} (like {example}); write them with \
         `mlstor generate` or `workflow.generate_data: True`"
    )]
    MissingFiles {
        uri: String,
        split: &'static str,
        found: usize,
        expected: usize,
        example: String,
    },
    #[error(transparent)]
    Store(#[from] mlstor_store::Error),
    #[error("{uri}: sample {sample}")]
    Decode {
        uri: String,
        sample: u64,
        #[source]
        source: mlstor_formats::Error,
    },
    #[error(
        "{uri}: sample {sample} is not what `mlstor generate` wrote ({reason}); --verify checks mlstor's own datasets"
    )]
    Verify {
        uri: String,
        sample: u64,
        reason: String,
    },
    #[error("{uri}: bad sample index: {reason}")]
    Index { uri: String, reason: String },
    #[error(
        "{uri}: dataset.skip_listing names the files as DLIO 3.0.2 does, but {} of the {checked} checked are missing (like {}){hint}",
        missing.len(),
        missing.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
    )]
    SkipListing {
        uri: String,
        checked: usize,
        missing: Vec<String>,
        hint: String,
    },
    #[error("{uri}: read {got} bytes where the listing said {want}")]
    Short { uri: String, got: u64, want: u64 },
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error("a loader worker stopped unexpectedly")]
    WorkerGone,
}
