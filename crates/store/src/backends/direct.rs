//! `direct:///path`: like `file://`, but every read and write bypasses the page cache with
//! `O_DIRECT`, through page-aligned buffers at aligned offsets.
//!
//! Writes go to an aligned buffer flushed in aligned blocks; the last block is padded and
//! the file truncated to its true size before the rename (with [`WriterOptions::fsync`], the
//! file is fsynced before the rename and its directory after it). File systems that refuse
//! `O_DIRECT` (ramfs, tmpfs before Linux 6.6, some FUSE mounts) give a clear [`Error::NotSupported`].

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
            buf: Some(Buffer::new(block).map_err(|e| Error::from_io(self.root.uri_of(key), e))?),
            filled: 0,
            flushed: 0,
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

/// Fills an aligned block and writes it with O_DIRECT whenever it is full.
struct DirectWriter {
    uri: String,
    tmp: TempFile,
    final_path: PathBuf,
    file: Arc<File>,
    /// `None` only while a block is being written on the blocking pool.
    buf: Option<Buffer>,
    filled: usize,
    flushed: u64,
    fsync: bool,
}

impl DirectWriter {
    /// Writes the first `len` bytes of the block (a multiple of ALIGN) at the current offset.
    async fn flush_block(&mut self, len: usize) -> Result<()> {
        let buf = self.buf.take().ok_or_else(|| Error::Backend {
            uri: self.uri.clone(),
            source: "writer used after a failed write".into(),
        })?;
        let (file, offset, uri) = (self.file.clone(), self.flushed, self.uri.clone());
        let buf = blocking(&self.uri, move || {
            file.write_all_at(&buf.as_slice()[..len], offset)
                .map_err(|e| Error::from_io(uri, e))?;
            Ok(buf)
        })
        .await?;
        self.buf = Some(buf);
        self.flushed += len as u64;
        self.filled = 0;
        Ok(())
    }
}

#[async_trait]
impl ObjectWriter for DirectWriter {
    async fn write(&mut self, data: Bytes) -> Result<()> {
        let mut src = &data[..];
        while !src.is_empty() {
            let Some(buf) = self.buf.as_mut() else {
                return Err(Error::Backend {
                    uri: self.uri.clone(),
                    source: "writer used after a failed write".into(),
                });
            };
            let block = buf.as_mut_slice();
            let n = src.len().min(block.len() - self.filled);
            block[self.filled..self.filled + n].copy_from_slice(&src[..n]);
            self.filled += n;
            src = &src[n..];
            if self.filled == block.len() {
                let len = block.len();
                self.flush_block(len).await?;
            }
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<PutResult> {
        let size = self.flushed + self.filled as u64;
        if self.filled > 0 {
            let padded = round_up(self.filled, ALIGN);
            if let Some(buf) = self.buf.as_mut() {
                buf.as_mut_slice()[self.filled..padded].fill(0);
            }
            self.flush_block(padded).await?;
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
