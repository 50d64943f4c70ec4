//! The [`Store`] trait every backend and layer implements, its value types, and the
//! conveniences of [`StoreExt`].

use std::fmt::Debug;
use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};

use crate::error::{Error, Result};

/// Metadata of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Key relative to the store's root.
    pub key: String,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
    /// Entity tag where the backend has one.
    pub etag: Option<String>,
}

/// One item of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListEntry {
    Object(ObjectMeta),
    /// A common prefix (a "directory") in delimiter mode, ending with `/`.
    Prefix(String),
}

/// How [`Store::list`] walks the key space.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ListMode {
    /// Every object under the prefix.
    #[default]
    Recursive,
    /// Objects directly under the prefix plus common prefixes, split at `/`.
    Delimited,
}

/// What a backend can do; checked before any I/O is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub ranged_get: bool,
    /// True multipart uploads (parts sent concurrently); otherwise streamed sequentially.
    pub concurrent_parts: bool,
    pub delimiter_listing: bool,
    /// Reads and writes need page-aligned buffers and offsets (O_DIRECT).
    pub aligned_io: bool,
}

/// The result of a completed write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PutResult {
    pub etag: Option<String>,
    pub size: u64,
}

/// Options of a streaming write; zeroes mean "the store's default".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterOptions {
    pub part_size: usize,
    pub concurrency: usize,
    /// Make the object durable before it becomes visible: `file://` and `direct://` fsync the
    /// file before the rename and its directory after it. Object stores are durable once an
    /// upload completes and ignore it.
    pub fsync: bool,
    /// Keep the written data out of the page cache (`file://`): write-back starts with every
    /// write and what is on disk is dropped from the cache (drop-behind). For large writes
    /// that are not read back soon (checkpoints): they neither evict the cache of everything
    /// else nor pay for reclaiming it. Others ignore it (`direct://` bypasses the cache).
    pub drop_cache: bool,
}

/// A streaming writer. Nothing is visible under the key until [`finish`](Self::finish)
/// succeeds; [`abort`](Self::abort), an error, or dropping it unfinished discards what was
/// written (multipart uploads are aborted, temporary files removed).
#[async_trait]
pub trait ObjectWriter: Send {
    /// Appends `data` (buffered up to the part size, then uploaded).
    async fn write(&mut self, data: Bytes) -> Result<()>;
    /// Uploads what is buffered and makes the object visible.
    async fn finish(self: Box<Self>) -> Result<PutResult>;
    /// Discards everything written.
    async fn abort(self: Box<Self>) -> Result<()>;
}

/// One URI-addressed object store. Keys are relative to the store's root and never
/// rewritten; errors name the full URI.
#[async_trait]
pub trait Store: Send + Sync + Debug {
    /// The URI of the store's root, e.g. `s3://bucket` or `file:///data`.
    fn root(&self) -> &str;

    fn capabilities(&self) -> Capabilities;

    /// Reads the whole object, or `range` of it (the range must start inside the object;
    /// its end is clipped to the object's size).
    async fn get_opts(&self, key: &str, range: Option<Range<u64>>) -> Result<Bytes>;

    /// Reads from `offset` into `buf`, returning how many bytes were filled (fewer than
    /// `buf.len()` only at the end of the object).
    async fn get_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize>;

    /// [`get_into`](Store::get_into) of the rest of the object: everything from `offset` on
    /// must fit in `buf`, or it is an [`Error::InvalidInput`] naming both sizes (never a
    /// silently truncated read). Backends that learn the size with the read override this; the
    /// default asks for the size (one HEAD) only when `buf` came back exactly full.
    async fn get_whole_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let n = self.get_into(key, offset, buf).await?;
        if n == buf.len() {
            let size = self.head(key).await?.size;
            fits(&crate::path::join(self.root(), key), size, offset, buf.len())?;
        }
        Ok(n)
    }

    /// Writes a whole object in one request.
    async fn put(&self, key: &str, data: Bytes) -> Result<PutResult>;

    /// Starts a streaming (multipart) write.
    async fn writer(&self, key: &str, opts: WriterOptions) -> Result<Box<dyn ObjectWriter>>;

    async fn head(&self, key: &str) -> Result<ObjectMeta>;

    /// Lists keys under `prefix` (a plain string prefix in recursive mode; a `/`-terminated
    /// "directory" in delimited mode), page by page. Errors are items of the stream.
    fn list(&self, prefix: &str, mode: ListMode) -> BoxStream<'_, Result<ListEntry>>;

    /// Deletes one object; deleting a missing object succeeds.
    async fn delete(&self, key: &str) -> Result<()>;
}

/// Conveniences over [`Store`] for every store.
#[async_trait]
pub trait StoreExt: Store {
    async fn get(&self, key: &str) -> Result<Bytes> {
        self.get_opts(key, None).await
    }

    async fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Bytes> {
        self.get_opts(key, Some(offset..offset.saturating_add(len))).await
    }

    /// Collects a listing.
    async fn list_all(&self, prefix: &str, mode: ListMode) -> Result<Vec<ListEntry>> {
        self.list(prefix, mode).try_collect().await
    }

    /// Every object under `prefix` (recursive listing, objects only).
    async fn list_objects(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        self.list(prefix, ListMode::Recursive)
            .try_filter_map(|e| async move {
                Ok(match e {
                    ListEntry::Object(m) => Some(m),
                    ListEntry::Prefix(_) => None,
                })
            })
            .try_collect()
            .await
    }

    /// Deletes every object under `prefix` (`concurrency` deletes in flight); returns the count.
    async fn delete_prefix(&self, prefix: &str, concurrency: usize) -> Result<u64> {
        let keys: Vec<String> = self
            .list_objects(prefix)
            .await?
            .into_iter()
            .map(|m| m.key)
            .collect();
        let n = keys.len() as u64;
        futures::stream::iter(keys)
            .map(|k| async move { self.delete(&k).await })
            .buffer_unordered(concurrency.max(1))
            .try_collect::<()>()
            .await?;
        Ok(n)
    }

    /// Writes `data` through a streaming writer in `opts.part_size` pieces.
    async fn put_streaming(&self, key: &str, data: Bytes, opts: WriterOptions) -> Result<PutResult> {
        let mut w = self.writer(key, opts).await?;
        let step = if opts.part_size == 0 {
            8 << 20
        } else {
            opts.part_size
        };
        let mut off = 0;
        while off < data.len() {
            let end = (off + step).min(data.len());
            if let Err(e) = w.write(data.slice(off..end)).await {
                let _ = w.abort().await;
                return Err(e);
            }
            off = end;
        }
        w.finish().await
    }
}

impl<T: Store + ?Sized> StoreExt for T {}

/// Checks a requested range against an object's size and clips its end. A range starting
/// exactly at the end is empty (like `pread`); one starting past the end is an error.
/// That the `size`-byte object's bytes from `offset` fit in `room` bytes.
pub(crate) fn fits(uri: &str, size: u64, offset: u64, room: usize) -> Result<()> {
    let rest = size.saturating_sub(offset);
    if rest > room as u64 {
        return Err(Error::InvalidInput {
            uri: uri.to_string(),
            reason: format!(
                "the object has {rest} bytes from offset {offset} but the buffer holds {room}: \
                 pass a length to read a range"
            ),
        });
    }
    Ok(())
}

pub(crate) fn clip_range(uri: &str, range: Range<u64>, size: u64) -> Result<Range<u64>> {
    if range.start > size || range.start > range.end {
        return Err(Error::RangeOutOfBounds {
            uri: uri.to_string(),
            offset: range.start,
            end: range.end,
            size,
        });
    }
    Ok(range.start..range.end.min(size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_range_rules() {
        assert_eq!(clip_range("u", 0..10, 100).expect("in"), 0..10);
        assert_eq!(clip_range("u", 90..200, 100).expect("clip"), 90..100);
        assert_eq!(clip_range("u", 100..100, 100).expect("empty at end"), 100..100);
        assert_eq!(
            clip_range("u", 100..101, 100).expect("at the end: empty, like pread"),
            100..100
        );
        assert!(clip_range("u", 101..200, 100).is_err());
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 5..4;
        assert!(clip_range("u", reversed, 100).is_err());
    }
}
