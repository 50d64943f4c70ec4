//! Statistics over per-step timings, computed exactly as DLIO computes them (so MLPerf
//! Storage numbers compare), next to exact variants where DLIO's formula is biased.

pub mod au;
pub mod latency;
pub mod stats;
