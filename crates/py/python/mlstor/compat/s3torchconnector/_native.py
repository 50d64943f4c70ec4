"""The client layer under the compat package, in place of s3torchconnectorclient's
Mountpoint client: the same object model (GetObjectStream, PutObjectStream, ListObjectStream,
ObjectInfo, HeadObjectResult, S3Exception) over :class:`mlstor.Store`.

Buckets: for ``s3://`` a bucket is its name, as in s3torchconnector; for the other schemes
mlstor accepts (``az://``, ``gs://``, ``file://``, ``direct://``, ``memory://``) the "bucket" is
the root URI (``gs://bucket``, ``file:///``) and the key the rest of the URI.
"""
import ipaddress
import threading
import urllib.parse
from typing import NamedTuple, Optional

import mlstor
from mlstor.exceptions import NotFoundError, PermissionError as _MlstorPermissionError, StorageError


class S3Exception(Exception):
    """An error from the storage service or the client (s3torchconnector's exception type).
    The mlstor exception it came from is its ``__cause__``."""


NOT_FOUND_HEAD = "Service error: The object was not found"
NO_SUCH_KEY = "Service error: The key does not exist"
NO_SUCH_BUCKET = "Service error: The bucket does not exist"


def _translate(e, op):
    """The S3Exception s3torchconnector raises for an mlstor error during `op`."""
    if isinstance(e, NotFoundError):
        text = str(e)
        if op == "head":
            msg = NOT_FOUND_HEAD
        elif op == "list" or "NoSuchBucket" in text or "bucket does not exist" in text.lower():
            msg = NO_SUCH_BUCKET
        else:
            msg = NO_SUCH_KEY
    elif isinstance(e, _MlstorPermissionError):
        msg = f"Client error: Forbidden: {e}"
    else:
        msg = f"Client error: {e}"
    err = S3Exception(msg)
    err.__cause__ = e
    return err


class _Call:
    """Runs one call, turning mlstor errors into S3Exception."""

    def __init__(self, op):
        self.op = op

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is not None and isinstance(exc, StorageError):
            raise _translate(exc, self.op) from exc
        return False


class ObjectInfo(NamedTuple):
    key: str
    etag: Optional[str]
    size: int
    last_modified: int
    storage_class: Optional[str] = None
    restore_status: Optional[object] = None


class HeadObjectResult(NamedTuple):
    etag: Optional[str]
    size: int
    last_modified: int
    storage_class: Optional[str] = None
    restore_status: Optional[object] = None


class ListObjectResult(NamedTuple):
    object_info: list
    common_prefixes: list


def root_of(bucket):
    return bucket if "://" in bucket else f"s3://{bucket}"


def uri_of(bucket, key):
    root = root_of(bucket)
    return root + key if root.endswith("/") else f"{root}/{key}"


class GetObjectStream:
    """An iterator over the bytes of ``key`` in [start, end) (end exclusive). The whole range
    arrives as one zero-copy chunk on the first ``next()``; nothing is requested before."""

    def __init__(self, client, bucket, key, start=None, end=None):
        self.bucket, self.key = bucket, key
        self._client, self._start, self._end = client, start, end
        self._done = False
        self._pos = start or 0

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        self._done = True
        store, start = self._client._store(self.bucket), self._start or 0
        with _Call("get"):
            if self._end is None:
                data = store.get(self.key) if start == 0 else store.get_range(self.key, start, 1 << 62)
            elif self._end <= start:
                raise StopIteration
            else:
                data = store.get_range(self.key, start, self._end - start)
        if len(data) == 0:
            raise StopIteration
        self._pos = start + len(data)
        return data

    def tell(self):
        return self._pos


class PutObjectStream:
    """A streaming upload (multipart in parts of the client's part size)."""

    def __init__(self, client, bucket, key):
        self.bucket, self.key = bucket, key
        with _Call("put"):
            self._w = client._store(bucket).raw_writer(key, client.part_size, None)

    def write(self, data):
        with _Call("put"):
            self._w.write(data)

    def close(self):
        with _Call("put"):
            self._w.finish()

    def abort(self):
        with _Call("put"):
            self._w.abort()


class ListObjectStream:
    """Pages of a listing (``ListObjectResult``), ``max_keys`` objects each."""

    def __init__(self, client, bucket, prefix="", delimiter="", max_keys=1000):
        if delimiter not in ("", "/"):
            raise S3Exception(f"Client error: delimiter {delimiter!r} is not supported (only '/' is)")
        if max_keys < 1:
            raise S3Exception("Client error: max_keys must be at least 1")
        self.bucket, self.prefix, self.delimiter, self.max_keys = bucket, prefix, delimiter, max_keys
        self._client = client
        self._it = None
        self.complete = False

    def __iter__(self):
        return self

    def __next__(self):
        if self.complete:
            raise StopIteration
        with _Call("list"):
            if self._it is None:
                self._it = self._client._store(self.bucket).list(self.prefix, delimiter=self.delimiter or None)
            objects, prefixes = [], []
            for m in self._it:
                if m.is_prefix:
                    prefixes.append(m.key)
                else:
                    objects.append(ObjectInfo(m.key, m.etag, m.size, int(m.last_modified or 0)))
                if len(objects) + len(prefixes) >= self.max_keys:
                    self._returned_any = True
                    return ListObjectResult(objects, prefixes)
        self.complete = True
        if not objects and not prefixes and getattr(self, "_returned_any", False):
            raise StopIteration
        self._returned_any = True
        return ListObjectResult(objects, prefixes)


def _is_ip_or_localhost(endpoint):
    host = urllib.parse.urlsplit(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


class MlstorS3Client:
    """The native client: one mlstor.Store per bucket, built lazily with this client's options.

    ``throughput_target_gbps`` sets how many parts one writer uploads concurrently
    (ceil(target / 1.25 Gbps), 1..64); ``part_size`` the part size of uploads (5 MiB..5 GiB);
    ``unsigned`` sends anonymous requests; ``force_path_style`` path-style requests
    (otherwise virtual-hosted on AWS; custom endpoints that are IP addresses or localhost
    always get path style, as virtual-hosted addressing cannot work there);
    ``max_attempts`` the retries; ``profile`` reads static keys from the AWS shared
    credentials file.
    """

    def __init__(self, region, endpoint=None, throughput_target_gbps=10.0, part_size=8 << 20, unsigned=False,
                 force_path_style=False, max_attempts=10, profile=None, requester_pays=False, memory_namespace=None):
        if not (5 << 20) <= part_size <= (5 << 30):
            raise S3Exception(f"Client error: part_size {part_size} must be between 5 MiB and 5 GiB")
        if requester_pays:
            raise NotImplementedError("requester_pays=True is not supported by mlstor's S3 client")
        self.region, self.endpoint, self.part_size = region, endpoint, part_size
        self.unsigned, self.force_path_style, self.max_attempts = unsigned, force_path_style, max_attempts
        self.throughput_target_gbps, self.profile = throughput_target_gbps, profile
        self._memory = memory_namespace
        self._stores = {}
        self._lock = threading.Lock()
        self._credentials = _profile_credentials(profile) if profile else {}

    def __getstate__(self):
        # Picklable (DataLoader with spawn): the child rebuilds its stores from the options.
        state = dict(self.__dict__)
        state.pop("_lock")
        state["_stores"] = {}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _options(self, bucket):
        concurrency = max(1, min(64, -int(-self.throughput_target_gbps // 1.25)))
        opts = {"part_size": self.part_size, "part_concurrency": concurrency, "max_attempts": max(1, self.max_attempts)}
        root = root_of(bucket)
        if root.startswith("s3://"):
            opts["region"] = self.region
            opts.update(self._credentials)
            if self.unsigned:
                opts["anonymous"] = True
            ep = self.endpoint
            if ep:
                if not self.force_path_style and not _is_ip_or_localhost(ep):
                    u = urllib.parse.urlsplit(ep)
                    ep = urllib.parse.urlunsplit((u.scheme, f"{bucket}.{u.netloc}", u.path, "", ""))
                    opts["virtual_hosted_style"] = True
                opts["endpoint"] = ep
            elif not self.force_path_style:
                opts["virtual_hosted_style"] = True
        elif root.startswith(("az://", "azure://")) and self.endpoint:
            opts["azure_endpoint"] = self.endpoint
        elif root.startswith(("gs://", "gcs://")) and self.endpoint:
            opts["gcs_emulator_host"] = self.endpoint
        return root, opts

    def _store(self, bucket):
        s = self._stores.get(bucket)
        if s is None:
            with self._lock:
                s = self._stores.get(bucket)
                if s is None:
                    if self._memory is not None:
                        s = mlstor.Store(f"memory://{self._memory}")
                    else:
                        root, opts = self._options(bucket)
                        with _Call("client"):
                            s = mlstor.Store(root, **opts)
                    self._stores[bucket] = s
        return s

    def get_object(self, bucket, key, start=None, end=None):
        return GetObjectStream(self, bucket, key, start, end)

    def put_object(self, bucket, key, storage_class=None):
        if storage_class is not None:
            raise NotImplementedError(f"storage_class={storage_class!r} is not supported by mlstor's S3 client")
        return PutObjectStream(self, bucket, key)

    def list_objects(self, bucket, prefix="", delimiter="", max_keys=1000):
        return ListObjectStream(self, bucket, prefix, delimiter, max_keys)

    def head_object(self, bucket, key):
        with _Call("head"):
            m = self._store(bucket).stat(key)
        return HeadObjectResult(m.etag, m.size, int(m.last_modified or 0))

    def delete_object(self, bucket, key):
        with _Call("delete"):
            self._store(bucket).delete(key)

    def copy_object(self, src_bucket, src_key, dst_bucket, dst_key):
        """Copied through the client (a read then a write), not server-side."""
        src_key = urllib.parse.unquote(src_key)  # S3FileSystem.rename percent-encodes the source
        with _Call("get"):
            data = self._store(src_bucket).get(src_key)
        with _Call("put"):
            self._store(dst_bucket).put(dst_key, data)


def _profile_credentials(profile):
    """Static keys of `profile` from the AWS shared credentials file (roles and SSO are not supported)."""
    import configparser
    import os
    path = os.environ.get("AWS_SHARED_CREDENTIALS_FILE", os.path.expanduser("~/.aws/credentials"))
    cp = configparser.ConfigParser()
    cp.read(path)
    if not cp.has_section(profile):
        raise S3Exception(f"Client error: profile {profile!r} not found in {path}")
    sec = cp[profile]
    if "aws_access_key_id" not in sec or "aws_secret_access_key" not in sec:
        raise NotImplementedError(f"profile {profile!r} has no static keys; mlstor supports only those in profiles")
    out = {"access_key_id": sec["aws_access_key_id"], "secret_access_key": sec["aws_secret_access_key"]}
    if "aws_session_token" in sec:
        out["session_token"] = sec["aws_session_token"]
    return out
