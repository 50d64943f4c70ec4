from functools import partial
from typing import Any, Callable, Iterable, List, Optional, Union

import torch.utils.data

from ._s3bucket_key_data import S3BucketKeyData
from ._s3client import S3Client, S3ClientConfig
from ._s3dataset_common import _DatasetClient, get_objects_from_prefix, get_objects_from_uris, identity
from .s3reader import S3Reader
from .s3reader.protocol import S3ReaderConstructorProtocol


class S3MapDataset(_DatasetClient, torch.utils.data.Dataset):
    """Random access to objects; the prefix is listed on the first ``len()`` / ``[i]`` and the
    list is kept (so DataLoader workers forked afterwards inherit it)."""

    _kind = "map"

    def __init__(self, region: str, get_dataset_objects: Callable[[S3Client], Iterable[S3BucketKeyData]],
                 endpoint: Optional[str] = None, transform: Callable[[S3Reader], Any] = identity,
                 s3client_config: Optional[S3ClientConfig] = None,
                 reader_constructor: Optional[S3ReaderConstructorProtocol] = None):
        self._init_client(region, get_dataset_objects, endpoint, transform, s3client_config, reader_constructor)
        self._bucket_key_pairs: Optional[List[S3BucketKeyData]] = None

    @property
    def _dataset_bucket_key_pairs(self) -> List[S3BucketKeyData]:
        if self._bucket_key_pairs is None:
            self._bucket_key_pairs = list(self._get_dataset_objects(self._get_client()))
        return self._bucket_key_pairs

    @classmethod
    def from_objects(cls, object_uris: Union[str, Iterable[str]], *, region: str, endpoint: Optional[str] = None,
                     transform: Callable[[S3Reader], Any] = identity, s3client_config: Optional[S3ClientConfig] = None,
                     reader_constructor: Optional[S3ReaderConstructorProtocol] = None):
        return cls(region, partial(get_objects_from_uris, object_uris), endpoint, transform=transform,
                   s3client_config=s3client_config, reader_constructor=reader_constructor)

    @classmethod
    def from_prefix(cls, s3_uri: str, *, region: str, endpoint: Optional[str] = None,
                    transform: Callable[[S3Reader], Any] = identity, s3client_config: Optional[S3ClientConfig] = None,
                    reader_constructor: Optional[S3ReaderConstructorProtocol] = None):
        return cls(region, partial(get_objects_from_prefix, s3_uri), endpoint, transform=transform,
                   s3client_config=s3client_config, reader_constructor=reader_constructor)

    def _get_object(self, i: int) -> S3Reader:
        return self._reader(self._dataset_bucket_key_pairs[i])

    def __getitem__(self, i: int) -> Any:
        return self._transform(self._get_object(i))

    def __len__(self):
        return len(self._dataset_bucket_key_pairs)
