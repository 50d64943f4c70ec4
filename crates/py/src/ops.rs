//! The operations behind both the module-level functions (`mlstor.get(uri)`) and the methods
//! of `mlstor.Store` (`store.get(key)`): each takes a store and a key, releases the GIL for
//! the I/O and maps errors to `mlstor` exceptions.

use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use tokio::task::{JoinError, JoinHandle};

use mlstor_store::{Error, PutResult, Store, StoreExt, path::join};

use crate::buffer::{PyBuf, Writable};
use crate::errors::IntoPyResult;
use crate::runtime::block_on;
use crate::values::{PyObjectMeta, PyPutResult};

/// One object: its store and key. (A struct rather than a tuple: closures over
/// `Arc<dyn Store>` tuples trip the compiler's higher-ranked `Send` check in stream adapters.)
pub struct Target {
    pub store: Arc<dyn Store>,
    pub key: String,
}

impl Target {
    pub fn new(store: Arc<dyn Store>, key: String) -> Target {
        Target { store, key }
    }
}

pub fn get(py: Python<'_>, s: Arc<dyn Store>, key: String) -> PyResult<PyBuf> {
    let data = block_on(py, async move { s.get(&key).await })?.py_err()?;
    Ok(PyBuf::new(data))
}

pub fn get_range(
    py: Python<'_>,
    s: Arc<dyn Store>,
    key: String,
    offset: u64,
    length: u64,
) -> PyResult<PyBuf> {
    let data = block_on(py, async move { s.get_range(&key, offset, length).await })?.py_err()?;
    Ok(PyBuf::new(data))
}

pub fn get_into(
    py: Python<'_>,
    s: Arc<dyn Store>,
    key: String,
    buffer: &Bound<'_, PyAny>,
    offset: u64,
    length: Option<usize>,
) -> PyResult<usize> {
    let target = Writable::new(buffer)?;
    // SAFETY: `target` keeps the export alive (and the exporter unresizable) until after the
    // detached call returns.
    let mut slice = unsafe { target.slice() };
    let n = block_on(py, async move {
        let buf = slice.get();
        match length {
            // A range: at most `length` bytes, fewer at the end of the object.
            Some(len) => {
                let len = len.min(buf.len());
                s.get_into(&key, offset, &mut buf[..len]).await
            }
            // The rest of the object, which must fit: never a silently truncated read.
            None => s.get_whole_into(&key, offset, buf).await,
        }
    })?
    .py_err()?;
    drop(target);
    Ok(n)
}

pub fn put(py: Python<'_>, s: Arc<dyn Store>, key: String, data: Bytes) -> PyResult<PyPutResult> {
    let uri = join(s.root(), &key);
    let r = block_on(py, async move { s.put(&key, data).await })?.py_err()?;
    Ok(PyPutResult::new(uri, r))
}

pub fn stat(py: Python<'_>, s: Arc<dyn Store>, key: String) -> PyResult<PyObjectMeta> {
    let root = s.root().to_string();
    let m = block_on(py, async move { s.head(&key).await })?.py_err()?;
    Ok(PyObjectMeta::from_meta(&root, m))
}

pub fn exists(py: Python<'_>, s: Arc<dyn Store>, key: String) -> PyResult<bool> {
    match block_on(py, async move { s.head(&key).await })? {
        Ok(_) => Ok(true),
        Err(e) if e.is_not_found() => Ok(false),
        Err(e) => Err(crate::errors::to_py(e)),
    }
}

pub fn delete(py: Python<'_>, s: Arc<dyn Store>, key: String) -> PyResult<()> {
    block_on(py, async move { s.delete(&key).await })?.py_err()
}

pub fn check_in_flight(max_in_flight: usize) -> PyResult<usize> {
    if max_in_flight == 0 {
        return Err(PyValueError::new_err("max_in_flight must be at least 1"));
    }
    Ok(max_in_flight)
}

/// Reads every target, `max_in_flight` at a time (each read a task on the runtime, so the
/// copies spread over its threads); results in the order of `targets`.
pub fn get_many(py: Python<'_>, targets: Vec<Target>, max_in_flight: usize) -> PyResult<Vec<PyBuf>> {
    let n = check_in_flight(max_in_flight)?;
    let out = block_on(py, in_order(targets, n, spawn_get))?.py_err()?;
    Ok(out.into_iter().map(PyBuf::new).collect())
}

/// One task per item, `n` running at a time; the results in the items' order, or the first
/// error.
async fn in_order<I: Send, T: Send + 'static>(
    items: Vec<I>,
    n: usize,
    spawn: fn(I) -> JoinHandle<Result<T, Error>>,
) -> Result<Vec<T>, Error> {
    futures::stream::iter(items)
        .map(spawn)
        .buffered(n)
        .map(joined)
        .try_collect()
        .await
}

/// One read as a task of its own.
pub fn spawn_get(t: Target) -> JoinHandle<Result<Bytes, Error>> {
    tokio::spawn(async move { t.store.get(&t.key).await })
}

/// One write as a task of its own; resolves to the object's URI and the result.
fn spawn_put((t, data): (Target, Bytes)) -> JoinHandle<Result<(String, PutResult), Error>> {
    tokio::spawn(async move {
        let r = t.store.put(&t.key, data).await?;
        Ok((join(t.store.root(), &t.key), r))
    })
}

/// The result of a task; a task that panicked (a bug) is reported as a backend error.
pub fn joined<T>(r: Result<Result<T, Error>, JoinError>) -> Result<T, Error> {
    r.unwrap_or_else(|e| {
        Err(Error::Backend {
            uri: "(mlstor I/O task)".into(),
            source: Box::new(e),
        })
    })
}

/// Writes every (target, data), `max_in_flight` at a time.
pub fn put_many(
    py: Python<'_>,
    items: Vec<(Target, Bytes)>,
    max_in_flight: usize,
) -> PyResult<Vec<PyPutResult>> {
    let n = check_in_flight(max_in_flight)?;
    let results = block_on(py, in_order(items, n, spawn_put))?.py_err()?;
    Ok(results
        .into_iter()
        .map(|(uri, r)| PyPutResult::new(uri, r))
        .collect())
}
