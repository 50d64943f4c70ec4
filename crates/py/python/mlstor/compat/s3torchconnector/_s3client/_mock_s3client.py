"""MockS3Client: an S3Client over a private in-memory bucket (mlstor's memory:// backend), for
users' unit tests, as in s3torchconnector."""
import itertools
import os
from typing import Optional

from .._native import MlstorS3Client
from .._user_agent import UserAgent
from ._s3client import S3Client
from .s3client_config import S3ClientConfig

_ids = itertools.count()


class MockS3Client(S3Client):
    def __init__(self, region: str, bucket: str, user_agent: Optional[UserAgent] = None,
                 s3client_config: Optional[S3ClientConfig] = None):
        super().__init__(region, user_agent=user_agent, s3client_config=s3client_config)
        self._bucket = bucket
        self._namespace = f"mock-s3-{os.getpid()}-{next(_ids)}-{bucket}"
        c = self.s3client_config
        self._mock_client = MlstorS3Client(region, part_size=c.part_size, max_attempts=c.max_attempts,
                                           memory_namespace=self._namespace)

    def add_object(self, key: str, data: bytes) -> None:
        self._mock_client._store(self._bucket).put(key, data)

    def remove_object(self, key: str) -> None:
        self._mock_client._store(self._bucket).delete(key)

    def _client_builder(self) -> MlstorS3Client:
        return self._mock_client
