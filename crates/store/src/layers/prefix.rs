//! A store rooted at a prefix of another store (`s3://bucket/some/prefix`).

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};

use crate::error::Result;
use crate::path::validate_key;
use crate::store::{
    Capabilities, ListEntry, ListMode, ObjectMeta, ObjectWriter, PutResult, Store, WriterOptions,
};

/// Prepends `prefix/` to every key and strips it from listings.
#[derive(Debug)]
pub struct PrefixStore {
    inner: Arc<dyn Store>,
    prefix: String,
    root: String,
}

impl PrefixStore {
    /// `prefix` is a directory-like key prefix; a trailing `/` is added when missing.
    pub fn new(inner: Arc<dyn Store>, prefix: &str) -> Result<PrefixStore> {
        let trimmed = prefix.trim_matches('/');
        validate_key(inner.root(), trimmed)?;
        let root = format!("{}/{trimmed}", inner.root().trim_end_matches('/'));
        Ok(PrefixStore {
            inner,
            prefix: format!("{trimmed}/"),
            root,
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key.trim_start_matches('/'))
    }

    fn strip(&self, entry: ListEntry) -> ListEntry {
        let cut = |k: String| {
            k.strip_prefix(self.prefix.as_str())
                .map(str::to_string)
                .unwrap_or(k)
        };
        match entry {
            ListEntry::Object(mut m) => {
                m.key = cut(m.key);
                ListEntry::Object(m)
            }
            ListEntry::Prefix(p) => ListEntry::Prefix(cut(p)),
        }
    }
}

#[async_trait]
impl Store for PrefixStore {
    fn root(&self) -> &str {
        &self.root
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn get_opts(&self, key: &str, range: Option<Range<u64>>) -> Result<Bytes> {
        self.inner.get_opts(&self.key(key), range).await
    }

    async fn get_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.inner.get_into(&self.key(key), offset, buf).await
    }

    async fn get_whole_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.inner.get_whole_into(&self.key(key), offset, buf).await
    }

    async fn put(&self, key: &str, data: Bytes) -> Result<PutResult> {
        self.inner.put(&self.key(key), data).await
    }

    async fn writer(&self, key: &str, opts: WriterOptions) -> Result<Box<dyn ObjectWriter>> {
        self.inner.writer(&self.key(key), opts).await
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        let mut m = self.inner.head(&self.key(key)).await?;
        m.key = key.to_string();
        Ok(m)
    }

    fn list(&self, prefix: &str, mode: ListMode) -> BoxStream<'_, Result<ListEntry>> {
        let full = self.key(prefix);
        Box::pin(
            self.inner
                .list(&full, mode)
                .map(move |r| r.map(|e| self.strip(e))),
        )
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.inner.delete(&self.key(key)).await
    }
}
