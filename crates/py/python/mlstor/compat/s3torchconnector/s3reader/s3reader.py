import io
from abc import ABC, abstractmethod
from functools import cached_property
from io import SEEK_CUR, SEEK_END, SEEK_SET
from typing import Callable, Optional


class S3Reader(ABC, io.BufferedIOBase):
    """A read-only, seekable file over one object (what datasets yield and checkpoints read)."""

    @property
    @abstractmethod
    def bucket(self) -> str: ...

    @property
    @abstractmethod
    def key(self) -> str: ...

    @abstractmethod
    def read(self, size: Optional[int] = None) -> bytes: ...

    @abstractmethod
    def seek(self, offset: int, whence: int = SEEK_SET, /) -> int: ...

    @abstractmethod
    def tell(self) -> int: ...

    @abstractmethod
    def readinto(self, buf) -> int: ...

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False


class _ObjectReader(S3Reader):
    """What the readers share: the object's bucket, key, info and stream callables, and the
    position."""

    def __init__(self, bucket: str, key: str, get_object_info: Callable[[], object], get_stream: Callable):
        if not bucket:
            raise ValueError("Bucket should be specified")
        self._bucket, self._key = bucket, key
        self._get_object_info, self._get_stream = get_object_info, get_stream
        self._position = 0

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def key(self) -> str:
        return self._key

    def tell(self) -> int:
        return self._position


class _ServedReader(_ObjectReader):
    """Readers (ranged, DCP) whose reads are views from ``_serve(start, end)`` over an object
    whose size is known (from listing, else one HEAD); seeking only moves the position."""

    def _serve(self, start: int, end: int) -> memoryview:
        raise NotImplementedError

    @cached_property
    def _size(self) -> int:
        return self._get_object_info().size

    def read(self, size: Optional[int] = None) -> bytes:
        check_read_size(size)
        start = self._position
        end = self._size if size is None or size < 0 else start + size
        view = self._serve(start, end)
        self._position = start + len(view)
        return bytes(view)

    def readinto(self, buf) -> int:
        mv = as_bytes_view(buf)
        view = self._serve(self._position, self._position + len(mv))
        mv[:len(view)] = view
        self._position += len(view)
        return len(view)

    def seek(self, offset: int, whence: int = 0, /) -> int:
        check_seek_args(offset, whence)
        if whence == SEEK_END:
            offset += self._size
        elif whence == SEEK_CUR:
            offset += self._position
        if offset < 0:
            raise ValueError(f"negative seek value {offset}")
        self._position = offset
        return offset


def check_seek_args(offset, whence):
    if not isinstance(offset, int):
        raise TypeError(f"integer argument expected, got {type(offset)!r}")
    if not isinstance(whence, int):
        raise TypeError(f"integer argument expected, got {type(whence)!r}")
    if whence not in (0, 1, 2):
        raise ValueError("Seek must be passed SEEK_CUR, SEEK_SET, or SEEK_END")


def check_read_size(size):
    if size is not None and not isinstance(size, int):
        raise TypeError(f"argument should be integer or None, not {type(size)!r}")


def as_bytes_view(buf):
    return memoryview(buf).cast("B")
