"""torch.distributed.checkpoint (DCP) storage on object stores: S3FileSystem, S3StorageWriter,
S3StorageReader. Beyond s3torchconnector 1.5, the writer and reader take ``endpoint=``."""
import dataclasses
import io
import logging
import os
import random
import time
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generator, List, Optional, Union

import torch
from torch.distributed.checkpoint.filesystem import FileSystemBase, FileSystemReader, FileSystemWriter
from torch.distributed.checkpoint.planner import LoadPlan, SavePlan

from .._native import NOT_FOUND_HEAD, S3Exception
from .._s3client import S3Client, S3ClientConfig
from .._s3dataset_common import parse_s3_uri
from .._user_agent import UserAgent
from ..s3reader import DCPS3ReaderConstructorProtocol, S3ReaderConstructor, S3ReaderConstructorProtocol
from .s3_prefix_strategy import DefaultPrefixStrategy, S3PrefixStrategyBase

logger = logging.getLogger(__name__)


def _path_or_str_to_str(path: Union[str, os.PathLike]) -> str:
    return path if isinstance(path, str) else str(path)


class S3FileSystem(FileSystemBase):
    def __init__(self, region: str, s3_client: Optional[S3Client] = None,
                 s3client_config: Optional[S3ClientConfig] = None,
                 reader_constructor: Optional[S3ReaderConstructorProtocol] = None,
                 endpoint: Optional[str] = None) -> None:
        self._path: Union[str, os.PathLike] = ""
        self._reader_constructor = reader_constructor or S3ReaderConstructor.default()
        kind = S3ReaderConstructor.get_reader_type_string(self._reader_constructor)
        ua = UserAgent(["dcp", torch.__version__, f"md/reader_type#{kind}"])
        self._client = s3_client if s3_client is not None else S3Client(
            region=region, endpoint=endpoint, user_agent=ua, s3client_config=s3client_config)

    @contextmanager
    def create_stream(self, path: Union[str, os.PathLike], mode: str) -> Generator[io.IOBase, None, None]:
        bucket, key = parse_s3_uri(_path_or_str_to_str(path))
        if mode == "wb":
            with self._client.put_object(bucket, key) as stream:
                yield stream
        elif mode == "rb":
            with self._client.get_object(bucket, key, reader_constructor=self._reader_constructor) as stream:
                yield stream
        else:
            raise ValueError(f"Invalid {mode=} mode argument: create_stream only supports rb (read mode) & wb (write mode)")

    def concat_path(self, path: Union[str, os.PathLike], suffix: str) -> str:
        return os.path.join(os.fspath(path), suffix)

    def init_path(self, path: Union[str, os.PathLike]) -> Union[str, os.PathLike]:
        self._path = path
        return self._path

    def rename(self, old_path: Union[str, os.PathLike], new_path: Union[str, os.PathLike]) -> None:
        """A copy (key URL-escaped per segment, as s3torchconnector sends it) and a delete with retries."""
        old_bucket, old_key = parse_s3_uri(_path_or_str_to_str(old_path))
        new_bucket, new_key = parse_s3_uri(_path_or_str_to_str(new_path))
        if old_bucket != new_bucket:
            raise ValueError("Source and destination buckets cannot be different (rename does not support cross-buckets operations)")
        self._client.copy_object(src_bucket=old_bucket, src_key=self._escape_path(old_key),
                                 dst_bucket=new_bucket, dst_key=new_key)
        self._delete_with_retry(old_bucket, old_key)

    def mkdir(self, path: Union[str, os.PathLike]) -> None:
        pass

    def exists(self, path: Union[str, os.PathLike]) -> bool:
        bucket, key = parse_s3_uri(_path_or_str_to_str(path))
        try:
            self._client.head_object(bucket, key)
        except S3Exception as e:
            if str(e) != NOT_FOUND_HEAD:
                raise
            return False
        return True

    def rm_file(self, path: Union[str, os.PathLike]) -> None:
        bucket, key = parse_s3_uri(_path_or_str_to_str(path))
        try:
            self._client.delete_object(bucket, key)
        except S3Exception:
            logger.exception("Failed to remove object from S3")

    @classmethod
    def validate_checkpoint_id(cls, checkpoint_id: Union[str, os.PathLike]) -> bool:
        if isinstance(checkpoint_id, Path):
            return True
        try:
            parse_s3_uri(_path_or_str_to_str(checkpoint_id))
        except ValueError:
            return False
        return True

    def _delete_with_retry(self, bucket_name: str, old_key: str):
        for attempt in range(3):  # 3 attempts, random exponential wait (at most 5 s), S3Exception only
            try:
                return self._client.delete_object(bucket_name, old_key)
            except S3Exception:
                if attempt == 2:
                    raise
                logger.warning("delete of %s failed; retrying", old_key)
                time.sleep(random.uniform(0, min(5, 2 ** attempt)))

    @staticmethod
    def _escape_path(string):
        if not string:
            return string
        return "/".join(urllib.parse.quote(part, safe="") for part in string.split("/"))


@dataclass
class StorageMetadata:
    prefix: str


class S3StorageWriter(FileSystemWriter):
    def __init__(self, region: str, path: str, s3client_config: Optional[S3ClientConfig] = None,
                 prefix_strategy: Optional[S3PrefixStrategyBase] = None, thread_count: int = 1,
                 endpoint: Optional[str] = None, **kwargs) -> None:
        super().__init__(path=path, sync_files=False, thread_count=thread_count, **kwargs)
        self.fs = S3FileSystem(region, s3client_config=s3client_config, endpoint=endpoint)  # type: ignore
        self.path = self.fs.init_path(path)
        self.prefix_strategy = prefix_strategy or DefaultPrefixStrategy()

    def prepare_global_plan(self, plans: List[SavePlan]) -> List[SavePlan]:
        return [dataclasses.replace(plan, storage_data=StorageMetadata(self.prefix_strategy(idx)))
                for idx, plan in enumerate(plans)]

    @classmethod
    def validate_checkpoint_id(cls, checkpoint_id: Union[str, os.PathLike]) -> bool:
        return S3FileSystem.validate_checkpoint_id(checkpoint_id)


class S3StorageReader(FileSystemReader):
    """Reads with DCPOptimizedS3Reader by default (S3ReaderConstructor.dcp_optimized())."""

    def __init__(self, region: str, path: Union[str, os.PathLike], s3client_config: Optional[S3ClientConfig] = None,
                 reader_constructor=None, endpoint: Optional[str] = None) -> None:
        super().__init__(path)
        self._reader_constructor = reader_constructor or S3ReaderConstructor.dcp_optimized()
        self.fs = S3FileSystem(region, s3client_config=s3client_config,  # type: ignore[assignment]
                               reader_constructor=self._reader_constructor, endpoint=endpoint)
        self.path = self.fs.init_path(path)
        self.sync_files = False

    @classmethod
    def validate_checkpoint_id(cls, checkpoint_id: Union[str, os.PathLike]) -> bool:
        return S3FileSystem.validate_checkpoint_id(checkpoint_id)

    def prepare_local_plan(self, plan: LoadPlan) -> LoadPlan:
        """Sorts the items by their offset in the shard files and hands their byte ranges to a
        DCP-optimised reader constructor."""
        plan.items.sort(key=lambda item: self.storage_data[item.storage_index].offset)
        if isinstance(self._reader_constructor, DCPS3ReaderConstructorProtocol):
            self._reader_constructor.set_item_ranges_by_file(plan.items, self.storage_data, self.path)
        return plan
