"""File-like streaming access: :class:`Reader` (seekable, buffered ranged reads) and
:class:`Writer` (multipart uploads), both usable with ``torch.save`` / ``torch.load``, PIL,
``pickle`` and anything else that takes a binary file object."""
import io
import os
import warnings

from . import _mlstor
from .exceptions import RangeError

DEFAULT_BUFFER_SIZE = 8 << 20


class _Target:
    """Where a Reader reads from: a URI (module-level functions) or a key of a Store."""

    __slots__ = ("store", "key", "uri")

    def __init__(self, uri_or_key, store):
        self.store = store
        self.key = uri_or_key
        self.uri = uri_or_key if store is None else f"{store.uri.rstrip('/')}/{uri_or_key.lstrip('/')}"

    def get_range(self, offset, length):
        if self.store is None:
            return _mlstor.get_range(self.key, offset, length)
        return self.store.get_range(self.key, offset, length)

    def get_into(self, buf, offset, length):
        if self.store is None:
            return _mlstor.get_into(self.key, buf, offset, length)
        return self.store.get_into(self.key, buf, offset, length)

    def stat(self):
        return _mlstor.stat(self.key) if self.store is None else self.store.stat(self.key)


class Reader(io.RawIOBase):
    """A read-only, seekable binary file over one object.

    Reads are ranged GETs of at least ``buffer_size`` bytes (default 8 MiB), kept as a
    zero-copy chunk, so many small reads (``torch.load``, pickle) cost one request per chunk;
    reads of ``buffer_size`` or more go straight to the caller's buffer. ``read()`` returns
    ``bytes`` (a copy of what was asked for); :meth:`read_buffer` returns a zero-copy
    :class:`mlstor.Buffer`. Nothing is fetched until the first read; the size is looked up
    (one HEAD) only for ``SEEK_END`` and ``read()`` to the end, unless given.
    """

    def __init__(self, uri, *, store=None, buffer_size=DEFAULT_BUFFER_SIZE, size=None):
        super().__init__()
        if buffer_size < 0:
            raise ValueError(f"buffer_size must be >= 0, got {buffer_size}")
        self._t = _Target(uri, store)
        self._buffer_size = buffer_size
        self._size = size
        self._pos = 0
        self._chunk = None
        self._chunk_off = 0

    @property
    def uri(self):
        return self._t.uri

    def __repr__(self):
        return f"mlstor.Reader({self._t.uri!r}, pos={self._pos})"

    def readable(self):
        return True

    def seekable(self):
        return True

    @property
    def size(self):
        """The object's size in bytes (one HEAD the first time, unless given)."""
        if self._size is None:
            self._size = self._t.stat().size
        return self._size

    def tell(self):
        self._checkClosed()
        return self._pos

    def seek(self, offset, whence=os.SEEK_SET, /):
        self._checkClosed()
        if not isinstance(offset, int):
            raise TypeError(f"seek offset must be an int, got {type(offset).__name__}")
        if whence == os.SEEK_SET:
            pos = offset
        elif whence == os.SEEK_CUR:
            pos = self._pos + offset
        elif whence == os.SEEK_END:
            pos = self.size + offset
        else:
            raise ValueError(f"invalid whence ({whence}, should be 0, 1 or 2)")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def _range(self, offset, length):
        if self._size is not None and offset >= self._size:
            return b""
        try:
            return self._t.get_range(offset, length)
        except RangeError:
            return b""  # past the end: EOF, like a file

    def _cached(self, n):
        """Offset of [pos, pos+n) in the current chunk, or None."""
        c = self._chunk
        if c is not None and self._chunk_off <= self._pos and self._pos + n <= self._chunk_off + len(c):
            return self._pos - self._chunk_off
        return None

    def _fill(self):
        self._chunk = self._range(self._pos, self._buffer_size)
        self._chunk_off = self._pos
        return len(self._chunk)

    def read_buffer(self, size=-1):
        """Like :meth:`read`, but returns a zero-copy :class:`mlstor.Buffer` (or ``b""`` at EOF)."""
        self._checkClosed()
        if size is None or size < 0:
            size = max(self.size - self._pos, 0)
        if size == 0:
            return b""
        a = self._cached(size)
        if a is None:
            if size >= self._buffer_size:
                data = self._range(self._pos, size)
                self._pos += len(data)
                return data
            self._fill()
            a = 0
        data = self._chunk[a:a + size]
        self._pos += len(data)
        return data

    def read(self, size=-1):
        if size is not None and not isinstance(size, int):
            raise TypeError(f"read size must be an int or None, got {type(size).__name__}")
        data = self.read_buffer(size)
        return data if isinstance(data, bytes) else bytes(data)

    def readall(self):
        return self.read(-1)

    def readinto(self, b):
        self._checkClosed()
        try:
            mv = memoryview(b).cast("B")
        except TypeError:
            mv = None  # e.g. a torch tensor: get_into handles it directly
        n = len(mv) if mv is not None else b.numel() * b.element_size()
        if n == 0:
            return 0
        a = self._cached(n)
        if a is None and n >= self._buffer_size:
            if self._size is not None and self._pos >= self._size:
                return 0
            try:
                got = self._t.get_into(mv if mv is not None else b, self._pos, n)
            except RangeError:
                return 0
            self._pos += got
            return got
        if mv is None:
            raise TypeError("readinto of a buffer smaller than buffer_size needs a memoryview-able buffer")
        if a is None:
            if self._fill() == 0:
                return 0
            a = 0
        take = min(n, len(self._chunk) - a)
        mv[:take] = memoryview(self._chunk)[a:a + take]
        self._pos += take
        return take

    def close(self):
        self._chunk = None
        super().close()


class Writer(io.RawIOBase):
    """A write-only binary file that streams one object (multipart for S3/Azure/GCS, a
    temporary file renamed at the end for ``file://``).

    The object becomes visible only when :meth:`close` succeeds. Leaving a ``with`` block by
    an exception, or :meth:`abort`, discards the upload, so a partial object is never visible.
    A writer that is garbage-collected unclosed behaves as a Python file object does: it is
    closed, so what was written becomes the object (``torch.save(sd, writer(uri))`` works), and
    a ``ResourceWarning`` says so; if one of its writes had failed it is discarded instead. Use
    ``with`` when an exception half-way must leave nothing behind. ``write`` accepts any
    bytes-like object (``bytes`` and :class:`mlstor.Buffer` without a copy).
    """

    def __init__(self, uri, *, store=None, part_size=None, concurrency=None):
        super().__init__()
        if store is None:
            self._raw = _mlstor.raw_writer(uri, part_size, concurrency)
        else:
            self._raw = store.raw_writer(uri, part_size, concurrency)
        self.result = None
        self._failed = False

    @property
    def uri(self):
        return self._raw.uri

    def __repr__(self):
        return f"mlstor.Writer({self._raw.uri!r}, written={self._raw.written})"

    def writable(self):
        return True

    def write(self, b):
        self._checkClosed()
        try:
            return self._raw.write(b)
        except BaseException:
            self._failed = True
            raise

    def tell(self):
        return self._raw.written

    def flush(self):
        pass  # parts are uploaded as they fill; close() completes the object

    def close(self):
        """Uploads what is left and makes the object visible (idempotent)."""
        if not self.closed:
            try:
                self.result = self._raw.finish()
            finally:
                super().close()

    def abort(self):
        """Discards everything written; the object is not created (or left unchanged)."""
        if not self.closed:
            try:
                self._raw.abort()
            finally:
                super().close()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False

    def __del__(self):
        # As a Python file: an unclosed writer is closed (the object completed) when collected,
        # with a ResourceWarning; one whose write failed is discarded. A failing close raises
        # here, which Python reports ("Exception ignored in ...") rather than losing silently.
        if getattr(self, "_raw", None) is None or self.closed:
            return
        if self._failed:
            try:
                self.abort()
            except Exception:  # noqa: BLE001 - the write's own error was already raised
                pass
            return
        warnings.warn(f"unclosed mlstor.Writer {self._raw.uri!r}: completed on garbage collection "
                      "(close it, or use `with`)", ResourceWarning, source=self, stacklevel=2)
        self.close()


def open(uri, mode="rb", *, store=None, buffer_size=DEFAULT_BUFFER_SIZE, part_size=None, concurrency=None):  # noqa: A001
    """Opens an object as a binary file: ``"rb"`` -> :class:`Reader`, ``"wb"`` -> :class:`Writer`."""
    if mode in ("rb", "r"):
        return Reader(uri, store=store, buffer_size=buffer_size)
    if mode in ("wb", "w"):
        return Writer(uri, store=store, part_size=part_size, concurrency=concurrency)
    raise ValueError(f"mode must be 'rb' or 'wb', got {mode!r} (mlstor objects are binary and written whole)")
