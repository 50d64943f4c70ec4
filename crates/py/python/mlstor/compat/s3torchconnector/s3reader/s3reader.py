import io
from abc import ABC, abstractmethod
from io import SEEK_SET
from typing import Optional


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
