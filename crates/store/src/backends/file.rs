//! `file:///path`: objects are files under a root directory.
//!
//! Reads use positioned reads (`pread`) straight into the returned buffer (from the reuse
//! pool of [`crate::buffer`]) or the caller's buffer; writes go to a temporary file in the same directory that is renamed over the
//! final name on success, so a partial object is never visible. With [`WriterOptions::fsync`]
//! the file is fsynced before the rename and its directory after it; with `fsync` or
//! [`WriterOptions::drop_cache`] write-back starts with every write, and with `drop_cache` the
//! pages written back leave the page cache (drop-behind).

use std::collections::VecDeque;
use std::fs::{self, File};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use super::local::{LocalRoot, blocking, blocking_in_place};
use crate::buffer;
use crate::error::{Error, Result};
use crate::store::{
    Capabilities, ListEntry, ListMode, ObjectMeta, ObjectWriter, PutResult, Store, WriterOptions, clip_range,
    fits,
};

/// A store over a local directory.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: LocalRoot,
}

impl FileStore {
    /// A store rooted at the absolute directory `dir` (created on first write).
    pub fn new(dir: &str) -> FileStore {
        FileStore {
            root: LocalRoot::new("file", dir),
        }
    }

    /// `get_into`, and with `whole` also the check that the rest of the file fits.
    fn read_into(&self, key: &str, offset: u64, buf: &mut [u8], whole: bool) -> Result<usize> {
        let path = self.root.path_of(key)?;
        let uri = self.root.uri_of(key);
        blocking_in_place(|| {
            let f = File::open(&path).map_err(|e| Error::from_io(&uri, e))?;
            let size = f.metadata().map_err(|e| Error::from_io(&uri, e))?.len();
            clip_range(&uri, offset..offset.saturating_add(buf.len() as u64), size)?;
            if whole {
                fits(&uri, size, offset, buf.len())?;
            }
            read_full_at(&f, buf, offset).map_err(|e| Error::from_io(&uri, e))
        })
    }
}

/// Reads `range` of the file at `path` (whole file when `None`).
fn read_file(uri: &str, path: &PathBuf, range: Option<Range<u64>>) -> Result<Bytes> {
    let f = File::open(path).map_err(|e| Error::from_io(uri, e))?;
    let size = f.metadata().map_err(|e| Error::from_io(uri, e))?.len();
    let r = clip_range(uri, range.unwrap_or(0..size), size)?;
    let len = (r.end - r.start) as usize;
    let mut buf = buffer::pooled(len).map_err(|e| Error::from_io(uri, e))?;
    let n = read_full_at(&f, &mut buf.as_mut_slice()[..len], r.start).map_err(|e| Error::from_io(uri, e))?;
    buf.set_len(n);
    Ok(buf.into_bytes())
}

/// `pread` until `buf` is full or the file ends.
fn read_full_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match f.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

#[async_trait]
impl Store for FileStore {
    fn root(&self) -> &str {
        &self.root.uri
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
        let path = self.root.path_of(key)?;
        let uri = self.root.uri_of(key);
        blocking(&uri.clone(), move || read_file(&uri, &path, range)).await
    }

    async fn get_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.read_into(key, offset, buf, false)
    }

    async fn get_whole_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.read_into(key, offset, buf, true)
    }

    async fn put(&self, key: &str, data: Bytes) -> Result<PutResult> {
        // What the writer does (temporary file, write, rename over the key), in one trip to
        // the blocking pool instead of three: small objects are dominated by those hand-offs.
        let path = self.root.path_of(key)?;
        let uri = self.root.uri_of(key);
        let (root, k) = (self.root.clone(), key.to_string());
        blocking(&uri.clone(), move || {
            let io = |e| Error::from_io(&uri, e);
            let tmp = TempFile::new(root.temp_path_for(&k, &path)?);
            let file = File::create(tmp.path()).map_err(io)?;
            file.write_all_at(&data, 0).map_err(io)?;
            drop(file);
            tmp.persist(&path).map_err(io)?;
            Ok(PutResult {
                etag: None,
                size: data.len() as u64,
            })
        })
        .await
    }

    async fn writer(&self, key: &str, opts: WriterOptions) -> Result<Box<dyn ObjectWriter>> {
        let path = self.root.path_of(key)?;
        let uri = self.root.uri_of(key);
        let (root, k, final_path) = (self.root.clone(), key.to_string(), path.clone());
        let (file, tmp) = blocking(&uri, move || {
            let tmp = TempFile::new(root.temp_path_for(&k, &path)?);
            let file = File::create(tmp.path()).map_err(|e| Error::from_io(root.uri_of(&k), e))?;
            Ok((file, tmp))
        })
        .await?;
        Ok(Box::new(FileWriter {
            tmp,
            final_path,
            uri,
            file: Arc::new(file),
            written: 0,
            fsync: opts.fsync,
            drop_cache: opts.drop_cache,
            flushing: VecDeque::new(),
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

/// Fsyncs the directory holding `path`, so a rename into it is durable.
pub(crate) fn sync_parent(path: &std::path::Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) => File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

/// A temporary file that is removed on drop unless it was renamed into place.
#[derive(Debug)]
pub(crate) struct TempFile {
    path: Option<PathBuf>,
}

impl TempFile {
    pub(crate) fn new(path: PathBuf) -> TempFile {
        TempFile { path: Some(path) }
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        self.path.as_deref().unwrap_or(std::path::Path::new(""))
    }

    /// Renames the file to `to`, after which drop no longer removes it.
    pub(crate) fn persist(mut self, to: &std::path::Path) -> std::io::Result<()> {
        if let Some(p) = self.path.take()
            && let Err(e) = fs::rename(&p, to)
        {
            self.path = Some(p);
            return Err(e);
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = fs::remove_file(p);
        }
    }
}

struct FileWriter {
    uri: String,
    tmp: TempFile,
    final_path: PathBuf,
    file: Arc<File>,
    written: u64,
    fsync: bool,
    drop_cache: bool,
    /// With `fsync` or `drop_cache`: the ranges whose write-back was started and not yet
    /// waited for.
    flushing: VecDeque<(u64, u64)>,
}

/// With `fsync` or `drop_cache`, write-back of each write starts at once and at most this
/// many writes' worth is in flight: the device is kept busy while the file is written
/// (instead of all of it at the final fsync), and dirty memory stays bounded.
const WRITEBACK_WINDOW: usize = 4;

/// Drops `range` of `file` (written back: clean) from the page cache.
fn drop_cached(file: &File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let (off, n) = (
            i64::try_from(offset).unwrap_or(i64::MAX),
            i64::try_from(len).unwrap_or(i64::MAX),
        );
        // SAFETY: a plain syscall on a file descriptor this writer owns; no memory is passed.
        // Advice only: a failure changes nothing but what stays cached.
        let _ = unsafe { libc::posix_fadvise(file.as_raw_fd(), off, n, libc::POSIX_FADV_DONTNEED) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// Starts write-back of `range` of `file` (`SYNC_FILE_RANGE_WRITE`), or with `wait` waits for
/// the write-back of it to complete; a hint on systems without `sync_file_range`.
fn writeback(file: &File, offset: u64, len: u64, wait: bool) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let flags = if wait {
            libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WRITE | libc::SYNC_FILE_RANGE_WAIT_AFTER
        } else {
            libc::SYNC_FILE_RANGE_WRITE
        };
        let (off, n) = (
            i64::try_from(offset).unwrap_or(i64::MAX),
            i64::try_from(len).unwrap_or(i64::MAX),
        );
        // SAFETY: a plain syscall on a file descriptor this writer owns; no memory is passed.
        if unsafe { libc::sync_file_range(file.as_raw_fd(), off, n, flags) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len, wait);
    Ok(())
}

#[async_trait]
impl ObjectWriter for FileWriter {
    async fn write(&mut self, data: Bytes) -> Result<()> {
        let file = self.file.clone();
        let offset = self.written;
        let len = data.len() as u64;
        let uri = self.uri.clone();
        let stream = self.fsync || self.drop_cache;
        let oldest = (stream && self.flushing.len() >= WRITEBACK_WINDOW)
            .then(|| self.flushing.pop_front())
            .flatten();
        let drop_cache = self.drop_cache;
        blocking(&self.uri, move || {
            file.write_all_at(&data, offset)
                .map_err(|e| Error::from_io(&uri, e))?;
            if stream {
                writeback(&file, offset, len, false).map_err(|e| Error::from_io(&uri, e))?;
                if let Some((off, n)) = oldest {
                    writeback(&file, off, n, true).map_err(|e| Error::from_io(&uri, e))?;
                    if drop_cache {
                        drop_cached(&file, off, n);
                    }
                }
            }
            Ok(())
        })
        .await?;
        if stream {
            self.flushing.push_back((offset, len));
        }
        self.written += len;
        Ok(())
    }

    async fn finish(self: Box<Self>) -> Result<PutResult> {
        let me = *self;
        let uri = me.uri.clone();
        blocking(&uri.clone(), move || {
            let size = me.written;
            if me.fsync {
                me.file.sync_all().map_err(|e| Error::from_io(&uri, e))?;
            } else if me.drop_cache {
                writeback(&me.file, 0, size, true).map_err(|e| Error::from_io(&uri, e))?;
            }
            if me.drop_cache {
                drop_cached(&me.file, 0, size);
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
        drop(self); // TempFile removes the partial file
        Ok(())
    }
}
