//! `mlstor._mlstor`: the native module of the `mlstor` Python package, a thin PyO3 front over
//! `mlstor-store` and `mlstor-datagen`.
//!
//! - Module-level functions take full URIs (`mlstor.get("s3://bucket/key")`) and use one
//!   store per root built from the environment (`store::resolve`); `store::PyStore`
//!   (`mlstor.Store`) takes explicit options and keys relative to its root.
//! - Reads return `buffer::PyBuf` (`mlstor.Buffer`), sharing memory with Rust.
//! - Every call releases the GIL for its I/O on a per-process tokio runtime (`runtime`),
//!   which makes the module safe to use across `fork()`.
//! - Errors become the exceptions of `mlstor.exceptions` (`errors`).
//!
//! The Python package around it (`python/mlstor/`) adds the file-like `Reader` and `Writer`,
//! the PyTorch datasets (`mlstor.torch`) and the s3torchconnector drop-in
//! (`mlstor.compat.s3torchconnector`).

mod buffer;
mod datagen;
mod errors;
mod ops;
mod runtime;
mod store;
mod stream;
mod values;
mod writer;

use pyo3::prelude::*;

use buffer::{PyBuf, bytes_from_py};
use store::{list_mode, resolve, writer_options};
use stream::{GetIterator, ListIterator};
use values::{PyObjectMeta, PyPutResult};
use writer::RawWriter;

/// The whole object at `uri` as a read-only Buffer (zero copy).
#[pyfunction]
fn get(py: Python<'_>, uri: &str) -> PyResult<PyBuf> {
    let (s, key) = resolve(uri)?;
    ops::get(py, s, key)
}

/// `length` bytes of the object at `uri` from `offset` (fewer at the end of the object).
#[pyfunction]
fn get_range(py: Python<'_>, uri: &str, offset: u64, length: u64) -> PyResult<PyBuf> {
    let (s, key) = resolve(uri)?;
    ops::get_range(py, s, key, offset, length)
}

/// Fills `buffer` (bytearray, numpy array, memoryview, CPU torch tensor) in place from
/// `offset` of the object at `uri`; returns the bytes read. The rest of the object must fit
/// (a smaller buffer raises `InvalidInputError` naming both sizes) unless `length` asks for a
/// range: then at most `length` bytes are read, fewer at the end of the object.
#[pyfunction]
#[pyo3(signature = (uri, buffer, offset = 0, length = None))]
fn get_into(
    py: Python<'_>,
    uri: &str,
    buffer: &Bound<'_, PyAny>,
    offset: u64,
    length: Option<usize>,
) -> PyResult<usize> {
    let (s, key) = resolve(uri)?;
    ops::get_into(py, s, key, buffer, offset, length)
}

/// Writes `data` (bytes-like) to `uri` in one request.
#[pyfunction]
fn put(py: Python<'_>, uri: &str, data: &Bound<'_, PyAny>) -> PyResult<PyPutResult> {
    let (s, key) = resolve(uri)?;
    ops::put(py, s, key, bytes_from_py(data)?)
}

/// Metadata of the object at `uri` (NotFoundError if missing).
#[pyfunction]
fn stat(py: Python<'_>, uri: &str) -> PyResult<PyObjectMeta> {
    let (s, key) = resolve(uri)?;
    ops::stat(py, s, key)
}

/// Whether an object exists at `uri`.
#[pyfunction]
fn exists(py: Python<'_>, uri: &str) -> PyResult<bool> {
    let (s, key) = resolve(uri)?;
    ops::exists(py, s, key)
}

/// Deletes the object at `uri`; deleting a missing object succeeds.
#[pyfunction]
fn delete(py: Python<'_>, uri: &str) -> PyResult<()> {
    let (s, key) = resolve(uri)?;
    ops::delete(py, s, key)
}

/// Lists the objects under the prefix `uri` lazily (`ObjectMeta` items): all of them
/// (`recursive=True`), or those directly under it plus common prefixes (`recursive=False`
/// or `delimiter="/"`).
#[pyfunction]
#[pyo3(signature = (uri, recursive = true, delimiter = None))]
fn list(uri: &str, recursive: bool, delimiter: Option<String>) -> PyResult<ListIterator> {
    let (s, key) = resolve(uri)?;
    ListIterator::start(s, key, list_mode(recursive, delimiter.as_deref())?)
}

fn targets(uris: Vec<String>) -> PyResult<Vec<(String, ops::Target)>> {
    uris.into_iter()
        .map(|u| {
            let (s, key) = resolve(&u)?;
            Ok((u, ops::Target::new(s, key)))
        })
        .collect()
}

/// Reads every URI, `max_in_flight` at a time; Buffers in the order of `uris`.
#[pyfunction]
#[pyo3(signature = (uris, max_in_flight = 64))]
fn get_many(py: Python<'_>, uris: Vec<String>, max_in_flight: usize) -> PyResult<Vec<PyBuf>> {
    let t = targets(uris)?.into_iter().map(|(_, t)| t).collect();
    ops::get_many(py, t, max_in_flight)
}

/// An iterator of `(uri, Buffer)` in the order of `uris` (or as the reads complete with
/// `ordered=False`), reading up to `max_in_flight` objects ahead of the consumer.
#[pyfunction]
#[pyo3(signature = (uris, max_in_flight = 64, ordered = true))]
fn get_iter(uris: Vec<String>, max_in_flight: usize, ordered: bool) -> PyResult<GetIterator> {
    GetIterator::start(targets(uris)?, max_in_flight, ordered)
}

/// Writes every `(uri, data)` pair, `max_in_flight` at a time.
#[pyfunction]
#[pyo3(signature = (items, max_in_flight = 64))]
fn put_many(py: Python<'_>, items: &Bound<'_, PyAny>, max_in_flight: usize) -> PyResult<Vec<PyPutResult>> {
    let mut all = Vec::new();
    for item in items.try_iter()? {
        let (uri, data): (String, Bound<'_, PyAny>) = item?.extract()?;
        let (s, key) = resolve(&uri)?;
        all.push((ops::Target::new(s, key), bytes_from_py(&data)?));
    }
    ops::put_many(py, all, max_in_flight)
}

/// A streaming (multipart) writer for `uri` (the native half of `mlstor.Writer`).
#[pyfunction]
#[pyo3(signature = (uri, part_size = None, concurrency = None))]
fn raw_writer(
    py: Python<'_>,
    uri: &str,
    part_size: Option<usize>,
    concurrency: Option<usize>,
) -> PyResult<RawWriter> {
    let (s, key) = resolve(uri)?;
    RawWriter::open(py, s, key, writer_options(part_size, concurrency))
}

#[pymodule]
fn _mlstor(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBuf>()?;
    m.add_class::<store::PyStore>()?;
    m.add_class::<PyObjectMeta>()?;
    m.add_class::<PyPutResult>()?;
    m.add_class::<ListIterator>()?;
    m.add_class::<GetIterator>()?;
    m.add_class::<RawWriter>()?;
    m.add_class::<datagen::PyGenerator>()?;
    m.add_function(wrap_pyfunction!(get, m)?)?;
    m.add_function(wrap_pyfunction!(get_range, m)?)?;
    m.add_function(wrap_pyfunction!(get_into, m)?)?;
    m.add_function(wrap_pyfunction!(put, m)?)?;
    m.add_function(wrap_pyfunction!(stat, m)?)?;
    m.add_function(wrap_pyfunction!(exists, m)?)?;
    m.add_function(wrap_pyfunction!(delete, m)?)?;
    m.add_function(wrap_pyfunction!(list, m)?)?;
    m.add_function(wrap_pyfunction!(get_many, m)?)?;
    m.add_function(wrap_pyfunction!(get_iter, m)?)?;
    m.add_function(wrap_pyfunction!(put_many, m)?)?;
    m.add_function(wrap_pyfunction!(raw_writer, m)?)?;
    m.add_function(wrap_pyfunction!(datagen::generate, m)?)?;
    m.add_function(wrap_pyfunction!(store::clear_store_cache, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::_before_fork, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::_after_fork_parent, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::_after_fork_child, m)?)?;
    Ok(())
}
