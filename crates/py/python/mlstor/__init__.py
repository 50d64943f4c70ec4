"""mlstor: fast, zero-copy storage I/O for AI training.

One API over ``s3://``, ``az://``, ``gs://``, ``file://``, ``direct://`` (O_DIRECT) and
``memory://`` URIs, implemented in Rust (the ``mlstor-store`` crate)::

    import mlstor, numpy as np
    mlstor.put("s3://bucket/x.bin", b"hello")
    buf = mlstor.get("s3://bucket/x.bin")            # mlstor.Buffer, shares memory with Rust
    arr = np.frombuffer(buf, dtype=np.uint8)         # no copy
    for meta in mlstor.list("s3://bucket/", recursive=True): print(meta.uri, meta.size)

- Module-level functions take full URIs and build one client per bucket/container from the
  environment (``AWS_*``, ``AZURE_STORAGE_*``, ``STORAGE_EMULATOR_HOST``, ...);
  :class:`Store` takes explicit options (endpoints, credentials, multi-endpoint policy,
  retries) and keys relative to its root.
- Every call releases the GIL during I/O; ``get_many`` / ``put_many`` / ``get_iter`` run many
  requests concurrently (bounded by ``max_in_flight``).
- Safe across ``fork()`` (DataLoader workers, ``multiprocessing``): the I/O runtime is made
  per process.
- Errors are :mod:`mlstor.exceptions` classes naming the URI, with the full cause chain.
- ``mlstor.torch``: PyTorch datasets and checkpoint files (needs torch);
  ``mlstor.compat.s3torchconnector``: a drop-in for AWS's s3torchconnector.
"""
import os as _os

from . import _mlstor
from ._io import Reader, Writer, open  # noqa: A004 - mlstor.open
from ._mlstor import (
    Buffer,
    Generator,
    GetIterator,
    ListIterator,
    ObjectMeta,
    PutResult,
    clear_store_cache,
    delete,
    exists,
    generate,
    get,
    get_into,
    get_iter,
    get_many,
    get_range,
    list,  # noqa: A004 - mlstor.list
    put,
    put_many,
    stat,
)
from .exceptions import (  # noqa: A004 - mlstor.PermissionError
    InvalidInputError,
    InvalidUriError,
    NotFoundError,
    NotSupportedError,
    PermissionError,
    RangeError,
    StorageError,
    TransientError,
)

__version__ = "0.1.0"

__all__ = [
    "Buffer", "Generator", "GetIterator", "ListIterator", "ObjectMeta", "PutResult", "Reader",
    "Store", "Writer", "clear_store_cache", "delete", "exists", "generate", "get", "get_into",
    "get_iter", "get_many", "get_range", "list", "open", "put", "put_many", "stat",
    "StorageError", "NotFoundError", "PermissionError", "InvalidUriError", "InvalidInputError",
    "RangeError", "NotSupportedError", "TransientError", "__version__",
]


def _rebuild_store(uri, options):
    return Store(uri, **options)


class Store(_mlstor.Store):
    """A store rooted at ``uri`` (``s3://bucket/prefix``, ``az://container``, ``gs://bucket``,
    ``file:///dir``, ``direct:///dir``, ``memory://name``) with explicit options; its methods
    take keys relative to the root. Options not given come from the environment unless
    ``env=False``:

    - S3: ``endpoint``, ``region``, ``access_key_id``, ``secret_access_key``,
      ``session_token``, ``anonymous``, ``virtual_hosted_style``, ``allow_http``,
      ``unsigned_payload`` (default True: SigV4 without hashing the body)
    - Azure: ``azure_account``, ``azure_key``, ``azure_connection_string``, ``azure_endpoint``
    - GCS: ``gcs_emulator_host``, ``gcs_credentials_path``
    - several endpoints: ``endpoints`` (http(s) URLs = doors to one namespace, or storage
      URIs = independent roots placed by key hash), ``load_balance`` ("round_robin",
      "random", "least_outstanding"), ``pin_to_rank``, ``rank``
    - transfers: ``part_size``, ``part_concurrency``, ``max_attempts``, ``initial_backoff``,
      ``max_backoff``, ``connect_timeout``, ``idle_timeout`` (seconds)

    An unknown option is an error. Stores pickle as (uri, options), so DataLoader workers
    rebuild their own clients.
    """

    __slots__ = ()

    def __reduce__(self):
        return (_rebuild_store, (self.uri, self._options()))

    def open(self, key, mode="rb", **kwargs):
        """``"rb"`` -> :class:`Reader`, ``"wb"`` -> :class:`Writer` for ``key``."""
        return open(key, mode, store=self, **kwargs)

    def reader(self, key, **kwargs):
        return Reader(key, store=self, **kwargs)

    def writer(self, key, *, part_size=None, concurrency=None):
        return Writer(key, store=self, part_size=part_size, concurrency=concurrency)


if hasattr(_os, "register_at_fork"):
    # Before a fork: shut the I/O threads down when idle, and hold every lock they share, so
    # that none is held by a thread the child will not have; the child builds its own runtime
    # on first use. Safe with I/O in flight on other threads (tests/test_fork_stress.py).
    _os.register_at_fork(before=_mlstor._before_fork, after_in_parent=_mlstor._after_fork_parent,
                         after_in_child=_mlstor._after_fork_child)
