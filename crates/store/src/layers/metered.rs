//! One [`OpRecord`] per request to a [`RecordSink`]: op, key, bytes, start, first byte,
//! end, endpoint, attempt, error and the caller's tag. [`store_for_uri`](crate::store_for_uri)
//! puts this layer right above each backend (below the retry layer, so each attempt is a
//! record with its number; each endpoint of a multi-endpoint store its own), when
//! [`StoreOptions::sink`](crate::StoreOptions::sink) is set.

use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;
use futures::stream::BoxStream;

use crate::error::Result;
use crate::record::{Op, OpRecord, RecordSink, current_attempt, current_tag, watch_first_byte};
use crate::store::{
    Capabilities, ListEntry, ListMode, ObjectMeta, ObjectWriter, PutResult, Store, WriterOptions,
};

/// Records every request of `inner` as served by `endpoint`.
#[derive(Debug)]
pub struct MeteredStore {
    inner: Arc<dyn Store>,
    meter: Meter,
}

/// Where records go and the endpoint they name.
#[derive(Debug, Clone)]
struct Meter {
    endpoint: Arc<str>,
    sink: Arc<dyn RecordSink>,
}

impl Meter {
    fn emit<T>(
        &self,
        op: Op,
        key: &str,
        start: Instant,
        first_byte: Option<Instant>,
        r: &Result<T>,
        bytes: u64,
    ) {
        self.sink.record(&OpRecord {
            op,
            key,
            bytes: if r.is_ok() { bytes } else { 0 },
            start,
            first_byte,
            end: Instant::now(),
            endpoint: &self.endpoint,
            attempt: current_attempt(),
            error: r.as_ref().err(),
            tag: current_tag(),
        });
    }

    /// Runs one request, recording it.
    async fn time<T>(
        &self,
        op: Op,
        key: &str,
        f: impl Future<Output = Result<T>>,
        bytes: impl Fn(&T) -> u64,
    ) -> Result<T> {
        let start = Instant::now();
        let (r, first) = watch_first_byte(f).await;
        let n = r.as_ref().map_or(0, &bytes);
        self.emit(op, key, start, first, &r, n);
        r
    }
}

impl MeteredStore {
    pub fn new(inner: Arc<dyn Store>, endpoint: &str, sink: Arc<dyn RecordSink>) -> MeteredStore {
        sink.endpoint_added(endpoint);
        MeteredStore {
            inner,
            meter: Meter {
                endpoint: endpoint.into(),
                sink,
            },
        }
    }
}

#[async_trait]
impl Store for MeteredStore {
    fn root(&self) -> &str {
        self.inner.root()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn get_opts(&self, key: &str, range: Option<Range<u64>>) -> Result<Bytes> {
        let op = if range.is_some() { Op::GetRange } else { Op::Get };
        let f = self.inner.get_opts(key, range);
        self.meter.time(op, key, f, |b| b.len() as u64).await
    }

    async fn get_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let f = self.inner.get_into(key, offset, buf);
        self.meter.time(Op::GetInto, key, f, |n| *n as u64).await
    }

    async fn get_whole_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let f = self.inner.get_whole_into(key, offset, buf);
        self.meter.time(Op::GetInto, key, f, |n| *n as u64).await
    }

    async fn put(&self, key: &str, data: Bytes) -> Result<PutResult> {
        let len = data.len() as u64;
        let f = self.inner.put(key, data);
        self.meter.time(Op::Put, key, f, |_| len).await
    }

    async fn writer(&self, key: &str, opts: WriterOptions) -> Result<Box<dyn ObjectWriter>> {
        let f = self.inner.writer(key, opts);
        let w = self.meter.time(Op::Create, key, f, |_| 0).await?;
        Ok(Box::new(MeteredWriter {
            inner: w,
            key: key.to_string(),
            meter: self.meter.clone(),
        }))
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        self.meter.time(Op::Head, key, self.inner.head(key), |_| 0).await
    }

    fn list(&self, prefix: &str, mode: ListMode) -> BoxStream<'_, Result<ListEntry>> {
        Box::pin(MeteredList {
            inner: self.inner.list(prefix, mode),
            prefix: prefix.to_string(),
            meter: self.meter.clone(),
            tag: current_tag(),
            start: None,
            first: None,
            done: false,
        })
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.meter
            .time(Op::Delete, key, self.inner.delete(key), |_| 0)
            .await
    }
}

/// A streaming writer whose pieces, completion and abort are records.
struct MeteredWriter {
    inner: Box<dyn ObjectWriter>,
    key: String,
    meter: Meter,
}

#[async_trait]
impl ObjectWriter for MeteredWriter {
    async fn write(&mut self, data: Bytes) -> Result<()> {
        let len = data.len() as u64;
        let f = self.inner.write(data);
        self.meter.time(Op::Write, &self.key, f, |_| len).await
    }

    async fn finish(self: Box<Self>) -> Result<PutResult> {
        let MeteredWriter { inner, key, meter } = *self;
        meter.time(Op::Finish, &key, inner.finish(), |p| p.size).await
    }

    async fn abort(self: Box<Self>) -> Result<()> {
        let MeteredWriter { inner, key, meter } = *self;
        meter.time(Op::Abort, &key, inner.abort(), |_| 0).await
    }
}

/// A listing recorded once: from its first poll to its end, an error, or being dropped.
struct MeteredList<'a> {
    inner: BoxStream<'a, Result<ListEntry>>,
    prefix: String,
    meter: Meter,
    tag: u64,
    start: Option<Instant>,
    first: Option<Instant>,
    done: bool,
}

impl MeteredList<'_> {
    fn finish(&mut self, error: Option<&crate::Error>) {
        if self.done {
            return;
        }
        self.done = true;
        let now = Instant::now();
        self.meter.sink.record(&OpRecord {
            op: Op::List,
            key: &self.prefix,
            bytes: 0,
            start: self.start.unwrap_or(now),
            first_byte: self.first,
            end: now,
            endpoint: &self.meter.endpoint,
            attempt: 1,
            error,
            tag: self.tag,
        });
    }
}

impl Stream for MeteredList<'_> {
    type Item = Result<ListEntry>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        this.start.get_or_insert_with(Instant::now);
        let item = this.inner.as_mut().poll_next(cx);
        match &item {
            Poll::Ready(Some(Ok(_))) => {
                this.first.get_or_insert_with(Instant::now);
            }
            Poll::Ready(Some(Err(e))) => this.finish(Some(e)),
            Poll::Ready(None) => this.finish(None),
            Poll::Pending => {}
        }
        item
    }
}

impl Drop for MeteredList<'_> {
    fn drop(&mut self) {
        if self.start.is_some() {
            self.finish(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use futures::TryStreamExt;

    use super::*;
    use crate::StoreExt;
    use crate::backends::memory::MemoryStore;
    use crate::record::tagged;

    /// (op, key, bytes, endpoint, failed, tag) of a record.
    type Kept = (Op, String, u64, String, bool, u64);

    /// Keeps every record.
    #[derive(Debug, Default)]
    struct Keep(Mutex<Vec<Kept>>);

    impl RecordSink for Keep {
        fn record(&self, r: &OpRecord<'_>) {
            assert!(r.end >= r.start);
            self.0.lock().expect("lock").push((
                r.op,
                r.key.to_string(),
                r.bytes,
                r.endpoint.to_string(),
                r.error.is_some(),
                r.tag,
            ));
        }
    }

    #[tokio::test]
    async fn every_request_is_one_record() {
        let sink = Arc::new(Keep::default());
        let store = MeteredStore::new(
            Arc::new(MemoryStore::shared("metered-test")),
            "memory://m",
            sink.clone(),
        );
        store.put("a", Bytes::from_static(b"hello")).await.expect("put");
        tagged(9, async {
            store.get("a").await.expect("get");
            store.get_range("a", 1, 2).await.expect("range");
        })
        .await;
        let mut buf = [0u8; 8];
        store.get_into("a", 0, &mut buf).await.expect("into");
        assert!(store.get("missing").await.is_err());
        let mut w = store.writer("b", WriterOptions::default()).await.expect("writer");
        w.write(Bytes::from_static(b"xyz")).await.expect("write");
        w.finish().await.expect("finish");
        let listed: Vec<ListEntry> = store
            .list("", ListMode::Recursive)
            .try_collect()
            .await
            .expect("list");
        assert_eq!(listed.len(), 2);
        store.head("b").await.expect("head");
        store.delete("b").await.expect("delete");
        let got = sink.0.lock().expect("lock").clone();
        let ops: Vec<(Op, u64, bool, u64)> = got.iter().map(|r| (r.0, r.2, r.4, r.5)).collect();
        assert_eq!(
            ops,
            [
                (Op::Put, 5, false, 0),
                (Op::Get, 5, false, 9),
                (Op::GetRange, 2, false, 9),
                (Op::GetInto, 5, false, 0),
                (Op::Get, 0, true, 0),
                (Op::Create, 0, false, 0),
                (Op::Write, 3, false, 0),
                (Op::Finish, 3, false, 0),
                (Op::List, 0, false, 0),
                (Op::Head, 0, false, 0),
                (Op::Delete, 0, false, 0),
            ]
        );
        assert!(got.iter().all(|r| r.3 == "memory://m"));
        assert_eq!(got[1].1, "a");
    }
}
