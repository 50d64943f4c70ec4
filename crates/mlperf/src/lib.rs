//! MLPerf Storage v3.0's flows over mlstor's benchmark: how big the dataset must be
//! ([`datasize`]), where each run is recorded ([`tree`]), whether runs and whole results
//! are CLOSED, OPEN or INVALID ([`rules`]) and the tables a submission carries
//! ([`report`]). It reads and writes plain JSON: it knows mlpstorage's files, not how a
//! run is executed (the `mlstor mlperf` command joins the two).

pub mod datasize;
pub mod edition;
pub mod rules;
pub mod tree;
