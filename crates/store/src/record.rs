//! One record per storage request, for whoever measures: [`OpRecord`]s go to a
//! [`RecordSink`] given in [`StoreOptions::sink`](crate::StoreOptions::sink); the
//! [`metered`](crate::layers::metered) layer makes them (one per attempt, each backend of a
//! multi-endpoint store on its own, so every record names the endpoint that served it).
//!
//! Three values travel with the calling task instead of through the [`Store`](crate::Store)
//! API, so no signature has to carry them:
//! - the caller's **tag** ([`tagged`]): a number the caller chooses (a training phase, a
//!   checkpoint) that lands in every record made inside it, so statistics can be split by
//!   what the run was doing without the store knowing about runs;
//! - the **attempt** number, set by the retry layer around each try;
//! - the **first byte**: backends call [`mark_first_byte`] when a response's first data
//!   arrives, giving time-to-first-byte where the protocol has one.
//!
//! Without a sink nothing is wrapped and nothing is recorded: the cost is zero.

use std::cell::Cell;
use std::future::Future;
use std::time::Instant;

/// What a request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    /// A whole object.
    Get,
    /// A byte range of an object.
    GetRange,
    /// A byte range into the caller's buffer.
    GetInto,
    /// A whole object in one request.
    Put,
    /// A streaming (multipart) write started.
    Create,
    /// One piece handed to a streaming writer.
    Write,
    /// A streaming write completed (the object became visible).
    Finish,
    /// A streaming write discarded.
    Abort,
    Head,
    /// One listing, from its first request to its last entry.
    List,
    Delete,
}

impl Op {
    pub const ALL: [Op; 11] = [
        Op::Get,
        Op::GetRange,
        Op::GetInto,
        Op::Put,
        Op::Create,
        Op::Write,
        Op::Finish,
        Op::Abort,
        Op::Head,
        Op::List,
        Op::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Get => "get",
            Op::GetRange => "get_range",
            Op::GetInto => "get_into",
            Op::Put => "put",
            Op::Create => "create",
            Op::Write => "write",
            Op::Finish => "finish",
            Op::Abort => "abort",
            Op::Head => "head",
            Op::List => "list",
            Op::Delete => "delete",
        }
    }

    /// Whether the op reads object data.
    pub fn is_read(self) -> bool {
        matches!(self, Op::Get | Op::GetRange | Op::GetInto)
    }

    /// Whether the op writes object data.
    pub fn is_write(self) -> bool {
        matches!(self, Op::Put | Op::Write)
    }
}

impl std::str::FromStr for Op {
    type Err = String;
    fn from_str(s: &str) -> Result<Op, String> {
        Op::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| format!("unknown op {s:?}"))
    }
}

/// One request (one attempt of it).
#[derive(Debug, Clone, Copy)]
pub struct OpRecord<'a> {
    pub op: Op,
    /// The key as the backend saw it (a prefixed store's prefix included).
    pub key: &'a str,
    /// Data bytes moved (read or written); 0 for metadata requests.
    pub bytes: u64,
    pub start: Instant,
    /// When the first data arrived, where the backend can tell.
    pub first_byte: Option<Instant>,
    pub end: Instant,
    /// The endpoint URL or root URI that served it.
    pub endpoint: &'a str,
    /// 1 for the first try, 2 for the first retry, ...
    pub attempt: u32,
    /// The error, if the request failed (errors never carry secrets).
    pub error: Option<&'a crate::Error>,
    /// The caller's tag ([`tagged`]); 0 outside any.
    pub tag: u64,
}

/// Receives every record. Called on the request's task, so it must be quick.
pub trait RecordSink: Send + Sync + std::fmt::Debug {
    fn record(&self, r: &OpRecord<'_>);

    /// A store made records for `endpoint` possible (called once per endpoint as stores are
    /// built, in the order the user gave them), so an endpoint that serves nothing can be
    /// reported too.
    fn endpoint_added(&self, endpoint: &str) {
        let _ = endpoint;
    }
}

/// One endpoint's requests: how many, the data bytes of the successful ones, the failures.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndpointCount {
    pub endpoint: String,
    pub requests: u64,
    pub bytes: u64,
    pub errors: u64,
}

/// A sink (or part of one) counting requests per endpoint, in the order endpoints were
/// first used.
#[derive(Debug, Default)]
pub struct EndpointCounter(std::sync::Mutex<Vec<EndpointCount>>);

impl EndpointCounter {
    fn index(v: &mut Vec<EndpointCount>, endpoint: &str) -> usize {
        match v.iter().position(|e| e.endpoint == endpoint) {
            Some(i) => i,
            None => {
                v.push(EndpointCount {
                    endpoint: endpoint.to_string(),
                    ..EndpointCount::default()
                });
                v.len() - 1
            }
        }
    }

    /// Lists `endpoint` (with zero counts until it serves something).
    pub fn register(&self, endpoint: &str) {
        let mut v = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Self::index(&mut v, endpoint);
    }

    pub fn add(&self, r: &OpRecord<'_>) {
        let mut v = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let i = Self::index(&mut v, r.endpoint);
        let e = &mut v[i];
        e.requests += 1;
        match r.error {
            Some(_) => e.errors += 1,
            None => e.bytes += r.bytes,
        }
    }

    /// The counts so far.
    pub fn snapshot(&self) -> Vec<EndpointCount> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// `endpoint`'s counts (zeros when it served nothing).
    pub fn of(&self, endpoint: &str) -> EndpointCount {
        let v = self.0.lock().unwrap_or_else(|p| p.into_inner());
        v.iter()
            .find(|e| e.endpoint == endpoint)
            .cloned()
            .unwrap_or_default()
    }
}

impl RecordSink for EndpointCounter {
    fn record(&self, r: &OpRecord<'_>) {
        self.add(r);
    }

    fn endpoint_added(&self, endpoint: &str) {
        self.register(endpoint);
    }
}

tokio::task_local! {
    static TAG: u64;
    static ATTEMPT: u32;
    static FIRST_BYTE: Cell<Option<Instant>>;
}

/// Runs `f` with `tag` in every record its requests make (the innermost tag wins). The tag
/// stays with the task: work that `f` spawns onto other tasks must be tagged again there
/// ([`current_tag`] gives the value to carry over).
pub async fn tagged<F: Future>(tag: u64, f: F) -> F::Output {
    TAG.scope(tag, f).await
}

/// The tag of the calling task (0 outside [`tagged`]).
pub fn current_tag() -> u64 {
    TAG.try_with(|t| *t).unwrap_or(0)
}

/// Runs one attempt of a request (the retry layer's side).
pub async fn attempt<F: Future>(n: u32, f: F) -> F::Output {
    ATTEMPT.scope(n, f).await
}

pub(crate) fn current_attempt() -> u32 {
    ATTEMPT.try_with(|a| *a).unwrap_or(1)
}

/// Notes that the current request's first data arrived (the first call counts; outside a
/// metered request it does nothing).
pub fn mark_first_byte() {
    let _ = FIRST_BYTE.try_with(|c| {
        if c.get().is_none() {
            c.set(Some(Instant::now()));
        }
    });
}

/// Runs `f`, returning its output and the first-byte time a backend marked inside it.
pub(crate) async fn watch_first_byte<F: Future>(f: F) -> (F::Output, Option<Instant>) {
    let mut fut = std::pin::pin!(FIRST_BYTE.scope(Cell::new(None), f));
    let out = (&mut fut).await;
    let first = fut.as_mut().take_value().and_then(|c| c.get());
    (out, first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn task_values_reach_inner_calls() {
        assert_eq!(current_tag(), 0);
        let (tag, first) = tagged(7, async {
            watch_first_byte(async {
                mark_first_byte();
                current_tag()
            })
            .await
        })
        .await;
        assert_eq!(tag, 7);
        assert!(first.is_some(), "the backend's mark is seen");
        let (_, none) = watch_first_byte(async {}).await;
        assert!(none.is_none());
        assert_eq!(attempt(3, async { current_attempt() }).await, 3);
        assert_eq!(current_attempt(), 1);
        mark_first_byte(); // outside a request: nothing happens
        for op in Op::ALL {
            assert_eq!(op.as_str().parse::<Op>(), Ok(op));
        }
    }
}
