//! One store over several endpoints.
//!
//! Two cases, both correct for every scheme:
//! - [`Topology::SharedNamespace`]: the members are doors to one namespace (several S3
//!   gateways of one cluster); any request may go to any member, chosen by the
//!   [`LoadBalance`] policy or pinned by rank.
//! - [`Topology::IndependentRoots`]: the members are separate roots (several `file://`
//!   mounts or buckets); an object lives on the member chosen by a stable hash of its key,
//!   so reads find what writes put there, and listings merge all members.
//!
//! Keys are never rewritten. What each member served is measured by the records of its own
//! [`metered`](super::metered) layer (see [`crate::record`]).

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};

use crate::error::{Error, Result};
use crate::options::LoadBalance;
use crate::store::{
    Capabilities, ListEntry, ListMode, ObjectMeta, ObjectWriter, PutResult, Store, WriterOptions,
};

/// How the members relate (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    SharedNamespace,
    IndependentRoots,
}

#[derive(Debug)]
struct Member {
    store: Arc<dyn Store>,
    /// Requests in flight (the least-outstanding policy's input).
    outstanding: AtomicU64,
}

/// A multi-endpoint store.
#[derive(Debug)]
pub struct MultiEndpointStore {
    root: String,
    members: Vec<Member>,
    topology: Topology,
    policy: LoadBalance,
    pinned: Option<usize>,
    next: AtomicUsize,
}

/// Decrements a member's outstanding count when a request ends, however it ends.
struct InFlight<'a>(&'a Member);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.outstanding.fetch_sub(1, Ordering::Relaxed);
    }
}

impl MultiEndpointStore {
    /// `members` in endpoint order; `pin_rank` pins rank *r* to member *r mod n* (shared
    /// namespace only: with independent roots the key decides).
    pub fn new(
        root: String,
        members: Vec<Arc<dyn Store>>,
        topology: Topology,
        policy: LoadBalance,
        pin_rank: Option<usize>,
    ) -> Result<MultiEndpointStore> {
        if members.is_empty() {
            return Err(Error::InvalidInput {
                uri: root,
                reason: "a multi-endpoint store needs at least one endpoint".into(),
            });
        }
        if pin_rank.is_some() && topology == Topology::IndependentRoots {
            return Err(Error::InvalidInput {
                uri: root,
                reason: "rank pinning needs endpoints that share one namespace; with independent \
                         roots each object's key decides its root"
                    .into(),
            });
        }
        let n = members.len();
        Ok(MultiEndpointStore {
            root,
            members: members
                .into_iter()
                .map(|store| Member {
                    store,
                    outstanding: AtomicU64::new(0),
                })
                .collect(),
            topology,
            policy,
            pinned: pin_rank.map(|r| r % n),
            next: AtomicUsize::new(0),
        })
    }

    /// The member that serves `key`.
    fn pick(&self, key: &str) -> &Member {
        let n = self.members.len();
        let i = match (self.topology, self.pinned) {
            (Topology::IndependentRoots, _) => (stable_hash(key) % n as u64) as usize,
            (Topology::SharedNamespace, Some(p)) => p,
            (Topology::SharedNamespace, None) => match self.policy {
                LoadBalance::RoundRobin => self.next.fetch_add(1, Ordering::Relaxed) % n,
                LoadBalance::Random => fastrand::usize(..n),
                LoadBalance::LeastOutstanding => {
                    // Ties are broken round-robin so idle members share the load.
                    let start = self.next.fetch_add(1, Ordering::Relaxed);
                    (0..n)
                        .map(|j| (start + j) % n)
                        .min_by_key(|&j| self.members[j].outstanding.load(Ordering::Relaxed))
                        .unwrap_or(0)
                }
            },
        };
        &self.members[i]
    }

    /// Starts a request on the member for `key`: outstanding until the guard drops.
    fn start(&self, key: &str) -> (&Member, InFlight<'_>) {
        let m = self.pick(key);
        m.outstanding.fetch_add(1, Ordering::Relaxed);
        (m, InFlight(m))
    }
}

/// FNV-1a: stable across processes and versions (placement must never change).
pub fn stable_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

#[async_trait]
impl Store for MultiEndpointStore {
    fn root(&self) -> &str {
        &self.root
    }

    fn capabilities(&self) -> Capabilities {
        self.members[0].store.capabilities()
    }

    async fn get_opts(&self, key: &str, range: Option<Range<u64>>) -> Result<Bytes> {
        let (m, _g) = self.start(key);
        m.store.get_opts(key, range).await
    }

    async fn get_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let (m, _g) = self.start(key);
        m.store.get_into(key, offset, buf).await
    }

    async fn get_whole_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let (m, _g) = self.start(key);
        m.store.get_whole_into(key, offset, buf).await
    }

    async fn put(&self, key: &str, data: Bytes) -> Result<PutResult> {
        let (m, _g) = self.start(key);
        m.store.put(key, data).await
    }

    async fn writer(&self, key: &str, opts: WriterOptions) -> Result<Box<dyn ObjectWriter>> {
        let (m, _g) = self.start(key);
        m.store.writer(key, opts).await
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        let (m, _g) = self.start(key);
        m.store.head(key).await
    }

    fn list(&self, prefix: &str, mode: ListMode) -> BoxStream<'_, Result<ListEntry>> {
        match self.topology {
            Topology::SharedNamespace => self.pick(prefix).store.list(prefix, mode),
            Topology::IndependentRoots => {
                let prefix = prefix.to_string();
                let streams = self.members.iter().map(move |m| m.store.list(&prefix, mode));
                let merged = futures::stream::iter(streams.collect::<Vec<_>>()).flatten();
                if mode == ListMode::Delimited {
                    // The same "directory" can exist on several roots: report it once.
                    let mut seen = std::collections::HashSet::new();
                    Box::pin(merged.filter(move |e| {
                        let keep = match e {
                            Ok(ListEntry::Prefix(p)) => seen.insert(p.clone()),
                            _ => true,
                        };
                        futures::future::ready(keep)
                    }))
                } else {
                    Box::pin(merged)
                }
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let (m, _g) = self.start(key);
        m.store.delete(key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::memory::MemoryStore;
    use crate::layers::metered::MeteredStore;
    use crate::store::StoreExt;

    type PerEndpoint = crate::record::EndpointCounter;

    /// Column `c` (0 requests, 1 bytes, 2 errors) for endpoints `e0`, `e1`, ...
    fn column(counts: &PerEndpoint, n: usize, c: usize) -> Vec<u64> {
        (0..n)
            .map(|i| {
                let e = counts.of(&format!("e{i}"));
                [e.requests, e.bytes, e.errors][c]
            })
            .collect()
    }

    fn counted(names: &[&str], sink: &Arc<PerEndpoint>) -> Vec<Arc<dyn Store>> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let m = MeteredStore::new(Arc::new(MemoryStore::shared(n)), &format!("e{i}"), sink.clone());
                Arc::new(m) as Arc<dyn Store>
            })
            .collect()
    }

    fn members(names: &[&str]) -> Vec<Arc<dyn Store>> {
        counted(names, &Arc::new(PerEndpoint::default()))
    }

    #[tokio::test]
    async fn round_robin_spreads_evenly() {
        let sink = Arc::new(PerEndpoint::default());
        let s = MultiEndpointStore::new(
            "memory://rr".into(),
            counted(&["rr-a", "rr-a", "rr-a"], &sink),
            Topology::SharedNamespace,
            LoadBalance::RoundRobin,
            None,
        )
        .expect("store");
        for i in 0..30 {
            s.put(&format!("k{i}"), Bytes::from_static(b"x"))
                .await
                .expect("put");
        }
        assert_eq!(column(&sink, 3, 0), vec![10, 10, 10]);
    }

    #[tokio::test]
    async fn random_uses_every_endpoint() {
        let sink = Arc::new(PerEndpoint::default());
        let s = MultiEndpointStore::new(
            "memory://rnd".into(),
            counted(&["rnd", "rnd", "rnd", "rnd"], &sink),
            Topology::SharedNamespace,
            LoadBalance::Random,
            None,
        )
        .expect("store");
        for i in 0..400 {
            s.put(&format!("k{i}"), Bytes::from_static(b"x"))
                .await
                .expect("put");
        }
        let c = column(&sink, 4, 0);
        assert_eq!(c.iter().sum::<u64>(), 400);
        assert!(c.iter().all(|&n| n > 50), "{c:?}");
    }

    #[tokio::test]
    async fn least_outstanding_rotates_when_idle() {
        let sink = Arc::new(PerEndpoint::default());
        let s = MultiEndpointStore::new(
            "memory://lo".into(),
            counted(&["lo", "lo"], &sink),
            Topology::SharedNamespace,
            LoadBalance::LeastOutstanding,
            None,
        )
        .expect("store");
        for i in 0..10 {
            s.head(&format!("missing{i}")).await.expect_err("missing");
        }
        assert_eq!(column(&sink, 2, 0), vec![5, 5]);
        assert_eq!(column(&sink, 2, 2), vec![5, 5], "errors");
    }

    #[tokio::test]
    async fn least_outstanding_avoids_busy_member() {
        let sink = Arc::new(PerEndpoint::default());
        let s = MultiEndpointStore::new(
            "memory://lob".into(),
            counted(&["lob", "lob"], &sink),
            Topology::SharedNamespace,
            LoadBalance::LeastOutstanding,
            None,
        )
        .expect("store");
        s.members[0].outstanding.store(5, Ordering::Relaxed);
        for i in 0..6 {
            s.put(&format!("k{i}"), Bytes::from_static(b"x"))
                .await
                .expect("put");
        }
        assert_eq!(column(&sink, 2, 0), vec![0, 6]);
    }

    #[tokio::test]
    async fn pinning_sends_everything_to_rank_mod_n() {
        let sink = Arc::new(PerEndpoint::default());
        let s = MultiEndpointStore::new(
            "memory://pin".into(),
            counted(&["pin", "pin", "pin"], &sink),
            Topology::SharedNamespace,
            LoadBalance::RoundRobin,
            Some(4),
        )
        .expect("store");
        for i in 0..9 {
            s.put(&format!("k{i}"), Bytes::from_static(b"x"))
                .await
                .expect("put");
        }
        assert_eq!(column(&sink, 3, 0), vec![0, 9, 0]);
    }

    #[tokio::test]
    async fn independent_roots_read_after_write_and_list_all() {
        let sink = Arc::new(PerEndpoint::default());
        let s = MultiEndpointStore::new(
            "memory://ind".into(),
            counted(&["ind-a", "ind-b", "ind-c"], &sink),
            Topology::IndependentRoots,
            LoadBalance::RoundRobin,
            None,
        )
        .expect("store");
        for i in 0..60 {
            s.put(&format!("d/k{i}"), Bytes::from(format!("v{i}")))
                .await
                .expect("put");
        }
        for i in 0..60 {
            assert_eq!(
                s.get(&format!("d/k{i}")).await.expect("get"),
                Bytes::from(format!("v{i}"))
            );
        }
        let c = column(&sink, 3, 1);
        assert!(c.iter().all(|&b| b > 0), "every root holds some objects: {c:?}");
        assert_eq!(
            s.list_all("d/", ListMode::Recursive).await.expect("list").len(),
            60
        );
        let dirs = s.list_all("", ListMode::Delimited).await.expect("list");
        assert_eq!(dirs, vec![ListEntry::Prefix("d/".into())]);
    }

    #[test]
    fn pinning_independent_roots_is_refused() {
        let e = MultiEndpointStore::new(
            "memory://x".into(),
            members(&["x1", "x2"]),
            Topology::IndependentRoots,
            LoadBalance::RoundRobin,
            Some(0),
        )
        .expect_err("refused");
        assert!(e.to_string().contains("rank pinning"), "{e}");
    }

    #[test]
    fn stable_hash_is_fnv1a() {
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
