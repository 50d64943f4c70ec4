//! `direct:///path`: like `file://`, but every read and write bypasses the page cache with
//! `O_DIRECT`, through page-aligned buffers at aligned offsets.
//!
//! Writes go to an aligned buffer flushed in aligned blocks; the last block is padded and
//! the file truncated to its true size before the rename (with [`WriterOptions::fsync`], the
//! file is fsynced before the rename and its directory after it). File systems that refuse
//! `O_DIRECT` (ramfs, tmpfs before Linux 6.6, some FUSE mounts) give a clear [`Error::NotSupported`].

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::ops::Range;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use super::file::{TempFile, sync_parent};
use super::local::{LocalRoot, blocking, blocking_in_place};
use crate::buffer::{self, Buffer, Pooled};
use crate::error::{Error, Result};
use crate::store::{
    Capabilities, ListEntry, ListMode, ObjectMeta, ObjectWriter, PutResult, Store, WriterOptions, clip_range,
};

/// Alignment of buffers, offsets and lengths for O_DIRECT.
pub const ALIGN: usize = 4096;
/// Bounce-buffer size for reads into unaligned caller buffers.
const CHUNK: usize = 8 << 20;

/// A store over a local directory with O_DIRECT I/O.
#[derive(Debug, Clone)]
pub struct DirectStore {
    root: LocalRoot,
}

impl DirectStore {
    pub fn new(dir: &str) -> DirectStore {
        DirectStore {
            root: LocalRoot::new("direct", dir),
        }
    }
}

fn round_up(n: usize, a: usize) -> usize {
    n.div_ceil(a) * a
}

/// Opens `path` with O_DIRECT, explaining EINVAL (no O_DIRECT support) clearly.
fn open_direct(uri: &str, path: &Path, write: bool) -> Result<File> {
    let mut o = OpenOptions::new();
    if write {
        o.write(true).create_new(true);
    } else {
        o.read(true);
    }
    o.custom_flags(libc::O_DIRECT)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::EINVAL) => not_supported(uri, path),
            _ => Error::from_io(uri, e),
        })
}

fn not_supported(uri: &str, path: &Path) -> Error {
    Error::NotSupported {
        uri: uri.to_string(),
        what: format!(
            "the file system holding {} refuses O_DIRECT (e.g. ramfs, or tmpfs before Linux 6.6); use file:// there",
            path.parent().unwrap_or(path).display()
        ),
    }
}

/// Reads `len` bytes at `offset` (both arbitrary) into an aligned buffer; returns the buffer
/// and where the wanted bytes start in it.
fn read_aligned(uri: &str, f: &File, offset: u64, len: usize) -> Result<(Pooled, usize, usize)> {
    let start = offset - offset % ALIGN as u64;
    let skip = (offset - start) as usize;
    let want = round_up(skip + len, ALIGN);
    let mut buf = buffer::pooled(want).map_err(|e| Error::from_io(uri, e))?;
    let dst = &mut buf.as_mut_slice()[..want];
    let mut done = 0;
    while done < dst.len() {
        match f.read_at(&mut dst[done..], start + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                return Err(Error::NotSupported {
                    uri: uri.to_string(),
                    what: "O_DIRECT read refused (unexpected alignment requirement)".into(),
                });
            }
            Err(e) => return Err(Error::from_io(uri, e)),
        }
    }
    let got = done.saturating_sub(skip).min(len);
    buf.set_len(skip + got);
    Ok((buf, skip, got))
}

fn file_size(uri: &str, f: &File) -> Result<u64> {
    Ok(f.metadata().map_err(|e| Error::from_io(uri, e))?.len())
}

#[async_trait]
impl Store for DirectStore {
    fn root(&self) -> &str {
        &self.root.uri
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            ranged_get: true,
            concurrent_parts: false,
            delimiter_listing: true,
            aligned_io: true,
        }
    }

    async fn get_opts(&self, key: &str, range: Option<Range<u64>>) -> Result<Bytes> {
        let path = self.root.path_of(key)?;
        let uri = self.root.uri_of(key);
        blocking(&uri.clone(), move || {
            let f = open_direct(&uri, &path, false)?;
            let size = file_size(&uri, &f)?;
            let r = clip_range(&uri, range.unwrap_or(0..size), size)?;
            let (buf, skip, got) = read_aligned(&uri, &f, r.start, (r.end - r.start) as usize)?;
            Ok(buf.into_bytes().slice(skip..skip + got))
        })
        .await
    }

    async fn get_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let path = self.root.path_of(key)?;
        let uri = self.root.uri_of(key);
        blocking_in_place(|| {
            let f = open_direct(&uri, &path, false)?;
            let size = file_size(&uri, &f)?;
            let r = clip_range(&uri, offset..offset.saturating_add(buf.len() as u64), size)?;
            let total = (r.end - r.start) as usize;
            let mut done = 0;
            while done < total {
                let n = (total - done).min(CHUNK);
                let (chunk, skip, got) = read_aligned(&uri, &f, r.start + done as u64, n)?;
                buf[done..done + got].copy_from_slice(&chunk.as_ref()[skip..skip + got]);
                done += got;
                if got < n {
                    break;
                }
            }
            Ok(done)
        })
    }

    async fn put(&self, key: &str, data: Bytes) -> Result<PutResult> {
        let mut w = self.writer(key, WriterOptions::default()).await?;
        w.write(data).await?;
        w.finish().await
    }

    async fn writer(&self, key: &str, opts: WriterOptions) -> Result<Box<dyn ObjectWriter>> {
        let final_path = self.root.path_of(key)?;
        let uri = self.root.uri_of(key);
        let root = self.root.clone();
        let (k, fp, u) = (key.to_string(), final_path.clone(), uri.clone());
        let (file, tmp) = blocking(&uri, move || {
            let tmp = TempFile::new(root.temp_path_for(&k, &fp)?);
            let file = open_direct(&u, tmp.path(), true)?;
            Ok((file, tmp))
        })
        .await?;
        let block = round_up(
            if opts.part_size == 0 {
                8 << 20
            } else {
                opts.part_size
            },
            ALIGN,
        );
        Ok(Box::new(DirectWriter {
            uri,
            tmp,
            final_path,
            file: Arc::new(file),
            block,
            stage: None,
            spare: Vec::new(),
            filled: 0,
            offset: 0,
            inflight: VecDeque::new(),
            max_inflight: if opts.concurrency == 0 {
                2
            } else {
                opts.concurrency
            },
            failed: false,
            fsync: opts.fsync,
        }))
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        self.root.head_async(key).await
    }

    fn list(&self, prefix: &str, mode: ListMode) -> BoxStream<'_, Result<ListEntry>> {
        self.root.list_stream(prefix, mode)
    }

    async fn delete(&self, key: &str) -> Result<()> {
        self.root.delete_async(key).await
    }
}

/// Writes with O_DIRECT, up to `max_inflight` blocks at once at increasing offsets.
///
/// Page-aligned data (a pooled buffer from [`crate::buffer`], as generators use) is written
/// straight from the caller's memory; anything else is copied into an aligned staging block
/// that is written when full. The last block is padded, and the file truncated to its true
/// size before the rename.
struct DirectWriter {
    uri: String,
    tmp: TempFile,
    final_path: PathBuf,
    file: Arc<File>,
    /// Staging block size (a multiple of ALIGN).
    block: usize,
    /// The staging block being filled, and staging blocks back from finished writes.
    stage: Option<Buffer>,
    spare: Vec<Buffer>,
    filled: usize,
    /// The file offset of the next write (always a multiple of ALIGN).
    offset: u64,
    inflight: VecDeque<tokio::task::JoinHandle<Result<Option<Buffer>>>>,
    max_inflight: usize,
    /// A write failed: the writer is unusable.
    failed: bool,
    fsync: bool,
}

/// What one O_DIRECT write takes its bytes from.
enum Source {
    Staged(Buffer, usize),
    Caller(Bytes),
}

impl DirectWriter {
    fn broken(&self) -> Error {
        Error::Backend {
            uri: self.uri.clone(),
            source: "writer used after a failed write".into(),
        }
    }

    /// Waits for the oldest write in flight; its staging block goes back to `spare`.
    async fn join_one(&mut self) -> Result<()> {
        let Some(h) = self.inflight.pop_front() else {
            return Ok(());
        };
        let done = h.await.map_err(|e| Error::Backend {
            uri: self.uri.clone(),
            source: Box::new(e),
        });
        match done {
            Ok(Ok(buf)) => {
                self.spare.extend(buf);
                Ok(())
            }
            Ok(Err(e)) | Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    /// Starts writing `src` (a multiple of ALIGN long) at the current offset.
    async fn submit(&mut self, src: Source) -> Result<()> {
        while self.inflight.len() >= self.max_inflight.max(1) {
            self.join_one().await?;
        }
        let len = match &src {
            Source::Staged(_, n) => *n,
            Source::Caller(b) => b.len(),
        };
        let (file, offset, uri) = (self.file.clone(), self.offset, self.uri.clone());
        self.inflight.push_back(tokio::task::spawn_blocking(move || {
            let data: &[u8] = match &src {
                Source::Staged(b, n) => &b.as_slice()[..*n],
                Source::Caller(b) => b,
            };
            file.write_all_at(data, offset)
                .map_err(|e| Error::from_io(uri, e))?;
            Ok(match src {
                Source::Staged(b, _) => Some(b),
                Source::Caller(_) => None,
            })
        }));
        self.offset += len as u64;
        Ok(())
    }

    /// A staging block: a spare one, or a new one.
    fn stage(&mut self) -> Result<&mut Buffer> {
        let b = match (self.stage.take(), self.spare.pop()) {
            (Some(b), spare) => {
                self.spare.extend(spare);
                b
            }
            (None, Some(b)) => b,
            (None, None) => Buffer::new(self.block).map_err(|e| Error::from_io(self.uri.clone(), e))?,
        };
        Ok(self.stage.insert(b))
    }

    /// Writes the staging block's first `len` bytes (a multiple of ALIGN).
    async fn flush_stage(&mut self, len: usize) -> Result<()> {
        let buf = self.stage.take().ok_or_else(|| self.broken())?;
        self.filled = 0;
        self.submit(Source::Staged(buf, len)).await
    }
}

#[async_trait]
impl ObjectWriter for DirectWriter {
    async fn write(&mut self, data: Bytes) -> Result<()> {
        if self.failed {
            return Err(self.broken());
        }
        let mut pos = 0;
        while pos < data.len() {
            let rest = data.len() - pos;
            let aligned = (data[pos..].as_ptr() as usize).is_multiple_of(ALIGN);
            if self.filled == 0 && aligned && rest >= ALIGN {
                // Zero copy: straight from the caller's (page-aligned) memory.
                let n = rest - rest % ALIGN;
                self.submit(Source::Caller(data.slice(pos..pos + n))).await?;
                pos += n;
                continue;
            }
            let filled = self.filled;
            let block = self.stage()?.as_mut_slice();
            let n = rest.min(block.len() - filled);
            block[filled..filled + n].copy_from_slice(&data[pos..pos + n]);
            let full = filled + n == block.len();
            let len = block.len();
            self.filled += n;
            pos += n;
            if full {
                self.flush_stage(len).await?;
            }
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<PutResult> {
        if self.failed {
            return Err(self.broken());
        }
        let size = self.offset + self.filled as u64;
        if self.filled > 0 {
            let (filled, padded) = (self.filled, round_up(self.filled, ALIGN));
            self.stage()?.as_mut_slice()[filled..padded].fill(0);
            self.flush_stage(padded).await?;
        }
        while !self.inflight.is_empty() {
            self.join_one().await?;
        }
        let me = *self;
        let uri = me.uri.clone();
        blocking(&uri.clone(), move || {
            me.file.set_len(size).map_err(|e| Error::from_io(&uri, e))?;
            if me.fsync {
                me.file.sync_all().map_err(|e| Error::from_io(&uri, e))?;
            }
            drop(me.file);
            me.tmp
                .persist(&me.final_path)
                .map_err(|e| Error::from_io(&uri, e))?;
            if me.fsync {
                sync_parent(&me.final_path).map_err(|e| Error::from_io(&uri, e))?;
            }
            Ok(PutResult { etag: None, size })
        })
        .await
    }

    async fn abort(self: Box<Self>) -> Result<()> {
        drop(self);
        Ok(())
    }
}
