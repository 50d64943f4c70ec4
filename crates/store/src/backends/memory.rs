//! `memory://namespace/...`: objects in process memory.
//!
//! Stores with the same namespace name share their objects for the life of the process, so
//! two `store_for_uri("memory://ns")` calls see the same data.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use crate::error::{Error, Result};
use crate::list;
use crate::path::{join, validate_key};
use crate::store::{
    Capabilities, ListEntry, ListMode, ObjectMeta, ObjectWriter, PutResult, Store, WriterOptions, clip_range,
};

#[derive(Debug, Clone)]
struct Entry {
    data: Bytes,
    modified: DateTime<Utc>,
    etag: String,
}

type Objects = Arc<RwLock<BTreeMap<String, Entry>>>;

/// An in-memory store (see the module docs).
#[derive(Debug, Clone)]
pub struct MemoryStore {
    root: String,
    objects: Objects,
}

static NAMESPACES: OnceLock<Mutex<HashMap<String, Objects>>> = OnceLock::new();
static ETAG: AtomicU64 = AtomicU64::new(1);

impl MemoryStore {
    /// The store of `namespace`, shared with every other store of that name.
    pub fn shared(namespace: &str) -> MemoryStore {
        let map = NAMESPACES.get_or_init(Default::default);
        let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
        let objects = map.entry(namespace.to_string()).or_default().clone();
        MemoryStore {
            root: format!("memory://{namespace}"),
            objects,
        }
    }

    /// `get_into`, and with `whole` also the check that the rest of the object fits.
    fn read_into(&self, key: &str, offset: u64, buf: &mut [u8], whole: bool) -> Result<usize> {
        let e = self.entry(key)?;
        let uri = join(&self.root, key);
        let size = e.data.len() as u64;
        let r = clip_range(&uri, offset..offset.saturating_add(buf.len() as u64), size)?;
        if whole {
            crate::store::fits(&uri, size, offset, buf.len())?;
        }
        let n = (r.end - r.start) as usize;
        buf[..n].copy_from_slice(&e.data[r.start as usize..r.end as usize]);
        Ok(n)
    }

    fn entry(&self, key: &str) -> Result<Entry> {
        validate_key(&self.root, key)?;
        let objects = self.objects.read().unwrap_or_else(|p| p.into_inner());
        objects.get(key).cloned().ok_or_else(|| Error::NotFound {
            uri: join(&self.root, key),
            source: None,
        })
    }

    fn insert(&self, key: &str, data: Bytes) -> PutResult {
        let etag = format!("{:x}", ETAG.fetch_add(1, Ordering::Relaxed));
        let size = data.len() as u64;
        let entry = Entry {
            data,
            modified: Utc::now(),
            etag: etag.clone(),
        };
        let mut objects = self.objects.write().unwrap_or_else(|p| p.into_inner());
        objects.insert(key.to_string(), entry);
        PutResult {
            etag: Some(etag),
            size,
        }
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn root(&self) -> &str {
        &self.root
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            ranged_get: true,
            concurrent_parts: false,
            delimiter_listing: true,
            aligned_io: false,
        }
    }

    async fn get_opts(&self, key: &str, range: Option<Range<u64>>) -> Result<Bytes> {
        let e = self.entry(key)?;
        match range {
            None => Ok(e.data),
            Some(r) => {
                let r = clip_range(&join(&self.root, key), r, e.data.len() as u64)?;
                Ok(e.data.slice(r.start as usize..r.end as usize))
            }
        }
    }

    async fn get_whole_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.read_into(key, offset, buf, true)
    }

    async fn get_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.read_into(key, offset, buf, false)
    }

    async fn put(&self, key: &str, data: Bytes) -> Result<PutResult> {
        validate_key(&self.root, key)?;
        Ok(self.insert(key, data))
    }

    async fn writer(&self, key: &str, _opts: WriterOptions) -> Result<Box<dyn ObjectWriter>> {
        validate_key(&self.root, key)?;
        Ok(Box::new(MemoryWriter {
            store: self.clone(),
            key: key.to_string(),
            buf: BytesMut::new(),
        }))
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        let e = self.entry(key)?;
        Ok(ObjectMeta {
            key: key.to_string(),
            size: e.data.len() as u64,
            last_modified: Some(e.modified),
            etag: Some(e.etag),
        })
    }

    fn list(&self, prefix: &str, mode: ListMode) -> BoxStream<'_, Result<ListEntry>> {
        let objects: Vec<ObjectMeta> = {
            let map = self.objects.read().unwrap_or_else(|p| p.into_inner());
            map.range(prefix.to_string()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .map(|(k, e)| ObjectMeta {
                    key: k.clone(),
                    size: e.data.len() as u64,
                    last_modified: Some(e.modified),
                    etag: Some(e.etag.clone()),
                })
                .collect()
        };
        let entries = list::entries(objects, prefix, mode);
        Box::pin(futures::stream::iter(entries.into_iter().map(Ok)))
    }

    async fn delete(&self, key: &str) -> Result<()> {
        validate_key(&self.root, key)?;
        let mut objects = self.objects.write().unwrap_or_else(|p| p.into_inner());
        objects.remove(key);
        Ok(())
    }
}

/// Buffers in memory; the object appears only on `finish`.
struct MemoryWriter {
    store: MemoryStore,
    key: String,
    buf: BytesMut,
}

#[async_trait]
impl ObjectWriter for MemoryWriter {
    async fn write(&mut self, data: Bytes) -> Result<()> {
        self.buf.extend_from_slice(&data);
        Ok(())
    }

    async fn finish(self: Box<Self>) -> Result<PutResult> {
        let me = *self;
        Ok(me.store.insert(&me.key, me.buf.freeze()))
    }

    async fn abort(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}
