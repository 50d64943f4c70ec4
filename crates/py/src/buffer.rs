//! Bytes across the boundary, without copies where the types allow it.
//!
//! - [`PyBuf`] (`mlstor.Buffer`): what reads return. A read-only buffer-protocol exporter over
//!   a Rust `bytes::Bytes`: `memoryview(b)`, `np.frombuffer(b)`, `torch.frombuffer(b)` share
//!   its memory, which lives as long as any of them does; `bytes(b)` copies.
//! - [`bytes_from_py`]: what writes take. `Buffer` and `bytes` are shared (both are
//!   immutable); any other buffer (bytearray, memoryview, numpy) is copied once, because the
//!   caller may change it after the call while a store (e.g. `memory://`) still holds it.
//! - [`Writable`]: a caller's writable, C-contiguous buffer (bytearray, numpy array,
//!   memoryview, a CPU torch tensor through `.numpy()`) that reads fill in place.

use std::ffi::{c_int, c_void};

use bytes::Bytes;
use pyo3::buffer::PyUntypedBuffer;
use pyo3::exceptions::{PyBufferError, PyIndexError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PySlice};

/// Read-only bytes shared with Rust (zero copy). Supports the buffer protocol, `len()`,
/// indexing and slicing (slices share memory too), `==` with any bytes-like object, and
/// `bytes(x)` for an explicit copy.
#[pyclass(name = "Buffer", module = "mlstor", frozen)]
pub struct PyBuf {
    pub data: Bytes,
}

impl PyBuf {
    pub fn new(data: Bytes) -> PyBuf {
        PyBuf { data }
    }
}

#[pymethods]
impl PyBuf {
    /// # Safety
    /// Called by CPython with a valid `view`; the view keeps `slf` (and so the bytes) alive.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut pyo3::ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        let data = &slf.get().data;
        // SAFETY: `view` comes from CPython; the pointer and length describe memory owned by
        // `slf`, which PyBuffer_FillInfo increfs into `view.obj`; readonly = 1, so a writable
        // request is refused with BufferError.
        let rc = unsafe {
            pyo3::ffi::PyBuffer_FillInfo(
                view,
                slf.as_ptr(),
                data.as_ptr() as *mut c_void,
                data.len() as isize,
                1,
                flags,
            )
        };
        if rc == -1 {
            return Err(
                PyErr::take(slf.py()).unwrap_or_else(|| PyBufferError::new_err("cannot export the buffer"))
            );
        }
        Ok(())
    }

    unsafe fn __releasebuffer__(&self, _view: *mut pyo3::ffi::Py_buffer) {}

    fn __len__(&self) -> usize {
        self.data.len()
    }

    /// A copy as `bytes`.
    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.data)
    }

    /// A copy as `bytes` (same as `bytes(buffer)`).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.data)
    }

    /// A read-only `memoryview` over the same memory.
    fn memoryview<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        pyo3::types::PyMemoryView::from(slf.as_any()).map(Bound::into_any)
    }

    /// `x[i]` is an int; `x[a:b]` a Buffer sharing memory (steps other than 1 copy into bytes).
    fn __getitem__<'py>(&self, py: Python<'py>, index: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        if let Ok(slice) = index.cast::<PySlice>() {
            let ind = slice.indices(self.data.len() as isize)?;
            if ind.step == 1 {
                let (a, b) = (ind.start as usize, (ind.stop.max(ind.start)) as usize);
                return Ok(Bound::new(py, PyBuf::new(self.data.slice(a..b)))?.into_any());
            }
            let picked: Vec<u8> = (0..ind.slicelength)
                .map(|i| self.data[(ind.start + i as isize * ind.step) as usize])
                .collect();
            return Ok(PyBytes::new(py, &picked).into_any());
        }
        let i: isize = index.extract()?;
        let n = self.data.len() as isize;
        let j = if i < 0 { i + n } else { i };
        if !(0..n).contains(&j) {
            return Err(PyIndexError::new_err("Buffer index out of range"));
        }
        Ok(self.data[j as usize].into_pyobject(py)?.into_any())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        with_bytes(other, |b| b == &self.data[..]).unwrap_or(false)
    }

    fn __repr__(&self) -> String {
        let head: String = self.data.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let more = if self.data.len() > 16 { "..." } else { "" };
        format!("mlstor.Buffer(len={}, {head}{more})", self.data.len())
    }

    /// The address of the first byte (what `np.frombuffer(x).ctypes.data` shows): for
    /// checking that views share memory.
    #[getter]
    fn address(&self) -> usize {
        self.data.as_ptr() as usize
    }
}

/// Runs `f` over the bytes of any bytes-like object (no copy).
fn with_bytes<T>(obj: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> T) -> PyResult<T> {
    if let Ok(b) = obj.cast::<PyBuf>() {
        return Ok(f(&b.get().data));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(f(b.as_bytes()));
    }
    let view = contiguous(obj)?;
    // SAFETY: the export is C-contiguous and alive for this scope; we hold the GIL, so no
    // Python code can change or free it meanwhile.
    let s = unsafe { std::slice::from_raw_parts(view.buf_ptr() as *const u8, view.len_bytes()) };
    Ok(f(s))
}

fn contiguous(obj: &Bound<'_, PyAny>) -> PyResult<PyUntypedBuffer> {
    let view = PyUntypedBuffer::get(obj).map_err(|_| {
        PyTypeError::new_err(format!(
            "expected a bytes-like object (bytes, bytearray, memoryview, numpy array, mlstor.Buffer), got {}",
            type_name(obj)
        ))
    })?;
    if !view.is_c_contiguous() {
        return Err(PyBufferError::new_err("the buffer is not C-contiguous"));
    }
    Ok(view)
}

pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// A Python `bytes` object as the owner of a `Bytes` (immutable, so sharing it is safe).
struct SharedPyBytes {
    obj: std::mem::ManuallyDrop<Py<PyBytes>>,
    ptr: *const u8,
    len: usize,
}

impl Drop for SharedPyBytes {
    fn drop(&mut self) {
        // Often on an I/O thread without the GIL: PyO3 queues the release under its lock,
        // which must not be held at a fork (see runtime::py_drop_guard).
        let _guard = crate::runtime::py_drop_guard();
        // SAFETY: dropped once, here; the field is not used after.
        unsafe { std::mem::ManuallyDrop::drop(&mut self.obj) };
    }
}

// SAFETY: the bytes object is immutable and kept alive by `obj`; reading its memory needs
// no GIL. Dropping `Py<PyBytes>` without the GIL defers the decref to PyO3's pool.
unsafe impl Send for SharedPyBytes {}
// SAFETY: as above: shared reads of immutable memory.
unsafe impl Sync for SharedPyBytes {}

impl AsRef<[u8]> for SharedPyBytes {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: ptr/len describe the live, immutable contents of `obj`.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// The bytes to write from `data` (see the module docs for when this copies).
pub fn bytes_from_py(data: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = data.cast::<PyBuf>() {
        return Ok(b.get().data.clone());
    }
    if let Ok(b) = data.cast::<PyBytes>() {
        let s = b.as_bytes();
        if s.len() < 4096 {
            return Ok(Bytes::copy_from_slice(s));
        }
        let (ptr, len) = (s.as_ptr(), s.len());
        return Ok(Bytes::from_owner(SharedPyBytes {
            obj: std::mem::ManuallyDrop::new(b.clone().unbind()),
            ptr,
            len,
        }));
    }
    if data.is_instance_of::<pyo3::types::PyString>() {
        return Err(PyTypeError::new_err(
            "expected a bytes-like object, got str (encode it first, e.g. text.encode())",
        ));
    }
    with_bytes(data, Bytes::copy_from_slice)
}

/// A caller's writable buffer, exported for the duration of a read.
pub struct Writable {
    view: PyUntypedBuffer,
}

impl Writable {
    pub fn new(obj: &Bound<'_, PyAny>) -> PyResult<Writable> {
        let view = match PyUntypedBuffer::get(obj) {
            Ok(v) => v,
            // torch tensors have no buffer protocol; a CPU tensor's .numpy() shares its memory.
            Err(_) if obj.hasattr("numpy")? && obj.hasattr("data_ptr")? => {
                PyUntypedBuffer::get(&obj.call_method0("numpy")?)?
            }
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "expected a writable buffer (bytearray, numpy array, memoryview, CPU torch tensor), got {}",
                    type_name(obj)
                )));
            }
        };
        if view.readonly() {
            return Err(PyBufferError::new_err(format!(
                "the {} buffer is read-only; pass a writable one (e.g. bytearray or a numpy array)",
                type_name(obj)
            )));
        }
        if !view.is_c_contiguous() {
            return Err(PyBufferError::new_err("the buffer is not C-contiguous"));
        }
        Ok(Writable { view })
    }

    /// The memory as a slice that may be used with the GIL released.
    ///
    /// # Safety
    /// The caller must not let Python code resize or free the exporter while the slice is in
    /// use; an active export already prevents resizing bytearrays and numpy arrays.
    pub unsafe fn slice(&self) -> SendSlice {
        SendSlice {
            ptr: self.view.buf_ptr() as *mut u8,
            len: self.view.len_bytes(),
        }
    }
}

/// A raw mutable slice that can cross into the detached (GIL-free) closure.
pub struct SendSlice {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the memory is owned by an exported Python buffer that outlives the detached call.
unsafe impl Send for SendSlice {}

impl SendSlice {
    pub fn get(&mut self) -> &mut [u8] {
        if self.len == 0 {
            return &mut [];
        }
        // SAFETY: ptr/len describe the exported writable buffer (see `Writable::slice`).
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}
