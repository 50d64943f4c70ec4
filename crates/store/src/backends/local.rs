//! What `file://` and `direct://` share: mapping keys to paths under a root directory,
//! metadata, listing, deletion, and the temporary-file-then-rename protocol that keeps
//! partial writes invisible.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, StreamExt};

use crate::error::{Error, Result};
use crate::list;
use crate::path::{join, validate_key};
use crate::store::{ListEntry, ListMode, ObjectMeta};

/// Marker in the names of in-progress writes; listings skip such files.
pub(crate) const TMP_MARKER: &str = ".mlstor-tmp.";
/// The longest file name Linux file systems take, in bytes.
const NAME_MAX: usize = 255;

/// A root directory and the URI that names it.
#[derive(Debug, Clone)]
pub(crate) struct LocalRoot {
    pub uri: String,
    pub dir: PathBuf,
}

impl LocalRoot {
    pub fn new(scheme: &str, dir: &str) -> LocalRoot {
        let dir = if dir.len() > 1 {
            dir.trim_end_matches('/')
        } else {
            dir
        };
        LocalRoot {
            uri: format!("{scheme}://{dir}"),
            dir: PathBuf::from(dir),
        }
    }

    pub fn uri_of(&self, key: &str) -> String {
        join(&self.uri, key)
    }

    /// The path of `key`, refusing keys that escape the root or name a directory.
    pub fn path_of(&self, key: &str) -> Result<PathBuf> {
        validate_key(&self.uri, key)?;
        let rel = key.trim_start_matches('/');
        if rel.is_empty() || rel.ends_with('/') {
            return Err(Error::InvalidInput {
                uri: self.uri_of(key),
                reason: "an object key cannot be empty or end with '/'".into(),
            });
        }
        Ok(self.dir.join(rel))
    }

    /// A fresh temporary path beside `path` (same directory, so rename is atomic).
    pub fn temp_path_for(&self, key: &str, path: &Path) -> Result<PathBuf> {
        let dir = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(dir).map_err(|e| Error::from_io(self.uri_of(key), e))?;
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("object");
        let suffix = format!("{TMP_MARKER}{}.{:016x}", std::process::id(), fastrand::u64(..));
        // File names are at most 255 bytes: a long target name is cut in the temporary one
        // (the pid and random part keep it unique), so any legal name can be written.
        let room = NAME_MAX.saturating_sub(1 + suffix.len());
        let mut cut = name.len().min(room);
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        Ok(dir.join(format!(".{}{suffix}", &name[..cut])))
    }

    pub fn meta(&self, key: &str, md: &fs::Metadata) -> ObjectMeta {
        let modified = md.modified().ok().map(DateTime::<Utc>::from);
        ObjectMeta {
            key: key.to_string(),
            size: md.len(),
            last_modified: modified,
            etag: Some(format!(
                "{:x}-{:x}-{:x}",
                md.ino(),
                md.mtime_nsec() ^ md.mtime(),
                md.len()
            )),
        }
    }

    pub fn head(&self, key: &str) -> Result<ObjectMeta> {
        let path = self.path_of(key)?;
        let md = fs::metadata(&path).map_err(|e| Error::from_io(self.uri_of(key), e))?;
        if !md.is_file() {
            return Err(Error::NotFound {
                uri: self.uri_of(key),
                source: None,
            });
        }
        Ok(self.meta(key, &md))
    }

    pub fn delete(&self, key: &str) -> Result<()> {
        let path = self.path_of(key)?;
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::from_io(self.uri_of(key), e)),
            _ => Ok(()),
        }
    }

    /// Lists `prefix` by walking the directory tree (sorted, temporary files skipped).
    pub fn list(&self, prefix: &str, mode: ListMode) -> Result<Vec<ListEntry>> {
        validate_key(&self.uri, prefix)?;
        // Only the directory part of the prefix needs walking; the rest is a string filter.
        let start = match prefix.rfind('/') {
            Some(i) => &prefix[..i],
            None => "",
        };
        let mut objects = Vec::new();
        let recurse = mode == ListMode::Recursive;
        let walk_from = if recurse {
            start.to_string()
        } else {
            list::dir_prefix(prefix)
        };
        self.walk(walk_from.trim_end_matches('/'), recurse, &mut objects)?;
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(list::entries(objects, prefix, mode))
    }

    fn walk(&self, rel_dir: &str, recurse: bool, out: &mut Vec<ObjectMeta>) -> Result<()> {
        let dir = self.dir.join(rel_dir);
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => return Ok(()),
            Err(e) => return Err(Error::from_io(self.uri_of(rel_dir), e)),
        };
        for item in rd {
            let item = item.map_err(|e| Error::from_io(self.uri_of(rel_dir), e))?;
            let Ok(name) = item.file_name().into_string() else {
                continue; // not UTF-8: not addressable by a key
            };
            if name.contains(TMP_MARKER) {
                continue;
            }
            let key = if rel_dir.is_empty() {
                name
            } else {
                format!("{rel_dir}/{name}")
            };
            let md = match fs::metadata(item.path()) {
                Ok(md) => md,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue, // raced a delete
                Err(e) => return Err(Error::from_io(self.uri_of(&key), e)),
            };
            if md.is_dir() {
                if recurse {
                    self.walk(&key, true, out)?;
                } else {
                    // A directory shows up as a common prefix: add a marker object under it.
                    out.push(ObjectMeta {
                        key: format!("{key}/"),
                        size: 0,
                        last_modified: None,
                        etag: None,
                    });
                }
            } else if md.is_file() {
                out.push(self.meta(&key, &md));
            }
        }
        Ok(())
    }
}

impl LocalRoot {
    pub async fn head_async(&self, key: &str) -> Result<ObjectMeta> {
        let (root, key) = (self.clone(), key.to_string());
        blocking(&self.uri, move || root.head(&key)).await
    }

    pub async fn delete_async(&self, key: &str) -> Result<()> {
        let (root, key) = (self.clone(), key.to_string());
        blocking(&self.uri, move || root.delete(&key)).await
    }

    /// The listing as a stream (the walk runs on the blocking pool).
    pub fn list_stream(&self, prefix: &str, mode: ListMode) -> BoxStream<'static, Result<ListEntry>> {
        let (root, prefix) = (self.clone(), prefix.to_string());
        let fut = async move {
            let uri = root.uri.clone();
            let items: Vec<Result<ListEntry>> = match blocking(&uri, move || root.list(&prefix, mode)).await {
                Ok(v) => v.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures::stream::iter(items)
        };
        Box::pin(futures::stream::once(fut).flatten())
    }
}

/// Runs blocking file I/O off the async worker threads.
pub(crate) async fn blocking<T: Send + 'static>(
    uri: &str,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::Backend {
        uri: uri.to_string(),
        source: Box::new(e),
    })?
}

/// Runs blocking I/O that borrows the caller's buffer: on a multi-thread runtime the worker
/// is handed over with `block_in_place`; elsewhere it runs inline.
pub(crate) fn blocking_in_place<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}
