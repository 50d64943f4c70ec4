//! Checkpoint emulation, as DLIO and MLPerf Storage define it: every rank writes its shards of
//! a large model's state (model layers and optimizer state, split by tensor, pipeline and
//! data parallelism and the ZeRO stage) and reads them back.
//!
//! - [`plan`]: which files each rank writes and their exact byte counts (pure arithmetic;
//!   DLIO's `checkpoint_size_GB` too), from a [`Workload`](crate::config::Workload) and a rank count.
//! - saving and restoring through a store come next.

pub mod plan;

pub use plan::{CheckpointPlan, PlanOptions, ShardFile, ShardKind, checkpoint_name};

/// What can go wrong planning, saving or restoring a checkpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The workload cannot be checkpointed at this rank count (names the keys involved).
    #[error("checkpoint plan: {0}")]
    Plan(String),
    #[error(transparent)]
    Store(#[from] mlstor_store::Error),
    /// A file read back is not what was written.
    #[error("checkpoint file {uri} does not hold the bytes that were written")]
    Corrupt {
        uri: String,
        #[source]
        source: mlstor_datagen::Error,
    },
    /// A file read back has another size than the plan says.
    #[error("checkpoint file {uri} has {found} bytes; the plan says {expected}")]
    SizeMismatch { uri: String, expected: u64, found: u64 },
    /// The save or restore was cancelled (Ctrl-C, or another file of it failed).
    #[error("checkpoint {0} was cancelled")]
    Cancelled(String),
    #[error(transparent)]
    Datagen(#[from] mlstor_datagen::Error),
    #[error("a checkpoint task failed")]
    Join(#[from] tokio::task::JoinError),
}

impl CheckpointError {
    pub fn is_cancelled(&self) -> bool {
        matches!(self, CheckpointError::Cancelled(_))
    }
}
