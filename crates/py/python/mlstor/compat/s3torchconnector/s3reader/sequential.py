from functools import cached_property
from io import SEEK_CUR, SEEK_END
from typing import Callable, Optional

from .s3reader import _ObjectReader, as_bytes_view, check_read_size, check_seek_args


class SequentialS3Reader(_ObjectReader):
    """Reads the object front to back through one GET stream and keeps what arrived, so
    backward seeks and repeated reads need no new request. A stream that delivers the whole
    object in one chunk (mlstor's) is kept without a copy."""

    def __init__(self, bucket: str, key: str, get_object_info: Callable[[], object], get_stream: Callable[[], object]):
        super().__init__(bucket, key, get_object_info, get_stream)
        self._stream = None
        self._data = None  # memoryview of the only chunk, or a bytearray of all chunks
        self._loaded = 0
        self._size: Optional[int] = None

    @cached_property
    def _object_info(self):
        return self._get_object_info()

    def prefetch(self) -> None:
        """Starts fetching (the GET is issued on the first chunk pulled)."""
        if self._stream is None:
            self._stream = iter(self._get_stream())

    def _load_to(self, offset) -> None:
        self.prefetch()
        while self._loaded < offset and (self._size is None or self._loaded < self._size):
            try:
                chunk = as_bytes_view(next(self._stream))
            except StopIteration:
                self._size = self._loaded
                return
            if self._data is None:
                self._data = chunk
            else:
                if isinstance(self._data, memoryview):
                    self._data = bytearray(self._data)
                self._data += chunk
            self._loaded += len(chunk)

    def _view(self, a, b):
        return memoryview(self._data)[a:b] if self._data is not None else memoryview(b"")

    def _get_size(self) -> int:
        if self._size is None:
            self._size = self._object_info.size
        return self._size

    def _at_end(self) -> bool:
        return self._size is not None and self._position >= self._size

    def read(self, size: Optional[int] = None) -> bytes:
        check_read_size(size)
        if self._at_end():
            return b""
        start = self._position
        if size is None or size < 0:
            self._load_to(float("inf"))
            end = self._loaded
        else:
            self._load_to(start + size)
            end = min(start + size, self._loaded)
        self._position = max(end, start)
        return bytes(self._view(start, end)) if end > start else b""

    def readinto(self, buf) -> int:
        mv = as_bytes_view(buf)
        if len(mv) == 0 or self._at_end():
            return 0
        start = self._position
        self._load_to(start + len(mv))
        end = min(start + len(mv), self._loaded)
        if end <= start:
            return 0
        mv[: end - start] = self._view(start, end)
        self._position = end
        return end - start

    def seek(self, offset: int, whence: int = 0, /) -> int:
        check_seek_args(offset, whence)
        if whence == SEEK_END:
            if offset >= 0:
                self._position = self._get_size()
                return self._position
            offset += self._get_size()
        elif whence == SEEK_CUR:
            if self._at_end() and offset >= 0:
                return self._position
            offset += self._position
        if offset < 0:
            raise ValueError(f"negative seek value {offset}")
        if offset > self._loaded:
            self._load_to(offset)
        if self._size is not None:
            offset = min(offset, self._size)
        self._position = offset
        return offset
