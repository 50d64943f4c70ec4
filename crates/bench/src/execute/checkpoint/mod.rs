//! Checkpoint emulation, as DLIO and MLPerf Storage define it: every rank writes its shards of
//! a large model's state (model layers and optimizer state, split by tensor, pipeline and
//! data parallelism and the ZeRO stage; the layout is the plan's
//! [`CheckpointPlan`](crate::plan::CheckpointPlan)) and reads them back.
//!
//! - [`engine`]: a [`Checkpointer`] saves one checkpoint of one rank through any
//!   [`Store`](mlstor_store::Store) (streaming/multipart writes of generated, verifiable
//!   bytes; several files in flight) and restores it (parallel ranged reads, optional
//!   verification). A file is visible completely or not at all; a failed or cancelled save
//!   leaves none of the rank's files of that checkpoint behind and no multipart upload open.
//! - [`workflow`]: DLIO's standalone checkpoint workflow on one rank (saves, then restores,
//!   with barriers and emulated compute between them).
//! - [`space`]: the free-space check before a local save.
//!
//! Checkpointing *during training* calls [`Checkpointer::save`] for `(epoch, step)` and gets a
//! [`CheckpointReport`](crate::records::checkpoint::CheckpointReport) back; its request
//! latencies come from the run's records.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use mlstor_bench::execute::checkpoint::{Checkpointer, CheckpointOptions, Control};
//! let w = mlstor_bench::config::load("llama3_tiny", &[], &|_| None)?;
//! let plan = mlstor_bench::plan::Plan::build(&w, 1, false)?;
//! let store = mlstor_store::store_for_uri("memory://ckpt-doc", &Default::default())?;
//! let ckpt = Checkpointer::new(store, &plan, 0, CheckpointOptions::default())?;
//! let saved = ckpt.save(1, 1, &Control::default()).await?;
//! let restored = ckpt.restore(1, 1, &Control::default()).await?;
//! assert_eq!(saved.bytes, restored.bytes);
//! # Ok::<(), Box<dyn std::error::Error>>(()) }).unwrap();
//! ```

pub mod engine;
mod error;
pub mod space;
pub mod workflow;

pub use engine::{CheckpointOptions, Checkpointer, Control};
pub use error::CheckpointError;
