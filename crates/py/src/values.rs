//! The value classes `ObjectMeta` and `PutResult` that every other module returns.

use pyo3::prelude::*;

use mlstor_store::{ListEntry, ObjectMeta, PutResult};

/// An optional string as Python would show it.
fn py_opt(s: &Option<String>) -> String {
    s.as_ref().map_or_else(|| "None".into(), |v| format!("{v:?}"))
}

/// Metadata of an object, or a common prefix ("directory") of a delimited listing.
#[pyclass(name = "ObjectMeta", module = "mlstor", frozen, get_all)]
pub struct PyObjectMeta {
    /// The full URI of the object (or prefix).
    pub uri: String,
    /// The key relative to the store's root (the bucket for module-level calls).
    pub key: String,
    pub size: u64,
    /// Seconds since the epoch, where the backend reports it.
    pub last_modified: Option<f64>,
    pub etag: Option<String>,
    /// True for a common prefix of a delimited listing (size 0, no etag).
    pub is_prefix: bool,
}

#[pymethods]
impl PyObjectMeta {
    fn __repr__(&self) -> String {
        if self.is_prefix {
            format!("ObjectMeta(uri={:?}, is_prefix=True)", self.uri)
        } else {
            format!(
                "ObjectMeta(uri={:?}, size={}, etag={})",
                self.uri,
                self.size,
                py_opt(&self.etag)
            )
        }
    }
}

impl PyObjectMeta {
    pub fn from_meta(root: &str, m: ObjectMeta) -> PyObjectMeta {
        PyObjectMeta {
            uri: mlstor_store::path::join(root, &m.key),
            key: m.key,
            size: m.size,
            last_modified: m.last_modified.map(|t| t.timestamp_micros() as f64 / 1e6),
            etag: m.etag,
            is_prefix: false,
        }
    }

    pub fn from_entry(root: &str, e: ListEntry) -> PyObjectMeta {
        match e {
            ListEntry::Object(m) => PyObjectMeta::from_meta(root, m),
            ListEntry::Prefix(p) => PyObjectMeta {
                uri: mlstor_store::path::join(root, &p),
                key: p,
                size: 0,
                last_modified: None,
                etag: None,
                is_prefix: true,
            },
        }
    }
}

/// The result of a completed write.
#[pyclass(name = "PutResult", module = "mlstor", frozen, get_all)]
pub struct PyPutResult {
    pub uri: String,
    pub size: u64,
    pub etag: Option<String>,
}

#[pymethods]
impl PyPutResult {
    fn __repr__(&self) -> String {
        format!(
            "PutResult(uri={:?}, size={}, etag={})",
            self.uri,
            self.size,
            py_opt(&self.etag)
        )
    }
}

impl PyPutResult {
    pub fn new(uri: String, r: PutResult) -> PyPutResult {
        PyPutResult {
            uri,
            size: r.size,
            etag: r.etag,
        }
    }
}
