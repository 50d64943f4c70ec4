//! Fault injection for tests: a store that fails chosen operations, so retry and
//! abort-on-failure paths can be exercised against real backends.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use crate::error::{Error, Result};
use crate::store::{
    Capabilities, ListEntry, ListMode, ObjectMeta, ObjectWriter, PutResult, Store, WriterOptions,
};

/// What to break.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// The first N reads (`get_opts`, `get_into`, `head`) fail with a transient error.
    pub transient_reads: u32,
    /// The first N `put`s fail with a transient error.
    pub transient_puts: u32,
    /// Every writer fails on its N-th `write` call (1-based; 0 = never), permanently.
    pub fail_writer_at: u32,
}

/// A store that injects [`Faults`] in front of another.
#[derive(Debug)]
pub struct FaultStore {
    inner: Arc<dyn Store>,
    faults: Faults,
    reads: AtomicU32,
    puts: AtomicU32,
}

impl FaultStore {
    pub fn new(inner: Arc<dyn Store>, faults: Faults) -> FaultStore {
        FaultStore {
            inner,
            faults,
            reads: AtomicU32::new(0),
            puts: AtomicU32::new(0),
        }
    }

    fn injected(&self, key: &str, counter: &AtomicU32, limit: u32) -> Result<()> {
        if counter.fetch_add(1, Ordering::SeqCst) < limit {
            return Err(Error::Transient {
                uri: crate::path::join(self.inner.root(), key),
                attempts: 1,
                source: "injected fault: 503 SlowDown".into(),
            });
        }
        Ok(())
    }
}

#[async_trait]
impl Store for FaultStore {
    fn root(&self) -> &str {
        self.inner.root()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn get_opts(&self, key: &str, range: Option<Range<u64>>) -> Result<Bytes> {
        self.injected(key, &self.reads, self.faults.transient_reads)?;
        self.inner.get_opts(key, range).await
    }

    async fn get_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.injected(key, &self.reads, self.faults.transient_reads)?;
        self.inner.get_into(key, offset, buf).await
    }

    async fn get_whole_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.injected(key, &self.reads, self.faults.transient_reads)?;
        self.inner.get_whole_into(key, offset, buf).await
    }

    async fn put(&self, key: &str, data: Bytes) -> Result<PutResult> {
        self.injected(key, &self.puts, self.faults.transient_puts)?;
        self.inner.put(key, data).await
    }

    async fn writer(&self, key: &str, opts: WriterOptions) -> Result<Box<dyn ObjectWriter>> {
        let inner = self.inner.writer(key, opts).await?;
        Ok(Box::new(FaultWriter {
            inner,
            uri: crate::path::join(self.inner.root(), key),
            fail_at: self.faults.fail_writer_at,
            writes: 0,
        }))
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        self.injected(key, &self.reads, self.faults.transient_reads)?;
        self.inner.head(key).await
    }

    fn list(&self, prefix: &str, mode: ListMode) -> BoxStream<'_, Result<ListEntry>> {
        self.inner.list(prefix, mode)
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(key).await
    }
}

struct FaultWriter {
    inner: Box<dyn ObjectWriter>,
    uri: String,
    fail_at: u32,
    writes: u32,
}

#[async_trait]
impl ObjectWriter for FaultWriter {
    async fn write(&mut self, data: Bytes) -> Result<()> {
        self.writes += 1;
        if self.writes == self.fail_at {
            return Err(Error::Backend {
                uri: self.uri.clone(),
                source: "injected fault: connection lost mid-upload".into(),
            });
        }
        self.inner.write(data).await
    }

    async fn finish(self: Box<Self>) -> Result<PutResult> {
        self.inner.finish().await
    }

    async fn abort(self: Box<Self>) -> Result<()> {
        self.inner.abort().await
    }
}
