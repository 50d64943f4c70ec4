"""The exceptions mlstor raises.

Every one is a :class:`StorageError` (itself an ``OSError``) and also derives from the
matching built-in, so ``except FileNotFoundError`` catches :class:`NotFoundError`. The message
is the error followed by its whole cause chain (``outer: cause: cause``); ``.uri`` names what
failed and ``.causes`` holds the chain below the outermost error.
"""
import builtins
import errno as _errno

__all__ = [
    "StorageError",
    "NotFoundError",
    "PermissionError",
    "InvalidUriError",
    "InvalidInputError",
    "RangeError",
    "NotSupportedError",
    "TransientError",
]


class StorageError(OSError):
    """Base class of every mlstor error. Like the built-in ``OSError``, ``errno`` is set where
    one fits (``ENOENT``, ``EACCES``, ...) and ``filename`` is the URI."""

    _errno = None

    def __init__(self, message: str, uri: "str | None" = None, causes=()):
        super().__init__(message)
        self.uri = uri
        self.causes = tuple(causes)
        self.errno = self._errno
        self.strerror = message
        self.filename = uri

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self):
        return (type(self), (str(self), self.uri, self.causes))


class NotFoundError(StorageError, FileNotFoundError):
    """The object, bucket or container does not exist."""

    _errno = _errno.ENOENT


class PermissionError(StorageError, builtins.PermissionError):  # noqa: A001 - mlstor.PermissionError
    """The server or file system refused the credentials or the permission."""

    _errno = _errno.EACCES


class InvalidUriError(StorageError, ValueError):
    """The URI could not be parsed or names an unknown scheme."""


class InvalidInputError(StorageError, ValueError):
    """A key or argument was rejected before any I/O."""


class RangeError(StorageError, ValueError):
    """A byte range starts past the end of the object."""


class NotSupportedError(StorageError, NotImplementedError):
    """The backend cannot do this (e.g. O_DIRECT on tmpfs)."""

    _errno = _errno.EOPNOTSUPP


class TransientError(StorageError, ConnectionError):
    """A transient failure (5xx, throttling, reset, timeout) that persisted through the retries."""

    _errno = _errno.EIO
