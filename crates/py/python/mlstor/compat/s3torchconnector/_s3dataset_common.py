"""URI parsing, object listing and the client handling shared by the datasets."""
from typing import Iterable, Tuple, Union

from ._s3bucket_key_data import S3BucketKeyData
from ._s3client import S3Client
from ._user_agent import UserAgent
from .s3reader import S3Reader, S3ReaderConstructor

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


class _DatasetClient:
    """What both datasets keep: region, endpoint, transform, client config, reader constructor
    and the S3Client made on first use (``_client``, which users' tests set)."""

    _kind = ""  # "iterable" | "map", in the user agent

    def _init_client(self, region, get_dataset_objects, endpoint, transform, s3client_config, reader_constructor):
        self._get_dataset_objects = get_dataset_objects
        self._transform = transform
        self._region = region
        self._endpoint = endpoint
        self._s3client_config = s3client_config
        self._reader_constructor = reader_constructor or S3ReaderConstructor.default()
        self._client = None

    @property
    def region(self):
        return self._region

    @property
    def endpoint(self):
        return self._endpoint

    def _get_client(self):
        if self._client is None:
            kind = S3ReaderConstructor.get_reader_type_string(self._reader_constructor)
            self._client = S3Client(self.region, endpoint=self.endpoint,
                                    user_agent=UserAgent(comments=[f"md/dataset#{self._kind} md/reader_type#{kind}"]),
                                    s3client_config=self._s3client_config)
        return self._client

    def _reader(self, bucket_key: S3BucketKeyData) -> S3Reader:
        return self._get_client().get_object(bucket_key.bucket, bucket_key.key, object_info=bucket_key.object_info,
                                             reader_constructor=self._reader_constructor)
