"""The drop-in's errors: mlstor's exception classes that are also ``RuntimeError`` (what s3dlio
raises, and what DLIO's multipart retry catches), plus the index and format errors."""
import contextlib
import functools

import mlstor


class OutOfRangeError(IndexError, RuntimeError):
    """A row group, column or sample index outside the file, or a URI not in the index."""


class ParquetFormatError(ValueError, RuntimeError):
    """The object is not a readable Parquet file."""


@functools.lru_cache(maxsize=None)
def runtime_error_class(cls):
    """``cls`` (an mlstor exception class) that is also a ``RuntimeError``."""
    return type(cls.__name__, (cls, RuntimeError), {"__module__": "mlstor.compat.s3dlio"})


def reraise(e):
    """Raise mlstor error ``e`` as its class that is also a ``RuntimeError``."""
    if isinstance(e, RuntimeError):
        raise e
    raise runtime_error_class(type(e))(str(e), e.uri, e.causes) from e


def invalid(message, uri=None):
    """mlstor's InvalidInputError that is also a ``RuntimeError`` (a ``ValueError``)."""
    return runtime_error_class(mlstor.InvalidInputError)(message, uri, ())


@contextlib.contextmanager
def s3dlio_errors():
    """mlstor errors in the block re-raised by :func:`reraise`."""
    try:
        yield
    except mlstor.StorageError as e:
        reraise(e)
