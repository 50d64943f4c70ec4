//! Checkpoint emulation, as DLIO and MLPerf Storage define it: every rank writes its shards of
//! a large model's state (model layers and optimizer state, split by tensor, pipeline and
//! data parallelism and the ZeRO stage) and reads them back.
//!
//! - [`plan`]: which files each rank writes and their exact byte counts (pure arithmetic;
//!   DLIO's `checkpoint_size_GB` too), from a [`Workload`](crate::config::Workload) and a rank count.
//! - [`engine`]: a [`Checkpointer`] saves one checkpoint of one rank through any
//!   [`Store`](mlstor_store::Store) (streaming/multipart writes of generated, verifiable
//!   bytes; several files in flight) and restores it (parallel ranged reads, optional
//!   verification). A file is visible completely or not at all; a failed or cancelled save
//!   leaves none of the rank's files of that checkpoint behind and no multipart upload open.
//! - [`report`]: per-file and per-checkpoint durations, bytes, GB/s and the latency
//!   histogram of the part writes (or ranged reads).
//! - [`workflow`]: DLIO's standalone checkpoint workflow on every rank (writes, then
//!   restores, with barriers and emulated compute between them); [`summary`] combines the
//!   ranks' runs into DLIO's `summary.json` keys and mlstor's aggregate figures;
//!   [`results`] is the whole `mlstor run` of a checkpoint-only workload, results folder included.
//!
//! Checkpointing *during training* calls [`Checkpointer::save`] for `(epoch, step)` and gets a
//! [`CheckpointReport`] back.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use mlstor_bench::checkpoint::{Checkpointer, CheckpointOptions, Control};
//! let w = mlstor_bench::config::load("llama3_tiny", &[], &|_| None)?;
//! let store = mlstor_store::store_for_uri("memory://ckpt-doc", &Default::default())?;
//! let ckpt = Checkpointer::new(store, &w, 0, 1, CheckpointOptions::default())?;
//! let saved = ckpt.save(1, 1, &Control::default()).await?;
//! let restored = ckpt.restore(1, 1, &Control::default()).await?;
//! assert_eq!(saved.bytes, restored.bytes);
//! # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
//! ```

pub mod engine;
pub mod plan;
pub mod report;
pub mod results;
pub mod space;
pub mod summary;
pub mod workflow;

pub use engine::{CheckpointOptions, Checkpointer, Control};
pub use plan::{CheckpointPlan, PlanOptions, ShardFile, ShardKind, checkpoint_name};
pub use report::{CheckpointReport, Direction, FileReport};

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
    #[error("generating the dataset")]
    Generate(#[from] crate::generate::GenerateError),
    #[error(transparent)]
    Results(#[from] crate::results::ResultsError),
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
