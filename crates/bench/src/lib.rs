//! The DLIO-compatible storage benchmark: workload configuration ([`config`]) and the
//! workloads MLPerf Storage ships ([`workloads`]). Planning, dataset generation, training and
//! checkpoint emulation build on these.

pub mod config;
pub mod workloads;
