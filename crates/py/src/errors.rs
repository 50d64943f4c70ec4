//! `mlstor_store::Error` -> the Python exceptions of `mlstor.exceptions`.
//!
//! The classes are defined in Python (`python/mlstor/exceptions.py`) so that they can also
//! derive from the matching built-ins (`NotFoundError` is a `FileNotFoundError`, ...). The
//! message is the error followed by its whole cause chain (`outer: cause: cause`); the
//! exception also carries `.uri` and `.causes`.

use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyModule, PyTuple};

use mlstor_store::Error;

static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The exception class of a store error.
fn class_name(e: &Error) -> &'static str {
    match e {
        Error::NotFound { .. } => "NotFoundError",
        Error::PermissionDenied { .. } => "PermissionError",
        Error::InvalidUri { .. } => "InvalidUriError",
        Error::InvalidInput { .. } => "InvalidInputError",
        Error::RangeOutOfBounds { .. } => "RangeError",
        Error::NotSupported { .. } => "NotSupportedError",
        Error::Transient { .. } => "TransientError",
        _ => "StorageError",
    }
}

/// The cause chain below `e`, outermost first.
fn causes(e: &dyn std::error::Error) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = e.source();
    // Bounded: a cyclic chain would be a bug elsewhere, not a reason to hang.
    while let Some(c) = cur {
        if out.len() >= 32 {
            break;
        }
        let text = c.to_string();
        if out.last() != Some(&text) {
            out.push(text);
        }
        cur = c.source();
    }
    out
}

/// Converts a store error into the matching Python exception.
pub fn to_py(e: Error) -> PyErr {
    Python::attach(|py| match build(py, &e) {
        Ok(err) => err,
        Err(import_failure) => import_failure,
    })
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let module = EXCEPTIONS.get_or_try_init(py, || {
        PyModule::import(py, "mlstor.exceptions").map(Bound::unbind)
    })?;
    let cls = module.bind(py).getattr(class_name(e))?;
    let chain = causes(e);
    let mut message = e.to_string();
    for c in &chain {
        message.push_str(": ");
        message.push_str(c);
    }
    let args = PyTuple::new(
        py,
        [
            message.into_pyobject(py)?.into_any(),
            e.uri().into_pyobject(py)?.into_any(),
        ],
    )?;
    let exc = cls.call1(args)?;
    exc.setattr("causes", PyTuple::new(py, chain)?)?;
    Ok(PyErr::from_value(exc))
}

/// `Result` of a store call, as a Python result.
pub trait IntoPyResult<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

/// Data generation errors: bad parameters are ValueErrors; a refused allocation a MemoryError.
pub fn datagen_to_py(e: mlstor_datagen::Error) -> PyErr {
    match e {
        mlstor_datagen::Error::OutOfMemory { .. } => PyMemoryError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}
