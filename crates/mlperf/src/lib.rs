//! MLPerf Storage v3.0's flows over mlstor's benchmark: how big the dataset must be
//! ([`datasize`]), where each run is recorded ([`tree`]), whether runs and whole results
//! are CLOSED, OPEN or INVALID ([`rules`]), the hosts and `mpirun` line of a run
//! ([`hosts`]) and the rows of the submission's tables ([`report`]). It reads and writes
//! plain JSON: it knows mlpstorage's files, not how a run is executed (the `mlstor mlperf`
//! command joins the two).

pub mod datasize;
pub mod edition;
pub mod hosts;
pub mod provenance;
pub mod report;
pub mod rules;
pub mod tree;
