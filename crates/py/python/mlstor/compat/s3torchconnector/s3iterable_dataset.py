from functools import partial
from typing import Any, Callable, Iterable, Iterator, Optional, Union

import torch
import torch.utils.data

from ._s3bucket_key_data import S3BucketKeyData
from ._s3client import S3Client, S3ClientConfig
from ._s3dataset_common import _DatasetClient, get_objects_from_prefix, get_objects_from_uris, identity
from .s3reader import S3Reader
from .s3reader.protocol import S3ReaderConstructorProtocol


class S3IterableDataset(_DatasetClient, torch.utils.data.IterableDataset):
    """Objects in listing order, each given to ``transform`` as a lazy S3Reader.

    Beware (as in s3torchconnector): with ``enable_sharding=False`` (the default) EVERY
    DataLoader worker and every rank yields the WHOLE dataset. With ``enable_sharding=True``
    objects are split round-robin first by distributed rank (captured at construction), then
    by DataLoader worker, so each object is read once per epoch."""

    _kind = "iterable"

    def __init__(self, region: str, get_dataset_objects: Callable[[S3Client], Iterable[S3BucketKeyData]],
                 endpoint: Optional[str] = None, transform: Callable[[S3Reader], Any] = identity,
                 s3client_config: Optional[S3ClientConfig] = None, enable_sharding: bool = False,
                 reader_constructor: Optional[S3ReaderConstructorProtocol] = None):
        self._init_client(region, get_dataset_objects, endpoint, transform, s3client_config, reader_constructor)
        self._enable_sharding = enable_sharding
        self._rank, self._world_size = 0, 1
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            self._rank = torch.distributed.get_rank()
            self._world_size = torch.distributed.get_world_size()

    @classmethod
    def from_objects(cls, object_uris: Union[str, Iterable[str]], *, region: str, endpoint: Optional[str] = None,
                     transform: Callable[[S3Reader], Any] = identity, s3client_config: Optional[S3ClientConfig] = None,
                     enable_sharding: bool = False, reader_constructor: Optional[S3ReaderConstructorProtocol] = None):
        return cls(region, partial(get_objects_from_uris, object_uris), endpoint, transform=transform,
                   s3client_config=s3client_config, enable_sharding=enable_sharding,
                   reader_constructor=reader_constructor)

    @classmethod
    def from_prefix(cls, s3_uri: str, *, region: str, endpoint: Optional[str] = None,
                    transform: Callable[[S3Reader], Any] = identity, s3client_config: Optional[S3ClientConfig] = None,
                    enable_sharding: bool = False, reader_constructor: Optional[S3ReaderConstructorProtocol] = None):
        return cls(region, partial(get_objects_from_prefix, s3_uri), endpoint, transform=transform,
                   s3client_config=s3client_config, enable_sharding=enable_sharding,
                   reader_constructor=reader_constructor)

    def _get_transformed_object(self, bucket_key: S3BucketKeyData) -> Any:
        return self._transform(self._reader(bucket_key))

    def __iter__(self) -> Iterator[Any]:
        worker_id, num_workers = 0, 1
        if self._enable_sharding:
            info = torch.utils.data.get_worker_info()
            if info is not None:
                worker_id, num_workers = info.id, info.num_workers
        objects = self._get_dataset_objects(self._get_client())
        if not self._enable_sharding or (self._world_size == 1 and num_workers == 1):
            return map(self._get_transformed_object, objects)
        on_rank = (o for i, o in enumerate(objects) if i % self._world_size == self._rank)
        on_worker = (o for i, o in enumerate(on_rank) if i % num_workers == worker_id)
        return map(self._get_transformed_object, on_worker)
