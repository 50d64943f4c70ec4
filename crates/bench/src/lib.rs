//! The DLIO-compatible storage benchmark: workload configuration ([`config`]), the workloads
//! MLPerf Storage ships ([`workloads`]), the pure planning of a run ([`plan`]) and dataset
//! generation through a store ([`generate`]), and DLIO's AU/throughput arithmetic
//! ([`metrics`]). The training loop and checkpoint emulation come next.

pub mod checkpoint;
pub mod compute;
pub mod config;
pub mod generate;
pub mod host;
pub mod loader;
pub mod metrics;
pub mod plan;
pub mod ranks;
pub mod report;
pub mod results;
pub mod run;
pub mod train;
pub mod workloads;
