//! `mlstor.Store` (a store on a root URI with explicit options) and the per-process cache
//! behind the module-level functions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use mlstor_store::{
    EndpointCounter, ListMode, LoadBalance, Secret, Store, StoreOptions, WriterOptions, split_uri,
    store_for_uri,
};

use crate::buffer::{PyBuf, bytes_from_py};
use crate::errors::IntoPyResult;
use crate::stream::{GetIterator, ListIterator};
use crate::values::{PyObjectMeta, PyPutResult};
use crate::writer::RawWriter;
use crate::{ops, runtime};

/// A store rebuilt whenever the runtime is (after a fork, or a shutdown before one).
struct Cached {
    generation: u64,
    pid: u32,
    store: Arc<dyn Store>,
}

/// Builds a store with the runtime entered (clients may look for it).
fn build(uri: &str, opts: &StoreOptions) -> PyResult<(u64, Arc<dyn Store>)> {
    let (rt, generation) = runtime::runtime()?;
    let _enter = rt.enter();
    Ok((generation, store_for_uri(uri, opts).py_err()?))
}

/// The module-level functions' stores, one per root, for one runtime generation.
struct DefaultStores {
    generation: u64,
    pid: u32,
    by_root: HashMap<String, Arc<dyn Store>>,
}

/// Lets go of stores built on an older runtime: dropped in the process that built them,
/// forgotten in a forked child (their connection pools' locks may be held by threads the
/// child does not have).
fn retire<T>(stores: T, pid: u32) {
    if pid == std::process::id() {
        drop(stores);
    } else {
        std::mem::forget(stores);
    }
}

/// Stores of the module-level functions, with options from the environment.
static DEFAULT_STORES: Mutex<Option<DefaultStores>> = Mutex::new(None);

/// The default store for `uri`'s root, and the key under it.
pub fn resolve(uri: &str) -> PyResult<(Arc<dyn Store>, String)> {
    let (root, key) = split_uri(uri).py_err()?;
    let generation = runtime::generation()?;
    let mut cache = DEFAULT_STORES.lock().unwrap_or_else(|p| p.into_inner());
    let stores = match cache.take() {
        Some(c) if c.generation == generation => cache.insert(c),
        old => {
            if let Some(old) = old {
                let pid = old.pid;
                retire(old, pid);
            }
            cache.insert(DefaultStores {
                generation,
                pid: std::process::id(),
                by_root: HashMap::new(),
            })
        }
    };
    if let Some(s) = stores.by_root.get(&root) {
        return Ok((s.clone(), key));
    }
    let (_, store) = build(&root, &StoreOptions::default().with_env())?;
    stores.by_root.insert(root, store.clone());
    Ok((store, key))
}

/// Forgets the cached default stores (e.g. after changing credentials in `os.environ`).
#[pyfunction]
pub fn clear_store_cache() {
    if let Some(old) = DEFAULT_STORES.lock().unwrap_or_else(|p| p.into_inner()).take() {
        let pid = old.pid;
        retire(old, pid);
    }
}

/// A store rooted at a URI (`s3://bucket/prefix`, `file:///data`, `memory://ns`, ...), with
/// explicit options; unset options come from the environment unless `env=False`. Its methods
/// take keys relative to the root.
#[pyclass(name = "Store", module = "mlstor", frozen, subclass)]
pub struct PyStore {
    uri: String,
    opts: StoreOptions,
    /// Requests per endpoint of a multi-endpoint store (its records go here).
    counts: Option<Arc<EndpointCounter>>,
    kwargs: Py<PyDict>,
    cached: Mutex<Option<Cached>>,
}

impl Drop for PyStore {
    fn drop(&mut self) {
        if let Some(old) = self.cached.get_mut().unwrap_or_else(|p| p.into_inner()).take() {
            let pid = old.pid;
            retire(old, pid);
        }
    }
}

impl PyStore {
    pub fn store(&self) -> PyResult<Arc<dyn Store>> {
        let generation = runtime::generation()?;
        let mut c = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = c.as_ref().filter(|c| c.generation == generation) {
            return Ok(c.store.clone());
        }
        let (generation, store) = build(&self.uri, &self.opts)?;
        let old = c.replace(Cached {
            generation,
            pid: std::process::id(),
            store: store.clone(),
        });
        if let Some(old) = old {
            let pid = old.pid;
            retire(old, pid);
        }
        Ok(store)
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }
}

fn seconds(name: &str, v: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(v).map_err(|_| {
        PyValueError::new_err(format!(
            "{name} must be a non-negative number of seconds, got {v}"
        ))
    })
}

/// StoreOptions from the keyword arguments of `Store(...)`; unknown names are errors.
fn options(kwargs: &Bound<'_, PyDict>) -> PyResult<StoreOptions> {
    let mut o = StoreOptions::default();
    let mut env = true;
    for (k, v) in kwargs.iter() {
        let name: String = k.extract()?;
        if v.is_none() {
            continue;
        }
        let s = || v.extract::<String>();
        match name.as_str() {
            "endpoint" => o.endpoint = Some(s()?),
            "endpoints" => o.endpoints = v.extract()?,
            "region" => o.region = Some(s()?),
            "access_key_id" => o.access_key_id = Some(s()?),
            "secret_access_key" => o.secret_access_key = Some(Secret::new(s()?)),
            "session_token" => o.session_token = Some(Secret::new(s()?)),
            "anonymous" => o.anonymous = v.extract()?,
            "virtual_hosted_style" => o.virtual_hosted_style = v.extract()?,
            "allow_http" => o.allow_http = Some(v.extract()?),
            "unsigned_payload" => o.unsigned_payload = v.extract()?,
            "azure_account" => o.azure_account = Some(s()?),
            "azure_key" => o.azure_key = Some(Secret::new(s()?)),
            "azure_connection_string" => o.azure_connection_string = Some(Secret::new(s()?)),
            "azure_endpoint" => o.azure_endpoint = Some(s()?),
            "gcs_emulator_host" => o.gcs_emulator_host = Some(s()?),
            "gcs_credentials_path" => o.gcs_credentials_path = Some(s()?),
            "load_balance" => o.load_balance = s()?.parse::<LoadBalance>().map_err(PyValueError::new_err)?,
            "pin_to_rank" => o.pin_to_rank = v.extract()?,
            "rank" => o.rank = Some(v.extract()?),
            "part_size" => o.part_size = v.extract()?,
            "part_concurrency" => o.part_concurrency = v.extract::<usize>()?.max(1),
            "max_attempts" => o.retry.max_attempts = v.extract::<u32>()?.max(1),
            "initial_backoff" => o.retry.initial_backoff = seconds(&name, v.extract()?)?,
            "max_backoff" => o.retry.max_backoff = seconds(&name, v.extract()?)?,
            "connect_timeout" => o.connect_timeout = seconds(&name, v.extract()?)?,
            "idle_timeout" => o.idle_timeout = seconds(&name, v.extract()?)?,
            "env" => env = v.extract()?,
            other => {
                return Err(PyValueError::new_err(format!(
                    "Store() got an unknown option {other:?}; see help(mlstor.Store) for the options"
                )));
            }
        }
    }
    Ok(if env { o.with_env() } else { o })
}

#[pymethods]
impl PyStore {
    #[new]
    #[pyo3(signature = (uri, **kwargs))]
    fn new(py: Python<'_>, uri: String, kwargs: Option<Bound<'_, PyDict>>) -> PyResult<PyStore> {
        let kwargs = kwargs.unwrap_or_else(|| PyDict::new(py));
        let mut opts = options(&kwargs)?;
        let counts = (!opts.endpoints.is_empty()).then(|| Arc::new(EndpointCounter::default()));
        if let Some(c) = &counts {
            opts.sink = Some(c.clone());
        }
        let store = PyStore {
            uri,
            opts,
            counts,
            kwargs: kwargs.unbind(),
            cached: Mutex::new(None),
        };
        store.store()?; // bad URIs and options fail here, not at the first call
        Ok(store)
    }

    /// The root URI.
    #[getter(uri)]
    fn get_uri(&self) -> &str {
        &self.uri
    }

    fn __repr__(&self) -> String {
        format!("mlstor.Store({:?})", self.uri)
    }

    /// The whole object `key` as a read-only Buffer (zero copy).
    fn get(&self, py: Python<'_>, key: String) -> PyResult<PyBuf> {
        ops::get(py, self.store()?, key)
    }

    /// `length` bytes of `key` from `offset` (fewer at the end of the object).
    fn get_range(&self, py: Python<'_>, key: String, offset: u64, length: u64) -> PyResult<PyBuf> {
        ops::get_range(py, self.store()?, key, offset, length)
    }

    /// Fills `buffer` (any writable buffer) from `offset` of `key`; returns the bytes read.
    /// The rest of the object must fit (else `InvalidInputError` naming both sizes) unless
    /// `length` asks for a range (at most `length` bytes, fewer at the end of the object).
    #[pyo3(signature = (key, buffer, offset = 0, length = None))]
    fn get_into(
        &self,
        py: Python<'_>,
        key: String,
        buffer: &Bound<'_, PyAny>,
        offset: u64,
        length: Option<usize>,
    ) -> PyResult<usize> {
        ops::get_into(py, self.store()?, key, buffer, offset, length)
    }

    /// Writes `data` (bytes-like) as the object `key` in one request.
    fn put(&self, py: Python<'_>, key: String, data: &Bound<'_, PyAny>) -> PyResult<PyPutResult> {
        ops::put(py, self.store()?, key, bytes_from_py(data)?)
    }

    /// The object's metadata (NotFoundError if it does not exist).
    fn stat(&self, py: Python<'_>, key: String) -> PyResult<PyObjectMeta> {
        ops::stat(py, self.store()?, key)
    }

    fn exists(&self, py: Python<'_>, key: String) -> PyResult<bool> {
        ops::exists(py, self.store()?, key)
    }

    /// Deletes `key`; deleting a missing object succeeds.
    fn delete(&self, py: Python<'_>, key: String) -> PyResult<()> {
        ops::delete(py, self.store()?, key)
    }

    /// Lists keys under `prefix` lazily: every object (`recursive=True`), or the objects and
    /// common prefixes directly under it (`recursive=False` or `delimiter="/"`).
    #[pyo3(signature = (prefix = String::new(), recursive = true, delimiter = None))]
    fn list(&self, prefix: String, recursive: bool, delimiter: Option<String>) -> PyResult<ListIterator> {
        ListIterator::start(self.store()?, prefix, list_mode(recursive, delimiter.as_deref())?)
    }

    /// Reads every key, `max_in_flight` at a time; Buffers in the order of `keys`.
    #[pyo3(signature = (keys, max_in_flight = 64))]
    fn get_many(&self, py: Python<'_>, keys: Vec<String>, max_in_flight: usize) -> PyResult<Vec<PyBuf>> {
        let s = self.store()?;
        ops::get_many(
            py,
            keys.into_iter().map(|k| ops::Target::new(s.clone(), k)).collect(),
            max_in_flight,
        )
    }

    /// Like `get_many`, as an iterator of `(key, Buffer)` that reads ahead while you consume;
    /// in the order of `keys`, or as the reads complete with `ordered=False`.
    #[pyo3(signature = (keys, max_in_flight = 64, ordered = true))]
    fn get_iter(&self, keys: Vec<String>, max_in_flight: usize, ordered: bool) -> PyResult<GetIterator> {
        let s = self.store()?;
        GetIterator::start(
            keys.into_iter()
                .map(|k| (k.clone(), ops::Target::new(s.clone(), k)))
                .collect(),
            max_in_flight,
            ordered,
        )
    }

    /// Writes every `(key, data)` pair, `max_in_flight` at a time.
    #[pyo3(signature = (items, max_in_flight = 64))]
    fn put_many(
        &self,
        py: Python<'_>,
        items: &Bound<'_, PyAny>,
        max_in_flight: usize,
    ) -> PyResult<Vec<PyPutResult>> {
        let s = self.store()?;
        let mut all = Vec::new();
        for item in items.try_iter()? {
            let (key, data): (String, Bound<'_, PyAny>) = item?.extract()?;
            all.push((ops::Target::new(s.clone(), key), bytes_from_py(&data)?));
        }
        ops::put_many(py, all, max_in_flight)
    }

    /// A streaming (multipart) writer for `key`; see `mlstor.Writer` for the file-like front.
    #[pyo3(signature = (key, part_size = None, concurrency = None))]
    fn raw_writer(
        &self,
        py: Python<'_>,
        key: String,
        part_size: Option<usize>,
        concurrency: Option<usize>,
    ) -> PyResult<RawWriter> {
        RawWriter::open(py, self.store()?, key, writer_options(part_size, concurrency))
    }

    /// Requests, bytes and errors per endpoint of a multi-endpoint store (else empty).
    fn endpoint_stats<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.counts
            .as_ref()
            .map(|c| c.snapshot())
            .unwrap_or_default()
            .into_iter()
            .map(|e| {
                let d = PyDict::new(py);
                d.set_item("endpoint", e.endpoint)?;
                d.set_item("requests", e.requests)?;
                d.set_item("bytes", e.bytes)?;
                d.set_item("errors", e.errors)?;
                Ok(d)
            })
            .collect()
    }

    /// The keyword arguments the store was made with (for pickling: a worker process
    /// rebuilds its own client from them).
    fn _options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.kwargs.bind(py).copy()
    }
}

/// The listing mode for `recursive` / `delimiter` (only "/" is a supported delimiter).
pub fn list_mode(recursive: bool, delimiter: Option<&str>) -> PyResult<ListMode> {
    match delimiter {
        None | Some("") => Ok(if recursive {
            ListMode::Recursive
        } else {
            ListMode::Delimited
        }),
        Some("/") => Ok(ListMode::Delimited),
        Some(d) => Err(PyValueError::new_err(format!(
            "delimiter {d:?} is not supported; only \"/\" (or recursive=False) is"
        ))),
    }
}

pub fn writer_options(part_size: Option<usize>, concurrency: Option<usize>) -> WriterOptions {
    WriterOptions {
        part_size: part_size.unwrap_or(0),
        concurrency: concurrency.unwrap_or(0),
        ..WriterOptions::default()
    }
}
