"""s3dlio's ``PyDataset`` and ``PyBytesAsyncDataLoader`` over mlstor: a list of object URIs
and a loader that keeps ``prefetch`` GETs in flight (``mlstor.get_iter``), yielding each
object as a ``BytesView`` (``mlstor.Buffer``) or, from ``items()``, as a ``PyObjectItem``
that carries its URI."""
import asyncio
import operator
import sys
import warnings

import mlstor

from ._errors import OutOfRangeError, runtime_error_class
from ._errors import invalid as _invalid
from ._errors import reraise as _reraise
from ._errors import s3dlio_errors as _s3dlio_errors

__all__ = [
    "PyBytesAsyncDataLoader", "PyBytesDataLoaderSyncIter", "PyDataset", "PyObjectDataLoaderSyncIter",
    "PyObjectItem",
]

# The options s3dlio's loader accepts; only "prefetch" changes what this one does.
_LOADER_OPTIONS = (
    "batch_size", "drop_last", "shuffle", "seed", "num_workers", "prefetch", "auto_tune",
    "reader_mode", "part_size", "max_inflight_parts", "shard_rank", "shard_world_size",
    "worker_id", "num_workers_pytorch", "format", "columns", "footer_cap", "decode",
    "max_threads", "skip_head",
)


class PyDataset:
    """The objects under a prefix URI (listed recursively), or a given list of URIs."""

    def __init__(self, uri, opts=None):
        if not isinstance(uri, str):
            raise TypeError(f"uri must be a str, not {type(uri).__name__}")
        base = uri if uri.endswith("/") else uri + "/"
        with _s3dlio_errors():
            uris = [m.uri for m in mlstor.list(base, recursive=True)]
            if not uris and not uri.endswith("/"):  # not a prefix: one object, or an error
                uris = [mlstor.stat(uri).uri]
        if not uris:
            raise runtime_error_class(mlstor.NotFoundError)(f"nothing found under {uri}", uri, ())
        keys = [u[len(base):] if u.startswith(base) else u.rsplit("/", 1)[-1] for u in uris]
        self._uris, self._keys = uris, keys

    @classmethod
    def from_uris(cls, uris, opts=None):
        """A dataset of exactly ``uris`` (no listing); ``opts`` is accepted and ignored."""
        if isinstance(uris, str):
            raise TypeError("uris must be a list of URIs, not a str")
        uris = [str(u) for u in uris]
        if not uris:
            raise _invalid("uris list must be non-empty")
        self = cls.__new__(cls)
        self._uris, self._keys = uris, uris
        return self

    def __len__(self):
        return len(self._uris)

    def __repr__(self):
        return f"PyDataset({len(self._uris)} objects)"

    def keys(self):
        """The key of each item: relative to the prefix, or the URI for ``from_uris``."""
        return list(self._keys)

    def uris(self):
        """The URI of each item, in the order of ``keys()``."""
        return list(self._uris)

    def get_item(self, index):
        """An asyncio future of item ``index`` as a BytesView (call from a running loop)."""
        loop = asyncio.get_running_loop()
        index = operator.index(index)
        if not 0 <= index < len(self._uris):
            fut = loop.create_future()
            n = len(self._uris)
            fut.set_exception(OutOfRangeError(f"index {index} out of range (dataset has {n} objects)"))
            return fut
        return loop.run_in_executor(None, _get, self._uris[index])


def _get(uri):
    try:
        return mlstor.get(uri)
    except mlstor.StorageError as e:
        _reraise(e)


def _prefetch(opts):
    if opts is None:
        return 1
    for key in opts:
        if key not in _LOADER_OPTIONS:
            warnings.warn(f"Unknown option {key!r} ignored. Valid options: {list(_LOADER_OPTIONS)}",
                          RuntimeWarning, stacklevel=3)
    n = opts.get("prefetch", 0)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        warnings.warn("Invalid value for 'prefetch', expected usize, using default 0",
                      RuntimeWarning, stacklevel=3)
        n = 0
    return max(1, n)


class PyBytesAsyncDataLoader:
    """Every object of a :class:`PyDataset`, ``opts["prefetch"]`` GETs in flight (default 1,
    as s3dlio). Iterating yields BytesViews; :meth:`items` yields :class:`PyObjectItem`.
    Each iteration reads the dataset again."""

    def __init__(self, dataset, opts=None):
        if not isinstance(dataset, PyDataset):
            raise TypeError(f"argument 'dataset': a {type(dataset).__name__!r} is not a PyDataset")
        self._dataset = dataset
        self._prefetch = _prefetch(opts)

    def __repr__(self):
        return f"PyBytesAsyncDataLoader({len(self._dataset)} objects, prefetch={self._prefetch})"

    def _start(self):
        # as the reads complete, as s3dlio's loader yields them (no head-of-line wait)
        with _s3dlio_errors():
            return mlstor.get_iter(self._dataset._uris, max_in_flight=self._prefetch, ordered=False)

    def __iter__(self):
        return PyBytesDataLoaderSyncIter(self._start())

    def items(self):
        """An iterator of :class:`PyObjectItem` (the key and the bytes of each object), in the
        order the reads complete."""
        return PyObjectDataLoaderSyncIter(self._start(), dict(zip(self._dataset._uris, self._dataset._keys)))


class PyObjectItem:
    """One object from :meth:`PyBytesAsyncDataLoader.items`: ``uri``, ``data`` (BytesView),
    ``byte_count`` / ``len()``, ``bytes()``; ``memoryview(item)`` needs Python 3.12+ (use
    ``item.data`` before)."""

    __slots__ = ("uri", "data")

    def __init__(self, uri, data):
        self.uri = uri
        self.data = data

    @property
    def byte_count(self):
        return len(self.data)

    def __len__(self):
        return len(self.data)

    def __bytes__(self):
        return bytes(self.data)

    if sys.version_info >= (3, 12):
        def __buffer__(self, flags):
            return memoryview(self.data)

    def __repr__(self):
        return f'PyObjectItem(uri="{self.uri}", byte_count={len(self.data)})'


class PyBytesDataLoaderSyncIter:
    """Yields each object of the dataset as a BytesView."""

    def __init__(self, it):
        self._it = it

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._it)[1]
        except mlstor.StorageError as e:
            _reraise(e)


class PyObjectDataLoaderSyncIter:
    """Yields a :class:`PyObjectItem` for each object of the dataset."""

    def __init__(self, it, key_of):
        self._it = it
        self._key_of = key_of

    def __iter__(self):
        return self

    def __next__(self):
        try:
            uri, data = next(self._it)
        except mlstor.StorageError as e:
            _reraise(e)
        return PyObjectItem(self._key_of.get(uri, uri), data)

    def collect_batch(self, n):
        """Up to ``n`` more items as a list; ``[]`` once the dataset is exhausted."""
        out = []
        for _ in range(operator.index(n)):
            try:
                out.append(next(self))
            except StopIteration:
                break
        return out
