import os
from collections import defaultdict
from functools import partial
from typing import Dict, List, Optional, Union

from .dcp_optimized import DEFAULT_MAX_GAP_SIZE, FALLBACK_GUIDANCE, DCPOptimizedS3Reader, ItemRange
from .protocol import DCPS3ReaderConstructorProtocol, S3ReaderConstructorProtocol
from .ranged import RangedS3Reader
from .s3reader import S3Reader
from .sequential import SequentialS3Reader


class DCPOptimizedConstructor:
    """Builds DCPOptimizedS3Reader for checkpoint shards from the ranges S3StorageReader injects;
    ``.metadata`` files get a SequentialS3Reader; other keys without ranges are an error."""

    def __init__(self, max_gap_size: Union[int, float] = DEFAULT_MAX_GAP_SIZE) -> None:
        if max_gap_size < 0:
            raise ValueError("max_gap_size must be non-negative")
        self._item_ranges_by_file: Dict[str, List[ItemRange]] = {}
        self._max_gap_size = max_gap_size

    def set_item_ranges_by_file(self, plan_items, storage_data, base_path) -> None:
        self._item_ranges_by_file = defaultdict(list)
        if not plan_items:
            return
        if not storage_data:
            raise ValueError("storage_data must not be empty; required to map ReadItems to file ranges.")
        for item in plan_items:
            md = storage_data[item.storage_index]
            uri = os.path.join(os.fspath(base_path), md.relative_path)
            self._item_ranges_by_file[uri].append(ItemRange(md.offset, md.offset + md.length))

    def __call__(self, bucket: str, key: str, get_object_info, get_stream) -> S3Reader:
        if key.endswith(".metadata"):
            return SequentialS3Reader(bucket, key, get_object_info, get_stream)
        from .._native import uri_of
        uri = uri_of(bucket, key)
        if uri in self._item_ranges_by_file:
            return DCPOptimizedS3Reader(bucket, key, item_ranges=self._item_ranges_by_file[uri],
                                        get_object_info=get_object_info, get_stream=get_stream,
                                        max_gap_size=self._max_gap_size)
        raise ValueError(f"No ranges found for {uri}. Make sure range injection is used in "
                         f"'S3StorageReader.prepare_local_plan'.\n{FALLBACK_GUIDANCE}")


class S3ReaderConstructor:
    """Factories of reader constructors (``partial(S3Reader)``), completed by S3Client."""

    @staticmethod
    def sequential() -> S3ReaderConstructorProtocol:
        return partial(SequentialS3Reader)

    @staticmethod
    def range_based(buffer_size: Optional[int] = None) -> S3ReaderConstructorProtocol:
        return partial(RangedS3Reader, buffer_size=buffer_size)

    @staticmethod
    def dcp_optimized(max_gap_size: Union[int, float] = DEFAULT_MAX_GAP_SIZE) -> DCPS3ReaderConstructorProtocol:
        return DCPOptimizedConstructor(max_gap_size=max_gap_size)

    @staticmethod
    def default() -> S3ReaderConstructorProtocol:
        return S3ReaderConstructor.sequential()

    @staticmethod
    def get_reader_type_string(constructor: Optional[S3ReaderConstructorProtocol]) -> str:
        if constructor is None:
            return S3ReaderConstructor.get_reader_type_string(S3ReaderConstructor.default())
        if isinstance(constructor, DCPOptimizedConstructor):
            return "dcp_optimized"
        if not isinstance(constructor, partial):
            return "unknown"
        if constructor.func == RangedS3Reader:
            return "range_based"
        if constructor.func == SequentialS3Reader:
            return "sequential"
        return "unknown"
