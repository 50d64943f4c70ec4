"""URI parsing and object listing shared by the datasets."""
from typing import Iterable, Tuple, Union

from ._s3bucket_key_data import S3BucketKeyData

_OTHER_SCHEMES = ("az://", "azure://", "gs://", "gcs://", "file://", "direct://", "memory://")


def identity(obj):
    return obj


def parse_s3_uri(uri: str) -> Tuple[str, str]:
    """(bucket, key) of an s3:// URI, as s3torchconnector parses it. Beyond it, mlstor's other
    schemes are accepted too: their "bucket" is the root URI (``gs://b``, ``file:///``)."""
    if uri and uri.startswith(_OTHER_SCHEMES):
        if uri.startswith(("file://", "direct://")):
            scheme, rest = uri.split("://", 1)
            if not rest.startswith("/"):
                raise ValueError(f"{scheme}:// URIs need an absolute path: {uri!r}")
            return f"{scheme}:///", rest.lstrip("/")
        scheme, rest = uri.split("://", 1)
        bucket, _, key = rest.partition("/")
        if not bucket:
            raise ValueError("Bucket name must be non-empty")
        return f"{scheme}://{bucket}", key
    if not uri or not uri.startswith("s3://"):
        raise ValueError("Only s3:// URIs are supported (mlstor also accepts az://, gs://, file://, direct://, memory://)")
    uri = uri[len("s3://"):]
    if not uri:
        raise ValueError("Bucket name must be non-empty")
    bucket, _, prefix = uri.partition("/")
    if not bucket:
        raise ValueError("Bucket name must be non-empty")
    return bucket, prefix


def get_objects_from_uris(object_uris: Union[str, Iterable[str]], client) -> Iterable[S3BucketKeyData]:
    if isinstance(object_uris, str):
        object_uris = [object_uris]
    pairs = [parse_s3_uri(uri) for uri in object_uris]
    return (S3BucketKeyData(bucket, key) for bucket, key in pairs)


def get_objects_from_prefix(s3_uri: str, client) -> Iterable[S3BucketKeyData]:
    bucket, prefix = parse_s3_uri(s3_uri)
    return iter(_BucketIterable(client, bucket, prefix))


class _BucketIterable:
    """Every object under a prefix, in listing order, with its ObjectInfo (so readers never HEAD).
    Iterating again lists again."""

    def __init__(self, client, bucket, prefix):
        self._client, self._bucket, self._prefix = client, bucket, prefix

    def __iter__(self):
        for page in self._client.list_objects(self._bucket, self._prefix):
            for info in page.object_info:
                yield S3BucketKeyData(self._bucket, info.key, info)
