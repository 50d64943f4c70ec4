//! `gs://bucket/key` on Google Cloud Storage or a GCS emulator, through the `gcloud-storage`
//! client, which speaks GCS's JSON API (the emulators installable here support only that
//! API for writes).
//!
//! With `STORAGE_EMULATOR_HOST` set the client talks to the emulator anonymously and never
//! asks a cloud metadata server for a token. Otherwise credentials come from
//! `GOOGLE_APPLICATION_CREDENTIALS` or Google's default chain, resolved on first use.
//! Streaming writes are resumable uploads: the object appears only when the last chunk is
//! sent; an aborted or dropped writer cancels the session.

use std::ops::Range;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, StreamExt};
use gcloud_storage::client::{Client, ClientConfig};
use gcloud_storage::http::objects::Object;
use gcloud_storage::http::objects::delete::DeleteObjectRequest;
use gcloud_storage::http::objects::download::Range as GcsRange;
use gcloud_storage::http::objects::get::GetObjectRequest;
use gcloud_storage::http::objects::list::ListObjectsRequest;
use gcloud_storage::http::objects::upload::{Media, UploadObjectRequest, UploadType};
use gcloud_storage::http::resumable_upload_client::{ChunkSize, ResumableUploadClient, UploadStatus};
use tokio::sync::OnceCell;

use crate::error::{Error, Result, Trimmed};
use crate::layers::retry::retry;
use crate::list::dir_prefix;
use crate::options::StoreOptions;
use crate::path::{join, validate_key};
use crate::store::{
    Capabilities, ListEntry, ListMode, ObjectMeta, ObjectWriter, PutResult, Store, WriterOptions, clip_range,
};

/// Resumable upload chunks must be multiples of this (except the last).
const CHUNK_ALIGN: usize = 256 * 1024;

/// A store on one GCS bucket.
#[derive(Clone)]
pub struct GcsStore {
    root: String,
    bucket: String,
    endpoint: String,
    opts: StoreOptions,
    client: std::sync::Arc<OnceCell<Client>>,
}

impl std::fmt::Debug for GcsStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcsStore")
            .field("root", &self.root)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// Builds a store on `bucket`; `endpoint` overrides the emulator/endpoint URL.
pub fn build(bucket: &str, endpoint: Option<&str>, opts: &StoreOptions) -> Result<GcsStore> {
    let root = format!("gs://{bucket}");
    let endpoint = endpoint
        .map(str::to_string)
        .or_else(|| opts.gcs_emulator_host.clone())
        .map(|e| {
            if e.contains("://") {
                e
            } else {
                format!("http://{e}")
            }
        })
        .unwrap_or_else(|| "https://storage.googleapis.com".to_string());
    super::s3::check_endpoint(&root, &endpoint)?;
    Ok(GcsStore {
        root,
        bucket: bucket.to_string(),
        endpoint: endpoint.trim_end_matches('/').to_string(),
        opts: opts.clone(),
        client: Default::default(),
    })
}

impl GcsStore {
    fn uri(&self, key: &str) -> String {
        join(&self.root, key)
    }

    fn is_emulator(&self) -> bool {
        self.opts.gcs_emulator_host.is_some() || !self.endpoint.starts_with("https://storage.googleapis.com")
    }

    async fn client(&self) -> Result<&Client> {
        self.client
            .get_or_try_init(|| async {
                let http = reqwest::Client::builder()
                    .connect_timeout(self.opts.connect_timeout)
                    .read_timeout(self.opts.idle_timeout)
                    .build()
                    .map_err(|e| self.config_error(&e))?;
                let mut config = ClientConfig {
                    http: Some(reqwest_middleware::ClientBuilder::new(http).build()),
                    storage_endpoint: self.endpoint.clone(),
                    ..Default::default()
                };
                config = if self.is_emulator() {
                    config.anonymous()
                } else if let Some(path) = &self.opts.gcs_credentials_path {
                    let creds = gcloud_storage::client::google_cloud_auth::credentials::CredentialsFile::new_from_file(path.clone())
                        .await
                        .map_err(|e| self.config_error(&e))?;
                    config.with_credentials(creds).await.map_err(|e| self.config_error(&e))?
                } else {
                    config.with_auth().await.map_err(|e| self.config_error(&e))?
                };
                Ok(Client::new(config))
            })
            .await
    }

    fn config_error(&self, e: &dyn std::fmt::Display) -> Error {
        Error::PermissionDenied {
            uri: self.root.clone(),
            endpoint: self.endpoint.clone(),
            source: Some(Trimmed::boxed(&format!("cannot set up GCS credentials: {e}"))),
        }
    }

    fn error(&self, key: &str, e: gcloud_storage::http::Error) -> Error {
        use gcloud_storage::http::Error as G;
        let uri = self.uri(key);
        let (status, network) = match &e {
            G::Response(r) => (Some(r.code), false),
            G::HttpClient(r) | G::RawResponse(r, _) => (
                r.status().map(|s| s.as_u16()),
                r.is_timeout() || r.is_connect() || r.is_request() || r.is_body(),
            ),
            _ => (None, false),
        };
        match status {
            Some(404) => Error::NotFound {
                uri,
                source: Some(Trimmed::boxed(&e)),
            },
            Some(401 | 403) => Error::PermissionDenied {
                uri,
                endpoint: self.endpoint.clone(),
                source: Some(Trimmed::boxed(&e)),
            },
            Some(408 | 429 | 500..=599) => Error::Transient {
                uri,
                attempts: 1,
                source: Trimmed::boxed(&e),
            },
            None if network => Error::Transient {
                uri,
                attempts: 1,
                source: Box::new(e),
            },
            _ => Error::Backend {
                uri,
                source: Box::new(e),
            },
        }
    }

    fn status(e: &gcloud_storage::http::Error) -> Option<u16> {
        use gcloud_storage::http::Error as G;
        match e {
            G::Response(r) => Some(r.code),
            G::HttpClient(r) | G::RawResponse(r, _) => r.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    fn get_req(&self, key: &str) -> GetObjectRequest {
        GetObjectRequest {
            bucket: self.bucket.clone(),
            object: key.to_string(),
            ..Default::default()
        }
    }

    /// Streams `range` (or the whole object) into `sink`; `Ok(false)` when the range is
    /// empty at the object's end.
    async fn read(&self, key: &str, range: Option<Range<u64>>, mut sink: impl FnMut(Bytes)) -> Result<bool> {
        validate_key(&self.root, key)?;
        if let Some(r) = range.as_ref().filter(|r| r.start >= r.end) {
            clip_range(&self.uri(key), r.clone(), self.head(key).await?.size)?;
            return Ok(false);
        }
        let gr = match &range {
            Some(r) => GcsRange(Some(r.start), Some(r.end - 1)),
            None => GcsRange::default(),
        };
        let client = self.client().await?;
        let mut stream = match client.download_streamed_object(&self.get_req(key), &gr).await {
            Ok(s) => Box::pin(s),
            Err(e) if Self::status(&e) == Some(416) => {
                let start = range.map_or(0, |r| r.start);
                clip_range(&self.uri(key), start..start, self.head(key).await?.size)?;
                return Ok(false);
            }
            Err(e) => return Err(self.error(key, e)),
        };
        while let Some(chunk) = stream.next().await {
            crate::record::mark_first_byte();
            sink(chunk.map_err(|e| self.error(key, e))?);
        }
        Ok(true)
    }

    fn meta(key: String, o: &Object) -> ObjectMeta {
        ObjectMeta {
            key,
            size: o.size.max(0) as u64,
            last_modified: o
                .updated
                .and_then(|t| chrono::DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond())),
            etag: Some(o.etag.clone()).filter(|e| !e.is_empty()),
        }
    }

    async fn upload(&self, key: &str, data: Bytes) -> Result<PutResult> {
        let client = self.client().await?;
        let size = data.len() as u64;
        let req = UploadObjectRequest {
            bucket: self.bucket.clone(),
            ..Default::default()
        };
        let ty = UploadType::Simple(Media::new(key.to_string()));
        let o = client
            .upload_object(&req, data, &ty)
            .await
            .map_err(|e| self.error(key, e))?;
        Ok(PutResult {
            etag: Some(o.etag),
            size,
        })
    }
}

#[async_trait]
impl Store for GcsStore {
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
        let mut buf = BytesMut::new();
        self.read(key, range, |chunk| buf.extend_from_slice(&chunk))
            .await?;
        Ok(buf.freeze())
    }

    async fn get_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut filled = 0;
        let range = offset..offset + buf.len() as u64;
        self.read(key, Some(range), |chunk| {
            let n = chunk.len().min(buf.len() - filled);
            buf[filled..filled + n].copy_from_slice(&chunk[..n]);
            filled += n;
        })
        .await?;
        Ok(filled)
    }

    async fn put(&self, key: &str, data: Bytes) -> Result<PutResult> {
        validate_key(&self.root, key)?;
        self.upload(key, data).await
    }

    async fn writer(&self, key: &str, opts: WriterOptions) -> Result<Box<dyn ObjectWriter>> {
        validate_key(&self.root, key)?;
        let part = if opts.part_size == 0 {
            self.opts.part_size
        } else {
            opts.part_size
        };
        Ok(Box::new(GcsWriter {
            store: self.clone(),
            key: key.to_string(),
            chunk: part.div_ceil(CHUNK_ALIGN).max(1) * CHUNK_ALIGN,
            pending: BytesMut::new(),
            sent: 0,
            session: None,
        }))
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        validate_key(&self.root, key)?;
        let client = self.client().await?;
        let o = client
            .get_object(&self.get_req(key))
            .await
            .map_err(|e| self.error(key, e))?;
        Ok(Self::meta(key.to_string(), &o))
    }

    fn list(&self, prefix: &str, mode: ListMode) -> BoxStream<'_, Result<ListEntry>> {
        let (prefix, delimiter) = match mode {
            ListMode::Recursive => (prefix.to_string(), None),
            ListMode::Delimited => (dir_prefix(prefix), Some("/".to_string())),
        };
        // State: the next page token; `None` once the last page was read.
        let pages = futures::stream::try_unfold(Some(None::<String>), move |token| {
            let (prefix, delimiter) = (prefix.clone(), delimiter.clone());
            async move {
                let Some(page_token) = token else { return Ok(None) };
                validate_key(&self.root, &prefix)?;
                let client = self.client().await?;
                let req = ListObjectsRequest {
                    bucket: self.bucket.clone(),
                    prefix: Some(prefix.clone()).filter(|p| !p.is_empty()),
                    delimiter,
                    page_token,
                    ..Default::default()
                };
                let page = client
                    .list_objects(&req)
                    .await
                    .map_err(|e| self.error(&prefix, e))?;
                let mut items: Vec<Result<ListEntry>> = Vec::new();
                for p in page.prefixes.unwrap_or_default() {
                    items.push(Ok(ListEntry::Prefix(p)));
                }
                for o in page.items.unwrap_or_default() {
                    items.push(Ok(ListEntry::Object(Self::meta(o.name.clone(), &o))));
                }
                Ok(Some((items, page.next_page_token.map(Some))))
            }
        });
        Box::pin(pages.flat_map(|page: Result<Vec<Result<ListEntry>>>| match page {
            Ok(items) => futures::stream::iter(items),
            Err(e) => futures::stream::iter(vec![Err(e)]),
        }))
    }

    async fn delete(&self, key: &str) -> Result<()> {
        validate_key(&self.root, key)?;
        let client = self.client().await?;
        let req = DeleteObjectRequest {
            bucket: self.bucket.clone(),
            object: key.to_string(),
            ..Default::default()
        };
        match client.delete_object(&req).await.map_err(|e| self.error(key, e)) {
            Err(e) if !e.is_not_found() => Err(e),
            _ => Ok(()),
        }
    }
}

/// A resumable upload, started lazily once more than one chunk has been written.
struct GcsWriter {
    store: GcsStore,
    key: String,
    chunk: usize,
    pending: BytesMut,
    sent: u64,
    session: Option<ResumableUploadClient>,
}

impl GcsWriter {
    async fn session(&mut self) -> Result<ResumableUploadClient> {
        if let Some(s) = &self.session {
            return Ok(s.clone());
        }
        let store = &self.store;
        let client = store.client().await?;
        let req = UploadObjectRequest {
            bucket: store.bucket.clone(),
            ..Default::default()
        };
        let ty = UploadType::Simple(Media::new(self.key.clone()));
        let s = retry(&store.opts.retry, || async {
            client
                .prepare_resumable_upload(&req, &ty)
                .await
                .map_err(|e| store.error(&self.key, e))
        })
        .await?;
        self.session = Some(s.clone());
        Ok(s)
    }

    /// Sends `data` at the current offset; `total` is set for the final chunk.
    async fn send(&mut self, data: Bytes, total: Option<u64>) -> Result<UploadStatus> {
        let session = self.session().await?;
        let (first, len) = (self.sent, data.len() as u64);
        let size = match total {
            Some(t) if len == 0 => ChunkSize::new(t, t, Some(t)),
            _ => ChunkSize::new(first, first + len - 1, total),
        };
        let (store, key) = (&self.store, &self.key);
        let status = retry(&store.opts.retry, || async {
            session
                .upload_multiple_chunk(data.clone(), &size)
                .await
                .map_err(|e| store.error(key, e))
        })
        .await?;
        self.sent += len;
        Ok(status)
    }
}

#[async_trait]
impl ObjectWriter for GcsWriter {
    async fn write(&mut self, data: Bytes) -> Result<()> {
        self.pending.extend_from_slice(&data);
        while self.pending.len() > self.chunk {
            let part = self.pending.split_to(self.chunk).freeze();
            self.send(part, None).await?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<PutResult> {
        let last = std::mem::take(&mut self.pending).freeze();
        let total = self.sent + last.len() as u64;
        if self.session.is_none() {
            return self.store.upload(&self.key, last).await;
        }
        match self.send(last, Some(total)).await? {
            UploadStatus::Ok(o) => {
                self.session = None;
                Ok(PutResult {
                    etag: Some(o.etag),
                    size: total,
                })
            }
            other => Err(Error::Backend {
                uri: self.store.uri(&self.key),
                source: format!("resumable upload did not complete: {other:?}").into(),
            }),
        }
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        if let Some(s) = self.session.take() {
            s.cancel().await.map_err(|e| self.store.error(&self.key, e))?;
        }
        Ok(())
    }
}

impl Drop for GcsWriter {
    fn drop(&mut self) {
        if let (Some(s), Ok(h)) = (self.session.take(), tokio::runtime::Handle::try_current()) {
            h.spawn(async move {
                let _ = s.cancel().await;
            });
        }
    }
}
