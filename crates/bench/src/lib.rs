//! The DLIO-compatible storage benchmark, as a data path whose folders go down one way:
//!
//! ```text
//! config ──► plan ──► execute (generate | loader + train | checkpoint | load) ──► results ──► report
//!                          │  every storage request is a record (store's metered layer)
//!                          └──────────────► records ──────────────┘
//! ```
//!
//! - [`config`]: the workload YAML (DLIO's schema and defaults, `${VAR}`s, overrides);
//!   [`workloads`] ships MLPerf Storage's.
//! - [`plan`]: the pure [`Plan`](plan::Plan) of a run (epochs, steps, blocks, evaluations,
//!   checkpoints, each rank's files and samples, memory), and where data lives.
//! - [`execute`]: the one executor of any plan, on one rank or many ([`ranks`]): dataset
//!   generation, the data loader and training loop, checkpoints, the object load generator.
//! - [`records`]: what a run measured: every storage request aggregated by phase, operation
//!   and endpoint (and optionally logged), and the workflow's own timings.
//! - [`results`]: the results folder (DLIO's files and `results.json`), written once and
//!   read back; [`report`]: tables, HTML and comparisons from the files alone.
//! - [`metrics`] (DLIO's AU arithmetic, latency histograms, mean/stdev) and [`host`] are the
//!   leaves everything uses.
//!
//! `docs/architecture.md` draws the layers.

pub mod config;
pub mod execute;
pub mod host;
pub mod metrics;
pub mod plan;
pub mod ranks;
pub mod records;
pub mod report;
pub mod results;
pub mod workloads;
