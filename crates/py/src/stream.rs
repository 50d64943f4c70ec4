//! Lazy iterators fed by tasks on the runtime through bounded channels: listings
//! ([`ListIterator`]) and ordered, prefetching reads ([`GetIterator`]). Python pulls items in
//! batches with the GIL released; dropping the iterator stops its task.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::sync::mpsc;

use mlstor_store::{Error, ListEntry, ListMode, Store};

use crate::buffer::PyBuf;
use crate::errors::to_py;
use crate::ops::{Target, joined, spawn_get};
use crate::runtime::{self, Handle, block_on, busy_lock};
use crate::values::PyObjectMeta;

/// Items a task sends, the runtime generation it runs on, and a local batch.
struct Feed<T> {
    rx: mpsc::Receiver<T>,
    batch: VecDeque<T>,
    generation: u64,
    _handle: Handle,
}

impl<T> Drop for Feed<T> {
    fn drop(&mut self) {
        if !self._handle.is_ours() {
            // Inherited by fork: the channel belongs to the parent's runtime, whose threads
            // (and any lock they held) the child does not have. Forget it, never close it.
            let (_, rx) = tokio::sync::mpsc::channel(1);
            std::mem::forget(std::mem::replace(&mut self.rx, rx));
        }
    }
}

impl<T: Send> Feed<T> {
    fn new(rx: mpsc::Receiver<T>, generation: u64) -> Feed<T> {
        Feed {
            rx,
            batch: VecDeque::new(),
            generation,
            _handle: Handle::new(),
        }
    }

    /// The next item (None at the end), waiting for the task with the GIL released.
    fn next(&mut self, py: Python<'_>, batch: usize) -> PyResult<Option<T>> {
        if let Some(x) = self.batch.pop_front() {
            return Ok(Some(x));
        }
        if runtime::generation()? != self.generation {
            return Err(PyRuntimeError::new_err(
                "this iterator was started before a fork (or in another process); start a new one here",
            ));
        }
        let mut got = Vec::with_capacity(batch);
        let rx = &mut self.rx;
        let n = block_on(py, async { rx.recv_many(&mut got, batch).await })?;
        if n == 0 {
            return Ok(None);
        }
        self.batch.extend(got);
        Ok(self.batch.pop_front())
    }
}

/// The iterator returned by `mlstor.list(...)` / `Store.list(...)`: `ObjectMeta` items in the
/// order the backend lists them (lexicographic for every backend but multi-root stores).
#[pyclass(name = "ListIterator", module = "mlstor")]
pub struct ListIterator {
    root: String,
    feed: Mutex<Feed<Result<ListEntry, Error>>>,
}

impl ListIterator {
    pub fn start(store: Arc<dyn Store>, prefix: String, mode: ListMode) -> PyResult<ListIterator> {
        let (rt, generation) = runtime::runtime()?;
        let (tx, rx) = mpsc::channel(1000);
        let root = store.root().to_string();
        rt.spawn(async move {
            let mut entries = store.list(&prefix, mode);
            while let Some(item) = entries.next().await {
                let failed = item.is_err();
                if tx.send(item).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok(ListIterator {
            root,
            feed: Mutex::new(Feed::new(rx, generation)),
        })
    }
}

#[pymethods]
impl ListIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<PyObjectMeta>> {
        let mut feed = busy_lock(&self.feed)?;
        match feed.next(py, 1000)? {
            None => Ok(None),
            Some(Ok(e)) => Ok(Some(PyObjectMeta::from_entry(&self.root, e))),
            Some(Err(e)) => Err(to_py(e)),
        }
    }
}

/// The iterator returned by `mlstor.get_iter(uris)`: `(uri, Buffer)` in the order given (or,
/// with `ordered=False`, as the reads complete), with up to `max_in_flight` reads running
/// ahead of the consumer.
#[pyclass(name = "GetIterator", module = "mlstor")]
pub struct GetIterator {
    feed: Mutex<Feed<(String, Result<Bytes, Error>)>>,
}

impl GetIterator {
    pub fn start(
        targets: Vec<(String, Target)>,
        max_in_flight: usize,
        ordered: bool,
    ) -> PyResult<GetIterator> {
        let n = crate::ops::check_in_flight(max_in_flight)?;
        let (rt, generation) = runtime::runtime()?;
        let (tx, rx) = mpsc::channel(n);
        rt.spawn(async move {
            let reads = futures::stream::iter(targets).map(|(uri, t)| {
                let read = spawn_get(t);
                async move { (uri, joined(read.await)) }
            });
            let mut reads: futures::stream::BoxStream<'static, _> = if ordered {
                reads.buffered(n).boxed()
            } else {
                reads.buffer_unordered(n).boxed()
            };
            while let Some(item) = reads.next().await {
                let failed = item.1.is_err();
                if tx.send(item).await.is_err() || failed {
                    break;
                }
            }
        });
        Ok(GetIterator {
            feed: Mutex::new(Feed::new(rx, generation)),
        })
    }
}

#[pymethods]
impl GetIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<(String, PyBuf)>> {
        let mut feed = busy_lock(&self.feed)?;
        match feed.next(py, 64)? {
            None => Ok(None),
            Some((uri, Ok(data))) => Ok(Some((uri, PyBuf::new(data)))),
            Some((_, Err(e))) => Err(to_py(e)),
        }
    }
}
