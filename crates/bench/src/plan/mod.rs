//! Pure planning: which files a run has and which rank handles which. No I/O here.

pub mod files;
pub mod locations;
pub mod numpy_rng;
pub mod order;
pub mod samples;
