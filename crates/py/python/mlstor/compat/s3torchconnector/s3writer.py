import io
import logging
import threading
import warnings

logger = logging.getLogger(__name__)


class S3Writer(io.BufferedIOBase):
    """A write-only file that streams one object; it becomes visible on ``close()``.

    As in s3torchconnector, leaving a ``with`` block by an exception does not complete the
    upload (the object is not created); mlstor also aborts it so no parts linger. ``write``
    takes any bytes-like object (bytes, bytearray, memoryview, numpy arrays)."""

    def __init__(self, stream):
        self.stream = stream
        self._position = 0
        self._closed = False
        self._lock = threading.Lock()

    def __enter__(self):
        self._position = 0
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if exc_type is not None:
            logger.info("Exception occurred before closing stream: %s: %s", exc_type.__name__, exc_val)
            with self._lock:
                if not self._closed:
                    self._closed = True
                    abort = getattr(self.stream, "abort", None)
                    if abort is not None:
                        try:
                            abort()
                        except Exception:  # noqa: BLE001 - the original exception matters more
                            logger.exception("aborting the upload failed")
        else:
            self.close()

    def write(self, data) -> int:
        self._checkClosed()
        n = memoryview(data).nbytes
        self.stream.write(data)
        self._position += n
        return n

    def close(self):
        with self._lock:
            if not self._closed:
                self._closed = True
                self.stream.close()

    def __del__(self):
        # As s3torchconnector's (an io.IOBase): an unclosed writer is closed when collected,
        # so `torch.save(sd, checkpoint.writer(uri))` uploads. io.IOBase would swallow a
        # failure of that close silently; here it is logged and warned about.
        if getattr(self, "_closed", True):
            return
        try:
            self.close()
        except Exception as e:  # noqa: BLE001 - a finaliser cannot raise
            logger.error("closing an unclosed S3Writer on garbage collection failed: %s", e)
            warnings.warn(f"S3Writer garbage-collected unclosed and its upload failed: {e}", RuntimeWarning,
                          stacklevel=2)

    @property
    def closed(self) -> bool:
        return self._closed

    def flush(self):
        pass

    def readable(self) -> bool:
        return False

    def writable(self) -> bool:
        return not self.closed

    def tell(self) -> int:
        return self._position
