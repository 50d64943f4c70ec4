//! `mlstor.generate` and `mlstor.Generator`: the bytes of `mlstor-datagen` (the same as
//! `mlstor datagen` and `mlstor generate` write for the same parameters).

use std::sync::Mutex;

use bytes::Bytes;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use mlstor_datagen::{DataGen, Generator, Params};

use crate::buffer::{PyBuf, Writable};
use crate::errors::datagen_to_py;
use crate::runtime::busy_lock;

fn datagen(dedup: f64, compress: f64, seed: Option<u64>, block_size: Option<usize>) -> PyResult<DataGen> {
    let d = Params::default();
    DataGen::new(Params {
        dedup,
        compress,
        block_size: block_size.unwrap_or(d.block_size),
        seed: seed.unwrap_or(d.seed),
    })
    .map_err(datagen_to_py)
}

fn threads_or_all(threads: Option<usize>) -> usize {
    threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `size` bytes of object `object_id` with dedup factor `dedup` and compression factor
/// `compress` (both >= 1), as a Buffer. Deterministic for (seed, object_id, size, dedup,
/// compress, block_size); `threads` defaults to every CPU.
#[pyfunction]
#[pyo3(signature = (size, *, dedup = 1.0, compress = 1.0, seed = None, object_id = 0, threads = None, block_size = None))]
#[allow(clippy::too_many_arguments)]
pub fn generate(
    py: Python<'_>,
    size: usize,
    dedup: f64,
    compress: f64,
    seed: Option<u64>,
    object_id: u64,
    threads: Option<usize>,
    block_size: Option<usize>,
) -> PyResult<PyBuf> {
    let dg = datagen(dedup, compress, seed, block_size)?;
    let threads = threads_or_all(threads);
    let data = py
        .detach(|| dg.try_generate(object_id, size, threads))
        .map_err(datagen_to_py)?;
    Ok(PyBuf::new(Bytes::from(data)))
}

/// Streams one generated object of `size` bytes into caller buffers: `fill_chunk(buf)` fills
/// `buf` (any writable buffer) with the next bytes in place and returns how many (0 at the
/// end). The bytes equal `generate(size, ...)` with the same parameters.
#[pyclass(name = "Generator", module = "mlstor")]
pub struct PyGenerator {
    inner: Mutex<Generator>,
    chunk_size: usize,
}

#[pymethods]
impl PyGenerator {
    #[new]
    #[pyo3(signature = (size, *, dedup = 1.0, compress = 1.0, seed = None, object_id = 0, threads = None, chunk_size = 32 << 20, block_size = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        size: u64,
        dedup: f64,
        compress: f64,
        seed: Option<u64>,
        object_id: u64,
        threads: Option<usize>,
        chunk_size: usize,
        block_size: Option<usize>,
    ) -> PyResult<PyGenerator> {
        if chunk_size == 0 {
            return Err(PyValueError::new_err("chunk_size must be at least 1"));
        }
        let dg = datagen(dedup, compress, seed, block_size)?;
        let g = dg
            .generator(object_id, size)
            .with_threads(threads_or_all(threads));
        Ok(PyGenerator {
            inner: Mutex::new(g),
            chunk_size,
        })
    }

    /// Fills `buffer` with the next bytes; returns how many (0 once complete).
    fn fill_chunk(&self, py: Python<'_>, buffer: &Bound<'_, PyAny>) -> PyResult<usize> {
        let target = Writable::new(buffer)?;
        // SAFETY: `target` keeps the export alive until the detached call returns.
        let mut slice = unsafe { target.slice() };
        let mut g = busy_lock(&self.inner)?;
        let g = &mut *g;
        let n = py.detach(move || g.fill_chunk(slice.get()));
        drop(target);
        Ok(n)
    }

    /// The next chunk (`chunk_size` bytes at most) as a new Buffer; None at the end.
    fn next_chunk(&self, py: Python<'_>) -> PyResult<Option<PyBuf>> {
        let mut g = busy_lock(&self.inner)?;
        let left = (g.size() - g.position()).min(self.chunk_size as u64) as usize;
        if left == 0 {
            return Ok(None);
        }
        let g = &mut *g;
        let v = py.detach(move || {
            let mut v = vec![0u8; left];
            g.fill_chunk(&mut v);
            v
        });
        Ok(Some(PyBuf::new(Bytes::from(v))))
    }

    /// Continues from byte `pos` (clamped to the size).
    fn seek(&self, pos: u64) -> PyResult<()> {
        busy_lock(&self.inner)?.seek(pos);
        Ok(())
    }

    /// Starts over from byte 0.
    fn reset(&self) -> PyResult<()> {
        self.seek(0)
    }

    fn is_complete(&self) -> PyResult<bool> {
        Ok(busy_lock(&self.inner)?.is_complete())
    }

    #[getter]
    fn position(&self) -> PyResult<u64> {
        Ok(busy_lock(&self.inner)?.position())
    }

    #[getter]
    fn size(&self) -> PyResult<u64> {
        Ok(busy_lock(&self.inner)?.size())
    }

    #[getter]
    fn chunk_size(&self) -> usize {
        self.chunk_size
    }
}
