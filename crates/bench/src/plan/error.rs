//! The plan's error.

/// Why a workload cannot be planned (named before anything runs).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The checkpoint layout does not fit (names the keys involved).
    #[error("checkpoint plan: {0}")]
    Checkpoint(String),
    /// The training steps cannot be laid out (names the keys involved).
    #[error("{0}")]
    Train(String),
    /// A workflow part mlstor does not emulate.
    #[error("{0}")]
    NotSupported(String),
}
