"""S3Client: the client wrapper every dataset, checkpoint and DCP class uses. The native client
is built lazily and rebuilt when the process id changes (after a fork)."""
import logging
import os
import threading
from functools import partial
from typing import Any, Optional

from .._native import GetObjectStream, HeadObjectResult, ListObjectStream, MlstorS3Client, ObjectInfo
from .._user_agent import UserAgent
from ..s3reader import S3Reader, S3ReaderConstructor
from ..s3reader.protocol import S3ReaderConstructorProtocol
from ..s3writer import S3Writer
from .s3client_config import S3ClientConfig

log = logging.getLogger(__name__)
_client_lock = threading.Lock()


def _identity(obj: Any) -> Any:
    return obj


class S3Client:
    def __init__(self, region: str, *, endpoint: Optional[str] = None, user_agent: Optional[UserAgent] = None,
                 s3client_config: Optional[S3ClientConfig] = None):
        self._region = region
        self._endpoint = endpoint
        self._user_agent_prefix = (user_agent or UserAgent()).prefix
        self._s3client_config = s3client_config or S3ClientConfig()
        self._client_pid: Optional[int] = None
        self._native_client: Optional[MlstorS3Client] = None

    @property
    def _client(self) -> MlstorS3Client:
        if self._native_client is None or self._client_pid != os.getpid():
            with _client_lock:
                if self._native_client is None or self._client_pid != os.getpid():
                    self._native_client = self._client_builder()
                    self._client_pid = os.getpid()
        return self._native_client

    @property
    def region(self) -> str:
        return self._region

    @property
    def s3client_config(self) -> S3ClientConfig:
        return self._s3client_config

    @property
    def user_agent_prefix(self) -> str:
        return self._user_agent_prefix

    def _client_builder(self) -> MlstorS3Client:
        c = self._s3client_config
        return MlstorS3Client(self._region, endpoint=self._endpoint, throughput_target_gbps=c.throughput_target_gbps,
                              part_size=c.part_size, unsigned=c.unsigned, force_path_style=c.force_path_style,
                              max_attempts=c.max_attempts, profile=c.profile,
                              requester_pays=getattr(c, "requester_pays", False))

    def get_object(self, bucket: str, key: str, *, object_info: Optional[ObjectInfo] = None,
                   reader_constructor: Optional[S3ReaderConstructorProtocol] = None) -> S3Reader:
        """A lazy reader: no request until the first read (or a seek that needs the size)."""
        if object_info is None:
            get_object_info = partial(self.head_object, bucket, key)
        else:
            get_object_info = partial(_identity, object_info)
        reader_constructor = reader_constructor or S3ReaderConstructor.default()
        return reader_constructor(bucket=bucket, key=key, get_object_info=get_object_info,
                                  get_stream=partial(self._get_object_stream, bucket, key))

    def _get_object_stream(self, bucket: str, key: str, start: Optional[int] = None,
                           end: Optional[int] = None) -> GetObjectStream:
        return self._client.get_object(bucket, key, start, end)

    def put_object(self, bucket: str, key: str, storage_class: Optional[str] = None) -> S3Writer:
        return S3Writer(self._client.put_object(bucket, key, storage_class))

    def list_objects(self, bucket: str, prefix: str = "", delimiter: str = "", max_keys: int = 1000) -> ListObjectStream:
        return self._client.list_objects(bucket, prefix, delimiter, max_keys)

    def head_object(self, bucket: str, key: str) -> HeadObjectResult:
        return self._client.head_object(bucket, key)

    def delete_object(self, bucket: str, key: str) -> None:
        self._client.delete_object(bucket, key)

    def copy_object(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> None:
        return self._client.copy_object(src_bucket, src_key, dst_bucket, dst_key)
