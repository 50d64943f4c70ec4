//! What can go wrong with a checkpoint.

/// What can go wrong planning, saving or restoring a checkpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The workload cannot be checkpointed at this rank count (names the keys involved).
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// The part size or another option is unusable.
    #[error("checkpoint options: {0}")]
    Options(String),
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
    /// Fewer checkpoints exist than `checkpoint.num_checkpoints_read` asks to restore.
    #[error("checkpoint.num_checkpoints_read is {wanted} but {uri} holds {found} checkpoint(s)")]
    NotEnoughCheckpoints { uri: String, wanted: u64, found: u64 },
    /// A save failed and some of its files could not be removed again (named).
    #[error("{cause}; and {} of its file(s) could not be removed: {}", keys.len(), keys.join(", "))]
    NotRemoved {
        cause: Box<CheckpointError>,
        keys: Vec<String>,
    },
    /// The save or restore was cancelled (Ctrl-C, or another file of it failed).
    #[error("{0} was cancelled")]
    Cancelled(String),
    #[error(transparent)]
    Datagen(#[from] mlstor_datagen::Error),
    #[error("a checkpoint task failed")]
    Join(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Ranks(#[from] crate::ranks::RanksError),
}

impl CheckpointError {
    pub fn is_cancelled(&self) -> bool {
        match self {
            CheckpointError::Cancelled(_) => true,
            CheckpointError::NotRemoved { cause, .. } => cause.is_cancelled(),
            _ => false,
        }
    }
}
