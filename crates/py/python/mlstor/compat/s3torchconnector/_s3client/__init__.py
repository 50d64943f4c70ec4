from .s3client_config import S3ClientConfig
from ._s3client import S3Client
from ._mock_s3client import MockS3Client

__all__ = ["S3ClientConfig", "S3Client", "MockS3Client"]
