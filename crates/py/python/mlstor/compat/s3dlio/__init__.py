"""A drop-in for the ``s3dlio`` package: the part of its API that DLIO 3.0.2 calls.

``import mlstor.compat.s3dlio as s3dlio`` (or ``mlstor dlio ...``, which makes ``import
s3dlio`` load this module) gives the same names, arguments and return types as s3dlio 0.10
over every mlstor scheme (``s3:// az:// gs:// file:// direct:// memory://``):

- ``get(uri)`` / ``get_range(uri, offset, length=None)`` -> :class:`BytesView`
  (``mlstor.Buffer``: buffer protocol, ``len``, ``bytes()``, ``.memoryview()``,
  ``.to_bytes()``); ``get_many(uris, max_in_flight=64)`` -> ``[(uri, BytesView), ...]``
  in the order given;
- ``put_bytes(uri, data)``, ``MultipartUploadWriter`` (``from_uri``, ``write``,
  ``reserve``/``commit``, ``flush``, ``close``, ``abort``);
- ``list(uri, recursive=False, pattern=None)`` -> full URIs (``pattern``: a regular
  expression searched in the key below ``uri``), ``stat(uri)`` -> dict with ``size``,
  ``last_modified``, ``etag``, ..., ``exists(uri)`` (False on any failure, as s3dlio),
  ``mkdir(uri)``, ``delete(uri, recursive=False)``;
- ``configure_tokio_threads(n=0)`` (mlstor's I/O threads; ``S3DLIO_RT_THREADS`` is
  honoured too);
- parquet (``PyParquetIndex``, ``parquet_get_rg``, ...), ``generate_npz_bytes`` and
  ``PyDataset`` / ``PyBytesAsyncDataLoader`` from the submodules.

Errors are mlstor's exception classes (naming the URI) that are also ``RuntimeError``, as
s3dlio's are, so ``except RuntimeError`` in callers (DLIO's multipart retry) keeps working.
Endpoints and credentials come from the environment at first use of a bucket
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ... as s3dlio; see ``mlstor.Store`` for all).
"""
import builtins as _builtins
import functools as _functools
import os as _os
import re as _re

import mlstor as _m

from ._errors import runtime_error_class as _runtime_error_class
from ._errors import s3dlio_errors as _s3dlio_errors
from ._generate import generate_npz_bytes
from ._loader import PyBytesAsyncDataLoader, PyDataset
from ._parquet import (
    PyParquetIndex,
    generate_and_write_parquet_schema_streaming,
    parquet_cache_clear,
    parquet_cache_invalidate,
    parquet_cache_len,
    parquet_get_rg,
    parquet_rg_row_offsets,
)

__version__ = "0.10.0"

BytesView = _m.Buffer

__all__ = [
    "BytesView", "MultipartUploadWriter", "ObjectNotFoundError", "PyBytesAsyncDataLoader",
    "PyDataset", "PyParquetIndex", "configure_tokio_threads", "delete", "exists",
    "generate_and_write_parquet_schema_streaming", "generate_npz_bytes", "get", "get_many",
    "get_range", "list", "mkdir", "parquet_cache_clear", "parquet_cache_invalidate",
    "parquet_cache_len", "parquet_get_rg", "parquet_rg_row_offsets", "put_bytes", "stat",
]

# s3dlio's "object not found" class (a FileNotFoundError); mlstor's NotFoundError is one too.
ObjectNotFoundError = _m.NotFoundError

_threads_set = False


def _before_io():
    """s3dlio sizes its runtime from S3DLIO_RT_THREADS, which DLIO sets after importing it."""
    global _threads_set
    if not _threads_set:
        _threads_set = True
        n = _os.environ.get("S3DLIO_RT_THREADS")
        if n and n.isdigit() and int(n) > 0 and "MLSTOR_IO_THREADS" not in _os.environ:
            _os.environ["MLSTOR_IO_THREADS"] = n


def _io(fn):
    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _before_io()
        with _s3dlio_errors():
            return fn(*args, **kwargs)

    return wrapper


@_io
def get(uri):
    """The whole object as a BytesView (no copy)."""
    return _m.get(uri)


@_io
def get_range(uri, offset, length=None):
    """``length`` bytes from ``offset`` (to the end when ``length`` is None)."""
    if offset < 0 or (length is not None and length < 0):
        raise ValueError(f"get_range: offset and length must not be negative ({uri})")
    if length is None:
        length = _m.stat(uri).size - offset
        if length <= 0:
            return _m.get_range(uri, 0, 0)
    return _m.get_range(uri, offset, length)


@_io
def get_many(uris, max_in_flight=64):
    """Every object of ``uris`` fetched concurrently: ``[(uri, BytesView), ...]`` in order."""
    uris = [str(u) for u in uris]
    return _builtins.list(zip(uris, _m.get_many(uris, max_in_flight=max_in_flight)))


@_io
def put_bytes(uri, data):
    """Store ``data`` (any bytes-like object) at ``uri``; no partial object on failure."""
    _m.put(uri, data)


def _key_below(prefix, uri):
    return uri[len(prefix):] if uri.startswith(prefix) else uri


@_io
def list(uri, recursive=False, pattern=None):  # noqa: A001 - s3dlio.list
    """Full URIs under ``uri``; without ``recursive``, sub-prefixes end in ``/``."""
    base = uri if uri.endswith("/") else uri + "/"
    regex = _re.compile(pattern) if pattern is not None else None
    out = []
    try:
        metas = _builtins.list(_m.list(uri, recursive=recursive))
    except _m.NotFoundError:
        return out
    for meta in metas:
        if regex is not None and not regex.search(_key_below(base, meta.uri)):
            continue
        out.append(meta.uri)
    return out


@_io
def stat(uri):
    """The object's metadata as s3dlio's dict (``size``, ``last_modified``, ``etag``, ...)."""
    meta = _m.stat(uri)
    return {
        "size": meta.size,
        "last_modified": meta.last_modified,
        "etag": meta.etag,
        "content_type": None,
        "content_language": None,
        "content_encoding": None,
        "cache_control": None,
        "content_disposition": None,
        "expires": None,
        "storage_class": None,
        "server_side_encryption": None,
        "ssekms_key_id": None,
        "sse_customer_algorithm": None,
        "version_id": None,
        "replication_status": None,
        "metadata": {},
    }


def exists(uri):
    """True if the object exists; False otherwise, also when that cannot be told (as s3dlio)."""
    _before_io()
    try:
        return _m.exists(uri)
    except Exception:  # noqa: BLE001 - s3dlio's documented contract: every failure is False
        return False


@_io
def mkdir(uri):
    """Create a folder (file://, direct://); nothing to do on object stores."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        raise _runtime_error_class(_m.InvalidUriError)(f"not a URI: {uri}", uri, ())
    if scheme in ("file", "direct"):
        _os.makedirs(rest, exist_ok=True)


@_io
def delete(uri, recursive=False):
    """Delete one object (a missing one is fine), or every object under a prefix."""
    if not recursive:
        try:
            _m.delete(uri)
        except _m.NotFoundError:
            pass
        return
    for u in list(uri, recursive=True):
        try:
            _m.delete(u)
        except _m.NotFoundError:
            pass


def configure_tokio_threads(n=0):
    """mlstor's I/O threads per process: ``n``, or with 0 the CPUs divided by the MPI world
    size (``OMPI_COMM_WORLD_SIZE``, ``PMI_SIZE``, ``WORLD_SIZE``). Takes effect if called
    before the first I/O of the process, like s3dlio's."""
    if n <= 0:
        world = 1
        for var in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "WORLD_SIZE"):
            v = _os.environ.get(var, "")
            if v.isdigit() and int(v) > 0:
                world = int(v)
                break
        n = max(1, (_os.cpu_count() or 1) // world)
    _os.environ["MLSTOR_IO_THREADS"] = str(int(n))


class MultipartUploadWriter:
    """Streaming upload of one object (multipart on object stores, a temporary file renamed
    on close on file systems). s3dlio's takes ``s3://`` only; this one any mlstor URI."""

    def __init__(self, bucket, key, part_size=None, max_in_flight=None, content_type=None,
                 abort_on_drop=None):
        self._init(f"s3://{bucket}/{key}", part_size, max_in_flight)

    @classmethod
    def from_uri(cls, uri, part_size=None, max_in_flight=None, content_type=None,
                 abort_on_drop=None):
        self = cls.__new__(cls)
        self._init(uri, part_size, max_in_flight)
        return self

    def _init(self, uri, part_size, max_in_flight):
        _before_io()
        self.uri = uri
        self._reserved = None
        self._closed = False
        with _s3dlio_errors():
            self._w = _m._mlstor.raw_writer(uri, part_size=part_size, concurrency=max_in_flight)

    def _check(self):
        if self._closed:
            raise RuntimeError(f"MultipartUploadWriter for {self.uri} is closed")

    def write(self, data):
        """Append a bytes-like object."""
        self._check()
        with _s3dlio_errors():
            self._w.write(data)

    def reserve(self, size):
        """A writable memoryview of ``size`` bytes; fill it, then :meth:`commit`."""
        self._check()
        if self._reserved is not None:
            raise RuntimeError("only one reserved buffer may be pending; commit() it first")
        self._reserved = bytearray(size)
        return memoryview(self._reserved)

    def commit(self, nbytes):
        """Append the first ``nbytes`` bytes of the reserved buffer."""
        self._check()
        if self._reserved is None:
            raise RuntimeError("commit() without a reserve()")
        if nbytes > len(self._reserved):
            raise ValueError(f"commit({nbytes}) is larger than the reserved {len(self._reserved)}")
        buf, self._reserved = self._reserved, None
        self.write(memoryview(buf)[:nbytes])

    def flush(self):
        """Nothing to do: full parts are sent as they fill; close() sends the tail."""
        self._check()

    def close(self):
        """Complete the upload; the object appears whole or not at all."""
        self._check()
        self._closed = True
        with _s3dlio_errors():
            self._w.finish()

    def abort(self):
        """Abandon the upload; nothing is stored."""
        if self._closed:
            return
        self._closed = True
        self._w.abort()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
