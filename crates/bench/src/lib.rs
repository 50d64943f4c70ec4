//! The DLIO-compatible storage benchmark: workload configuration ([`config`]), the workloads
//! MLPerf Storage ships ([`workloads`]), the pure planning of a run ([`plan`]) and dataset
//! generation through a store ([`generate`]). Training and checkpoint emulation come next.

pub mod config;
pub mod generate;
pub mod plan;
pub mod workloads;
