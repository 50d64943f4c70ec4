//! What a run measured. Two kinds of records, both serialisable so ranks send them to rank
//! 0 and a saved run can be reported again:
//!
//! - **Storage requests**: every request of every store of the run is one
//!   [`OpRecord`](mlstor_store::OpRecord) (made by the store's metered layer) that the
//!   rank's [`Recorder`] aggregates as it arrives: per [`Tag`] (what the run was doing: a
//!   training block, an evaluation, a checkpoint save, generation, a load test) and per
//!   operation ([`PhaseStats`], [`OpStats`]: requests, errors, bytes, latency and
//!   time-to-first-byte histograms), and per endpoint ([`EndpointReport`]). With an op-log
//!   ([`oplog`]) every record is also written out, one line each.
//! - **The workflow's own measurements**, which are not single requests: a training rank's
//!   steps and epochs ([`train`]), checkpoint saves and restores timed as DLIO times them
//!   ([`checkpoint`]).

pub mod checkpoint;
mod error;
pub mod oplog;
mod tag;
pub mod train;

pub use error::RecordsError;
pub use tag::Tag;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use mlstor_store::{EndpointCounter, Op, OpRecord, RecordSink};
use serde::{Deserialize, Serialize};

use crate::metrics::latency::Latency;

/// One kind of request within a phase.
#[derive(Debug, Clone, Default)]
pub struct OpStats {
    /// Requests that succeeded, and those that failed (each attempt counts).
    pub requests: u64,
    pub errors: u64,
    /// Data bytes moved by the successful ones.
    pub bytes: u64,
    /// Latency of the successful ones, and their time to first byte where the protocol
    /// has one.
    pub latency: Latency,
    pub first_byte: Latency,
}

impl OpStats {
    pub fn merge(&mut self, o: &OpStats) {
        self.requests += o.requests;
        self.errors += o.errors;
        self.bytes += o.bytes;
        self.latency.merge(&o.latency);
        self.first_byte.merge(&o.first_byte);
    }

    fn add(&mut self, r: &OpRecord<'_>) {
        if r.error.is_some() {
            self.errors += 1;
            return;
        }
        self.requests += 1;
        self.bytes += r.bytes;
        self.latency.record(r.end - r.start);
        if let Some(f) = r.first_byte {
            self.first_byte.record(f - r.start);
        }
    }
}

/// The requests of one phase, by operation.
#[derive(Debug, Clone, Default)]
pub struct PhaseStats {
    pub ops: BTreeMap<Op, OpStats>,
}

impl PhaseStats {
    /// The requests of the operations `pick` selects, merged.
    pub fn merged(&self, pick: impl Fn(Op) -> bool) -> OpStats {
        let mut out = OpStats::default();
        for (_, s) in self.ops.iter().filter(|(op, _)| pick(**op)) {
            out.merge(s);
        }
        out
    }

    /// Reads of object data (whole, ranged, into a buffer).
    pub fn reads(&self) -> OpStats {
        self.merged(Op::is_read)
    }

    pub fn merge(&mut self, o: &PhaseStats) {
        for (op, s) in &o.ops {
            self.ops.entry(*op).or_default().merge(s);
        }
    }
}

/// What one rank generated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateReport {
    pub files: u64,
    pub bytes: u64,
    pub seconds: f64,
}

/// One endpoint's share of a rank's requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointReport {
    pub endpoint: String,
    pub requests: u64,
    pub bytes: u64,
    pub errors: u64,
}

/// A rank's aggregator of storage records: give it to the run's stores as their
/// [`StoreOptions::sink`](mlstor_store::StoreOptions::sink).
#[derive(Debug)]
pub struct Recorder {
    phases: Mutex<HashMap<u64, PhaseStats>>,
    endpoints: EndpointCounter,
    log: Option<oplog::OpLogWriter>,
}

impl Default for Recorder {
    fn default() -> Recorder {
        Recorder::new()
    }
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder {
            phases: Mutex::new(HashMap::new()),
            endpoints: EndpointCounter::default(),
            log: None,
        }
    }

    /// Also writes every record to the op-log `path` (zstd-compressed when it ends in
    /// `.zst`), as rank `rank`; requests made from now on are timed from `t0`.
    pub fn with_log(mut self, path: &Path, rank: usize, t0: Instant) -> Result<Recorder, RecordsError> {
        self.log = Some(oplog::OpLogWriter::create(path, rank, t0)?);
        Ok(self)
    }

    /// Removes and returns what was recorded under `tag`.
    pub fn take(&self, tag: Tag) -> PhaseStats {
        lock(&self.phases).remove(&tag.code()).unwrap_or_default()
    }

    /// What was recorded under `tag`, left in place.
    pub fn get(&self, tag: Tag) -> PhaseStats {
        lock(&self.phases).get(&tag.code()).cloned().unwrap_or_default()
    }

    /// Requests, bytes and errors per endpoint, in the order endpoints were first used.
    pub fn endpoints(&self) -> Vec<EndpointReport> {
        self.endpoints
            .snapshot()
            .into_iter()
            .map(|e| EndpointReport {
                endpoint: e.endpoint,
                requests: e.requests,
                bytes: e.bytes,
                errors: e.errors,
            })
            .collect()
    }

    /// Flushes and closes the op-log (if any); returns how many records it holds.
    pub fn finish(&self) -> Result<Option<u64>, RecordsError> {
        self.log.as_ref().map(oplog::OpLogWriter::finish).transpose()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl RecordSink for Recorder {
    fn record(&self, r: &OpRecord<'_>) {
        lock(&self.phases)
            .entry(r.tag)
            .or_default()
            .ops
            .entry(r.op)
            .or_default()
            .add(r);
        self.endpoints.add(r);
        if let Some(log) = &self.log {
            log.write(r);
        }
    }

    fn endpoint_added(&self, endpoint: &str) {
        self.endpoints.register(endpoint);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use mlstor_store::{StoreExt, StoreOptions, store_for_uri};

    use super::*;

    #[test]
    fn tags_round_trip() {
        for t in [
            Tag::Setup,
            Tag::Generate,
            Tag::Train { epoch: 3, block: 2 },
            Tag::Eval { epoch: 9 },
            Tag::Save { epoch: 1, step: 7 },
            Tag::Restore {
                epoch: 1,
                step: 70_000,
            },
            Tag::Load,
        ] {
            assert_eq!(Tag::from_code(t.code()), t, "{}", t.name());
        }
        assert_eq!(Tag::Setup.code(), 0, "untagged work is setup");
        assert_eq!(Tag::Train { epoch: 1, block: 2 }.name(), "train e1 b2");
    }

    #[tokio::test]
    async fn records_split_by_tag_op_and_endpoint() {
        let rec = Arc::new(Recorder::new());
        let opts = StoreOptions {
            sink: Some(rec.clone()),
            ..Default::default()
        };
        let store = store_for_uri("memory://records-test", &opts).expect("store");
        store.put("a", Bytes::from(vec![1u8; 100])).await.expect("put");
        let train = Tag::Train { epoch: 1, block: 1 };
        train
            .scope(async {
                for _ in 0..3 {
                    store.get("a").await.expect("get");
                }
                store.get_range("a", 0, 10).await.expect("range");
                assert!(store.get("missing").await.is_err());
            })
            .await;
        let t = rec.take(train);
        let reads = t.reads();
        assert_eq!((reads.requests, reads.bytes, reads.errors), (4, 310, 1));
        assert_eq!(reads.latency.count(), 4);
        assert_eq!(t.ops[&Op::Get].requests, 3);
        assert_eq!(rec.take(train).ops.len(), 0, "taken");
        assert_eq!(rec.get(Tag::Setup).ops[&Op::Put].bytes, 100);
        let e = rec.endpoints();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].requests, e[0].bytes, e[0].errors), (6, 410, 1));
        assert_eq!(e[0].endpoint, "memory://records-test");
    }
}
