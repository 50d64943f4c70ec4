from typing import Callable, Optional

from .s3reader import _ServedReader, as_bytes_view

DEFAULT_BUFFER_SIZE = 8 * 1024 * 1024


def fetch(get_stream, start, end):
    """The bytes [start, end) from a stream factory, without a copy when they come as one chunk."""
    chunks = [as_bytes_view(c) for c in get_stream(start, end)]
    if len(chunks) == 1:
        return chunks[0]
    return memoryview(b"".join(chunks))


class RangedS3Reader(_ServedReader):
    """One ranged GET per read. Reads smaller than ``buffer_size`` (default 8 MiB; 0 disables
    it) fill a buffer from the current position that serves the following nearby reads;
    larger reads bypass it. Needs the object's size (from listing, else one HEAD)."""

    def __init__(self, bucket: str, key: str, get_object_info: Callable[[], object],
                 get_stream: Callable[[Optional[int], Optional[int]], object], buffer_size: Optional[int] = None):
        super().__init__(bucket, key, get_object_info, get_stream)
        if buffer_size is not None and (not isinstance(buffer_size, int) or buffer_size < 0):
            raise ValueError(f"buffer_size must be a non-negative int or None, got {buffer_size!r}")
        self._buffer_size = DEFAULT_BUFFER_SIZE if buffer_size is None else buffer_size
        self._buffer = None
        self._buffer_start = 0

    def _serve(self, start, end):
        """A view of [start, end) (end clipped to the size) from the buffer or a GET."""
        end = min(end, self._size)
        if end <= start:
            return memoryview(b"")
        b = self._buffer
        if b is not None and self._buffer_start <= start and end <= self._buffer_start + len(b):
            return b[start - self._buffer_start:end - self._buffer_start]
        if end - start >= self._buffer_size:
            return fetch(self._get_stream, start, end)
        self._buffer = fetch(self._get_stream, start, min(start + self._buffer_size, self._size))
        self._buffer_start = start
        return self._buffer[:end - start]
