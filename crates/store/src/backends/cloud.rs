//! The adapter shared by the backends built on the `object_store` crate (`s3://`, `az://`):
//! maps keys, ranges, listings and errors, and drives multipart uploads part by part so
//! each part can be retried and the upload aborted when the writer fails or is dropped.

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, MultipartId, ObjectStore, ObjectStoreExt, PutPayload};
use tokio::task::JoinSet;

use crate::buffer;
use crate::error::{Error, Result, Trimmed};
use crate::layers::retry::retry;
use crate::options::RetryOptions;
use crate::path::{join, validate_key};
use crate::store::{
    Capabilities, ListEntry, ListMode, ObjectMeta, ObjectWriter, PutResult, Store, WriterOptions, clip_range,
};

/// A client built by `s3.rs` or `azure.rs`.
pub(crate) trait Client: ObjectStore + MultipartStore {}
impl<T: ObjectStore + MultipartStore> Client for T {}

/// What every request needs to name its URI and classify its errors.
#[derive(Debug, Clone)]
struct Ctx {
    root: String,
    endpoint: String,
    retry: RetryOptions,
}

impl Ctx {
    fn uri(&self, key: &str) -> String {
        join(&self.root, key)
    }

    /// Maps an `object_store` error to ours, by kind and then by HTTP status.
    fn error(&self, key: &str, e: object_store::Error) -> Error {
        let uri = self.uri(key);
        let status = http_status(&e);
        match e {
            object_store::Error::NotFound { source, .. } => Error::NotFound {
                uri,
                source: Some(Trimmed::boxed(&source)),
            },
            object_store::Error::PermissionDenied { source, .. }
            | object_store::Error::Unauthenticated { source, .. } => Error::PermissionDenied {
                uri,
                endpoint: self.endpoint.clone(),
                source: Some(Trimmed::boxed(&source)),
            },
            object_store::Error::NotSupported { source } => Error::NotSupported {
                uri,
                what: source.to_string(),
            },
            e if matches!(status, Some(401 | 403)) => Error::PermissionDenied {
                uri,
                endpoint: self.endpoint.clone(),
                source: Some(Trimmed::boxed(&e)),
            },
            e if status == Some(404) => Error::NotFound {
                uri,
                source: Some(Trimmed::boxed(&e)),
            },
            e if matches!(status, Some(408 | 429 | 500..=599)) || is_network(&e) => Error::Transient {
                uri,
                attempts: 1,
                source: Trimmed::with_cause(&e),
            },
            e => Error::Backend {
                uri,
                source: Box::new(e),
            },
        }
    }
}

/// The HTTP status of a failed request. `object_store` keeps the status in a type it does not
/// export, so it is read from the error's text ("... status code: 503 ...").
fn http_status(e: &object_store::Error) -> Option<u16> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        if let Some(i) = text.find("status code: ") {
            let digits: String = text[i + 13..].chars().take(3).collect();
            if let Ok(code) = digits.parse() {
                return Some(code);
            }
        }
        cur = err.source();
    }
    None
}

/// Whether a connection, timeout or interrupted-body error is in the cause chain.
fn is_network(e: &object_store::Error) -> bool {
    use object_store::client::{HttpError, HttpErrorKind};
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(h) = err.downcast_ref::<HttpError>() {
            return matches!(
                h.kind(),
                HttpErrorKind::Connect
                    | HttpErrorKind::Request
                    | HttpErrorKind::Timeout
                    | HttpErrorKind::Interrupted
            );
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | TimedOut | UnexpectedEof
            );
        }
        cur = err.source();
    }
    false
}

/// A [`Store`] over an `object_store` client.
#[derive(Clone)]
pub struct CloudStore {
    ctx: Ctx,
    client: Arc<dyn ObjectStore>,
    multipart: Arc<dyn MultipartStore>,
    min_part_size: usize,
    part_size: usize,
    part_concurrency: usize,
}

impl std::fmt::Debug for CloudStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only names: a client's Debug can contain credentials.
        f.debug_struct("CloudStore")
            .field("root", &self.ctx.root)
            .field("endpoint", &self.ctx.endpoint)
            .finish()
    }
}

impl CloudStore {
    pub(crate) fn new<C: Client>(
        root: String,
        endpoint: String,
        client: C,
        opts: &crate::options::StoreOptions,
        min_part_size: usize,
    ) -> CloudStore {
        let client = Arc::new(client);
        CloudStore {
            ctx: Ctx {
                root,
                endpoint,
                retry: opts.retry.clone(),
            },
            client: client.clone(),
            multipart: client,
            min_part_size,
            part_size: opts.part_size,
            part_concurrency: opts.part_concurrency,
        }
    }

    fn path(&self, key: &str) -> Result<Path> {
        validate_key(&self.ctx.root, key)?;
        Path::parse(key).map_err(|e| Error::InvalidInput {
            uri: self.ctx.uri(key),
            reason: format!("not a valid object key for this client: {e}"),
        })
    }

    /// `get_into`, and with `whole` also the check that the rest of the object fits (from the
    /// size the response carries: no extra request).
    async fn read_into(&self, key: &str, offset: u64, buf: &mut [u8], whole: bool) -> Result<usize> {
        if buf.is_empty() {
            if whole {
                let size = self.head(key).await?.size;
                crate::store::fits(&self.ctx.uri(key), size, offset, 0)?;
            }
            return Ok(0);
        }
        let Some(res) = self.open(key, Some(offset..offset + buf.len() as u64)).await? else {
            return Ok(0);
        };
        if whole {
            crate::store::fits(&self.ctx.uri(key), res.meta.size, offset, buf.len())?;
        }
        let len = (res.range.end - res.range.start) as usize;
        let mut stream = res.into_stream();
        let mut filled = 0;
        while let Some(chunk) = stream.next().await {
            crate::record::mark_first_byte();
            let chunk = chunk.map_err(|e| self.ctx.error(key, e))?;
            let n = chunk.len().min(buf.len() - filled);
            buf[filled..filled + n].copy_from_slice(&chunk[..n]);
            filled += n;
        }
        short_read_check(&self.ctx.uri(key), filled, len.min(buf.len()))?;
        Ok(filled)
    }

    /// Starts a ranged or whole GET; `Ok(None)` when the range is empty at the end.
    async fn open(&self, key: &str, range: Option<Range<u64>>) -> Result<Option<object_store::GetResult>> {
        let path = self.path(key)?;
        if let Some(r) = range.as_ref().filter(|r| r.start >= r.end) {
            let size = self.head(key).await?.size;
            clip_range(&self.ctx.uri(key), r.clone(), size)?;
            return Ok(None);
        }
        let opts = GetOptions {
            range: range.clone().map(GetRange::Bounded),
            ..Default::default()
        };
        match self.client.get_opts(&path, opts).await {
            Ok(res) => Ok(Some(res)),
            Err(e) if http_status(&e) == Some(416) => {
                // Range not satisfiable: an empty object, or a start at/after the end.
                let size = self.head(key).await?.size;
                let r = range.unwrap_or(0..0);
                clip_range(&self.ctx.uri(key), r.start..r.start, size)?;
                Ok(None)
            }
            Err(e) => Err(self.ctx.error(key, e)),
        }
    }
}

#[async_trait]
impl Store for CloudStore {
    fn root(&self) -> &str {
        &self.ctx.root
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            ranged_get: true,
            concurrent_parts: true,
            delimiter_listing: true,
            aligned_io: false,
        }
    }

    async fn get_opts(&self, key: &str, range: Option<Range<u64>>) -> Result<Bytes> {
        let Some(res) = self.open(key, range).await? else {
            return Ok(Bytes::new());
        };
        let len = (res.range.end - res.range.start) as usize;
        let mut stream = res.into_stream();
        let mut buf = buffer::pooled(len).map_err(|e| Error::from_io(self.ctx.uri(key), e))?;
        let mut filled = 0;
        while let Some(chunk) = stream.next().await {
            crate::record::mark_first_byte();
            let chunk = chunk.map_err(|e| self.ctx.error(key, e))?;
            if filled == 0 && chunk.len() == len {
                return Ok(chunk); // one chunk: no copy
            }
            let n = chunk.len().min(len - filled);
            buf.as_mut_slice()[filled..filled + n].copy_from_slice(&chunk[..n]);
            filled += n;
        }
        short_read_check(&self.ctx.uri(key), filled, len)?;
        buf.set_len(filled);
        Ok(buf.into_bytes())
    }

    async fn get_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.read_into(key, offset, buf, false).await
    }

    async fn get_whole_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.read_into(key, offset, buf, true).await
    }

    async fn put(&self, key: &str, data: Bytes) -> Result<PutResult> {
        let path = self.path(key)?;
        let size = data.len() as u64;
        let r = self
            .client
            .put(&path, PutPayload::from_bytes(data))
            .await
            .map_err(|e| self.ctx.error(key, e))?;
        Ok(PutResult { etag: r.e_tag, size })
    }

    async fn writer(&self, key: &str, opts: WriterOptions) -> Result<Box<dyn ObjectWriter>> {
        let part_size = if opts.part_size == 0 {
            self.part_size
        } else {
            opts.part_size
        };
        if part_size < self.min_part_size {
            return Err(Error::InvalidInput {
                uri: self.ctx.uri(key),
                reason: format!(
                    "part size {part_size} is below this service's minimum of {}",
                    self.min_part_size
                ),
            });
        }
        let concurrency = if opts.concurrency == 0 {
            self.part_concurrency
        } else {
            opts.concurrency
        };
        Ok(Box::new(CloudWriter {
            key: key.to_string(),
            path: self.path(key)?,
            store: self.clone(),
            part_size,
            concurrency: concurrency.max(1),
            pending: Vec::new(),
            pending_len: 0,
            upload: None,
            parts: Vec::new(),
            inflight: JoinSet::new(),
            size: 0,
        }))
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        let path = self.path(key)?;
        let m = self
            .client
            .head(&path)
            .await
            .map_err(|e| self.ctx.error(key, e))?;
        Ok(meta(key.to_string(), m))
    }

    fn list(&self, prefix: &str, mode: ListMode) -> BoxStream<'_, Result<ListEntry>> {
        let prefix = prefix.to_string();
        match mode {
            ListMode::Recursive => {
                // object_store lists "directories"; the rest of the prefix is a string filter.
                let dir = prefix.rfind('/').map(|i| &prefix[..i]).unwrap_or("");
                let dir_path = match self.path(dir) {
                    Ok(p) => p,
                    Err(e) => return Box::pin(futures::stream::once(async { Err(e) })),
                };
                let dir_path = (!dir.is_empty()).then_some(dir_path);
                let stream = self.client.list(dir_path.as_ref());
                Box::pin(stream.filter_map(move |item| {
                    let prefix = prefix.clone();
                    async move {
                        match item {
                            Ok(m) if m.location.as_ref().starts_with(prefix.as_str()) => {
                                Some(Ok(ListEntry::Object(meta(m.location.to_string(), m))))
                            }
                            Ok(_) => None,
                            Err(e) => Some(Err(self.ctx.error(&prefix, e))),
                        }
                    }
                }))
            }
            ListMode::Delimited => {
                let fut = async move {
                    let dir = prefix.trim_end_matches('/');
                    let listed = match self.path(dir) {
                        Ok(p) => {
                            let p = (!dir.is_empty()).then_some(p);
                            self.client
                                .list_with_delimiter(p.as_ref())
                                .await
                                .map_err(|e| self.ctx.error(&prefix, e))
                        }
                        Err(e) => Err(e),
                    };
                    let items: Vec<Result<ListEntry>> = match listed {
                        Ok(r) => r
                            .common_prefixes
                            .into_iter()
                            .map(|p| Ok(ListEntry::Prefix(format!("{p}/"))))
                            .chain(
                                r.objects
                                    .into_iter()
                                    .map(|m| Ok(ListEntry::Object(meta(m.location.to_string(), m)))),
                            )
                            .collect(),
                        Err(e) => vec![Err(e)],
                    };
                    futures::stream::iter(items)
                };
                Box::pin(futures::stream::once(fut).flatten())
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let path = self.path(key)?;
        match self.client.delete(&path).await {
            Err(object_store::Error::NotFound { .. }) | Ok(()) => Ok(()),
            Err(e) => Err(self.ctx.error(key, e)),
        }
    }
}

fn meta(key: String, m: object_store::ObjectMeta) -> ObjectMeta {
    ObjectMeta {
        key,
        size: m.size,
        last_modified: Some(m.last_modified),
        etag: m.e_tag,
    }
}

fn short_read_check(uri: &str, got: usize, want: usize) -> Result<()> {
    if got != want {
        return Err(Error::Transient {
            uri: uri.to_string(),
            attempts: 1,
            source: format!("short read: got {got} of {want} bytes").into(),
        });
    }
    Ok(())
}

/// Buffers writes into parts, uploads up to `concurrency` parts at once, completes the upload
/// on `finish`. Small objects (one part or less) go up in a single PUT instead.
struct CloudWriter {
    key: String,
    path: Path,
    store: CloudStore,
    part_size: usize,
    concurrency: usize,
    pending: Vec<Bytes>,
    pending_len: usize,
    upload: Option<MultipartId>,
    parts: Vec<Option<PartId>>,
    inflight: JoinSet<(usize, Result<PartId>)>,
    size: u64,
}

impl CloudWriter {
    /// Takes exactly `n` buffered bytes (slicing, not copying) as one payload.
    fn take(&mut self, n: usize) -> PutPayload {
        let mut out = Vec::new();
        let mut need = n;
        while need > 0 {
            let first = &mut self.pending[0];
            if first.len() <= need {
                need -= first.len();
                out.push(self.pending.remove(0));
            } else {
                out.push(first.split_to(need));
                need = 0;
            }
        }
        self.pending_len -= n;
        out.into_iter().collect()
    }

    async fn upload_id(&mut self) -> Result<MultipartId> {
        if let Some(id) = &self.upload {
            return Ok(id.clone());
        }
        let (store, path, key) = (&self.store, &self.path, &self.key);
        let id = retry(&store.ctx.retry, || async {
            store
                .multipart
                .create_multipart(path)
                .await
                .map_err(|e| store.ctx.error(key, e))
        })
        .await?;
        self.upload = Some(id.clone());
        Ok(id)
    }

    async fn send_part(&mut self, payload: PutPayload) -> Result<()> {
        let id = self.upload_id().await?;
        while self.inflight.len() >= self.concurrency {
            self.join_one().await?;
        }
        let idx = self.parts.len();
        self.parts.push(None);
        let (store, path, key) = (self.store.clone(), self.path.clone(), self.key.clone());
        self.inflight.spawn(async move {
            let part = retry(&store.ctx.retry, || async {
                let payload = payload.clone();
                store
                    .multipart
                    .put_part(&path, &id, idx, payload)
                    .await
                    .map_err(|e| store.ctx.error(&key, e))
            })
            .await;
            (idx, part)
        });
        Ok(())
    }

    async fn join_one(&mut self) -> Result<()> {
        match self.inflight.join_next().await {
            Some(Ok((idx, Ok(part)))) => {
                self.parts[idx] = Some(part);
                Ok(())
            }
            Some(Ok((_, Err(e)))) => Err(e),
            Some(Err(join)) => Err(Error::Backend {
                uri: self.store.ctx.uri(&self.key),
                source: Box::new(join),
            }),
            None => Ok(()),
        }
    }

    async fn finish_inner(&mut self) -> Result<PutResult> {
        if self.upload.is_none() {
            let n = self.pending_len;
            let payload = self.take(n);
            let (store, path, key) = (&self.store, &self.path, &self.key);
            let r = retry(&store.ctx.retry, || async {
                store
                    .client
                    .put(path, payload.clone())
                    .await
                    .map_err(|e| store.ctx.error(key, e))
            })
            .await?;
            return Ok(PutResult {
                etag: r.e_tag,
                size: self.size,
            });
        }
        if self.pending_len > 0 {
            let n = self.pending_len;
            let payload = self.take(n);
            self.send_part(payload).await?;
        }
        while !self.inflight.is_empty() {
            self.join_one().await?;
        }
        let parts: Vec<PartId> = self.parts.iter_mut().filter_map(Option::take).collect();
        let id = self.upload.clone().unwrap_or_default();
        let (store, path, key) = (&self.store, &self.path, &self.key);
        let r = retry(&store.ctx.retry, || async {
            let parts = parts.clone();
            store
                .multipart
                .complete_multipart(path, &id, parts)
                .await
                .map_err(|e| store.ctx.error(key, e))
        })
        .await?;
        self.upload = None; // completed: nothing left to abort
        Ok(PutResult {
            etag: r.e_tag,
            size: self.size,
        })
    }

    async fn abort_upload(&mut self) -> Result<()> {
        self.inflight.abort_all();
        while self.inflight.join_next().await.is_some() {}
        if let Some(id) = self.upload.take() {
            match self.store.multipart.abort_multipart(&self.path, &id).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.store.ctx.error(&self.key, e)),
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ObjectWriter for CloudWriter {
    async fn write(&mut self, data: Bytes) -> Result<()> {
        self.size += data.len() as u64;
        self.pending_len += data.len();
        self.pending.push(data);
        while self.pending_len >= self.part_size {
            let payload = self.take(self.part_size);
            if let Err(e) = self.send_part(payload).await {
                let _ = self.abort_upload().await;
                return Err(e);
            }
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<PutResult> {
        match self.finish_inner().await {
            Ok(r) => Ok(r),
            Err(e) => {
                let _ = self.abort_upload().await;
                Err(e)
            }
        }
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        self.abort_upload().await
    }
}

impl Drop for CloudWriter {
    fn drop(&mut self) {
        // Dropped unfinished: abort the upload in the background so no parts linger.
        if let (Some(id), Ok(handle)) = (self.upload.take(), tokio::runtime::Handle::try_current()) {
            let (ms, path) = (self.store.multipart.clone(), self.path.clone());
            handle.spawn(async move {
                let _ = ms.abort_multipart(&path, &id).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        Ctx {
            root: "s3://b".into(),
            endpoint: "http://127.0.0.1:1".into(),
            retry: RetryOptions::default(),
        }
    }

    fn generic(text: &str) -> object_store::Error {
        object_store::Error::Generic {
            store: "S3",
            source: text.to_string().into(),
        }
    }

    #[test]
    fn statuses_map_to_semantic_errors() {
        let c = ctx();
        let e = c.error(
            "k",
            generic("Server returned non-2xx status code: 503 Service Unavailable: SlowDown"),
        );
        assert!(e.is_temporary(), "{e:?}");
        let e = c.error(
            "k",
            generic("Server returned non-2xx status code: 500 Internal Server Error"),
        );
        assert!(e.is_temporary());
        let e = c.error(
            "k",
            generic("Server returned non-2xx status code: 403 Forbidden: <Error>"),
        );
        assert!(
            matches!(e, Error::PermissionDenied { ref endpoint, .. } if endpoint == "http://127.0.0.1:1")
        );
        let e = c.error(
            "k",
            generic("Server returned non-2xx status code: 404 Not Found: NoSuchBucket"),
        );
        assert!(e.is_not_found());
        let e = c.error("k", generic("something else entirely"));
        assert!(matches!(e, Error::Backend { .. }));
        assert_eq!(e.uri(), "s3://b/k");
    }
}
