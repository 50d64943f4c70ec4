//! The DLIO-compatible storage benchmark: workload configuration ([`config`]), the workloads
//! MLPerf Storage ships ([`workloads`]) and the pure planning of a run ([`plan`]). Dataset
//! generation, training and checkpoint emulation build on these.

pub mod config;
pub mod plan;
pub mod workloads;
