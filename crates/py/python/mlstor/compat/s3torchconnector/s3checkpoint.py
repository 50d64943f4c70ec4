from typing import Optional

from ._s3client import S3Client, S3ClientConfig
from ._s3dataset_common import parse_s3_uri


class S3Checkpoint:
    """``torch.save(sd, ckpt.writer(uri))`` / ``torch.load(ckpt.reader(uri))``."""

    def __init__(self, region: str, endpoint: Optional[str] = None, s3client_config: Optional[S3ClientConfig] = None):
        self.region = region
        self.endpoint = endpoint
        self._client = S3Client(region, endpoint=endpoint, s3client_config=s3client_config)

    def reader(self, s3_uri: str):
        bucket, key = parse_s3_uri(s3_uri)
        return self._client.get_object(bucket, key)

    def writer(self, s3_uri: str):
        bucket, key = parse_s3_uri(s3_uri)
        return self._client.put_object(bucket, key)
