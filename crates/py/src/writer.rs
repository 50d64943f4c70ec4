//! The streaming (multipart) writer under `mlstor.Writer`: small writes are coalesced into
//! 1 MiB pieces before they reach the store's writer, which uploads parts of the store's part
//! size concurrently. Nothing is visible until `finish()`; `abort()`, an error, or dropping
//! the writer unfinished discards the upload.

use std::sync::Mutex;

use bytes::{Bytes, BytesMut};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use mlstor_store::{ObjectWriter, PutResult, Store, WriterOptions};

use crate::buffer::bytes_from_py;
use crate::errors::IntoPyResult;
use crate::runtime::busy_lock;
use crate::runtime::{self, Handle, block_on};
use crate::values::PyPutResult;

/// Writes at least this large go to the store's writer as they are (no copy).
const PASS_THROUGH: usize = 256 << 10;
/// Coalesced small writes are handed on in pieces of this size.
const PIECE: usize = 1 << 20;

enum State {
    Open {
        w: Box<dyn ObjectWriter>,
        pending: BytesMut,
        generation: u64,
        _handle: Handle,
    },
    Finished(PutResult),
    Discarded,
}

/// A streaming write to one object; see `mlstor.Writer` for the file-like front.
#[pyclass(name = "RawWriter", module = "mlstor._mlstor")]
pub struct RawWriter {
    uri: String,
    written: Mutex<u64>,
    state: Mutex<State>,
}

impl RawWriter {
    pub fn open(
        py: Python<'_>,
        store: std::sync::Arc<dyn Store>,
        key: String,
        opts: WriterOptions,
    ) -> PyResult<RawWriter> {
        let uri = mlstor_store::path::join(store.root(), &key);
        let generation = runtime::generation()?;
        let w = block_on(py, async move { store.writer(&key, opts).await })?.py_err()?;
        Ok(RawWriter {
            uri,
            written: Mutex::new(0),
            state: Mutex::new(State::Open {
                w,
                pending: BytesMut::new(),
                generation,
                _handle: Handle::new(),
            }),
        })
    }
}

fn closed(uri: &str, how: &str) -> PyErr {
    PyValueError::new_err(format!("I/O operation on a {how} writer ({uri})"))
}

#[pymethods]
impl RawWriter {
    /// Appends `data` (any bytes-like object); returns its length.
    fn write(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<usize> {
        let data = bytes_from_py(data)?;
        let n = data.len();
        let mut state = busy_lock(&self.state)?;
        let State::Open {
            w,
            pending,
            generation,
            ..
        } = &mut *state
        else {
            return Err(closed(&self.uri, "closed"));
        };
        check_generation(*generation, &self.uri)?;
        let send: Option<Bytes> = if n >= PASS_THROUGH && pending.is_empty() {
            Some(data)
        } else {
            pending.extend_from_slice(&data);
            (pending.len() >= PIECE).then(|| pending.split().freeze())
        };
        if let Some(piece) = send
            && let Err(e) = block_on(py, w.write(piece))?
        {
            *state = State::Discarded; // dropping the writer discards the upload
            return Err(crate::errors::to_py(e));
        }
        *self.written.lock().unwrap_or_else(|p| p.into_inner()) += n as u64;
        Ok(n)
    }

    /// Uploads what is left and makes the object visible.
    fn finish(&self, py: Python<'_>) -> PyResult<PyPutResult> {
        let mut state = busy_lock(&self.state)?;
        match std::mem::replace(&mut *state, State::Discarded) {
            State::Open {
                mut w,
                mut pending,
                generation,
                _handle,
            } => {
                check_generation(generation, &self.uri)?;
                let rest = pending.split().freeze();
                let r = block_on(py, async move {
                    if !rest.is_empty() {
                        w.write(rest).await?;
                    }
                    w.finish().await
                })?
                .py_err()?;
                *state = State::Finished(r.clone());
                Ok(PyPutResult::new(self.uri.clone(), r))
            }
            State::Finished(r) => {
                *state = State::Finished(r.clone());
                Ok(PyPutResult::new(self.uri.clone(), r))
            }
            State::Discarded => Err(closed(&self.uri, "discarded")),
        }
    }

    /// Discards everything written (idempotent).
    fn abort(&self, py: Python<'_>) -> PyResult<()> {
        let mut state = busy_lock(&self.state)?;
        match std::mem::replace(&mut *state, State::Discarded) {
            State::Open { w, generation, .. } if generation == runtime::generation()? => {
                block_on(py, w.abort())?.py_err()
            }
            State::Finished(r) => {
                *state = State::Finished(r);
                Err(PyValueError::new_err(format!(
                    "{} is already complete; it cannot be aborted",
                    self.uri
                )))
            }
            _ => Ok(()),
        }
    }

    /// Bytes accepted so far.
    #[getter]
    fn written(&self) -> u64 {
        *self.written.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[getter]
    fn uri(&self) -> &str {
        &self.uri
    }

    /// True once finished or discarded.
    #[getter]
    fn closed(&self) -> bool {
        self.state
            .try_lock()
            .map(|s| !matches!(*s, State::Open { .. }))
            .unwrap_or(false)
    }
}

fn check_generation(generation: u64, uri: &str) -> PyResult<()> {
    if generation != runtime::generation()? {
        return Err(PyValueError::new_err(format!(
            "the writer for {uri} was opened before a fork (or in another process); open a new one"
        )));
    }
    Ok(())
}

impl Drop for RawWriter {
    fn drop(&mut self) {
        let state = std::mem::replace(
            self.state.get_mut().unwrap_or_else(|p| p.into_inner()),
            State::Discarded,
        );
        if let State::Open { w, generation, .. } = state {
            // Drop inside the runtime so the backend can abort its upload in the background.
            match runtime::runtime() {
                Ok((rt, g)) if g == generation => {
                    let _enter = rt.enter();
                    drop(w);
                }
                _ => std::mem::forget(w), // its tasks belonged to another process's runtime
            }
        }
    }
}
