"""The reader S3StorageReader uses by default: it knows which byte ranges the load plan needs,
coalesces ranges closer than ``max_gap_size`` into one ranged GET per group, and serves the
plan's reads from those zero-copy chunks."""
from dataclasses import dataclass
from functools import cached_property
from io import SEEK_CUR, SEEK_END
from typing import List, Union

from .ranged import fetch
from .s3reader import S3Reader, as_bytes_view, check_read_size, check_seek_args

DEFAULT_MAX_GAP_SIZE = 32 * 1024 * 1024
FALLBACK_GUIDANCE = (
    "For unsupported or non-DCP access patterns, use the generic reader: "
    "S3StorageReader(region, path, reader_constructor=S3ReaderConstructor.default())"
)


@dataclass
class ItemRange:
    """Byte range of one DCP ReadItem: inclusive start, exclusive end."""

    start: int
    end: int


@dataclass
class RangeGroup:
    """Nearby ItemRanges served by one ranged GET."""

    start: int
    end: int
    item_ranges: List[ItemRange]


def coalesce(ranges: List[ItemRange], max_gap_size: Union[int, float]) -> List[RangeGroup]:
    groups: List[RangeGroup] = []
    for r in sorted(ranges, key=lambda r: r.start):
        if r.end < r.start or r.start < 0:
            raise ValueError(f"invalid item range {r}")
        if groups and r.start - groups[-1].end <= max_gap_size:
            g = groups[-1]
            g.end = max(g.end, r.end)
            g.item_ranges.append(r)
        else:
            groups.append(RangeGroup(r.start, r.end, [r]))
    return groups


class DCPOptimizedS3Reader(S3Reader):
    def __init__(self, bucket: str, key: str, item_ranges: List[ItemRange], get_object_info, get_stream,
                 max_gap_size: Union[int, float] = DEFAULT_MAX_GAP_SIZE):
        if not bucket:
            raise ValueError("Bucket should be specified")
        if not item_ranges:
            raise ValueError("item_ranges must be a non-empty list")
        if max_gap_size < 0:
            raise ValueError("max_gap_size must be non-negative")
        self._bucket, self._key = bucket, key
        self._get_object_info, self._get_stream = get_object_info, get_stream
        self._groups = coalesce(list(item_ranges), max_gap_size)
        self._loaded = {}  # group index -> memoryview
        self._position = 0

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def key(self) -> str:
        return self._key

    @cached_property
    def _size(self) -> int:
        return self._get_object_info().size

    def _serve(self, start, end):
        for i, g in enumerate(self._groups):
            if g.start <= start and end <= g.end:
                if i not in self._loaded:
                    self._loaded = {i: fetch(self._get_stream, g.start, g.end)}  # groups are read in order
                return self._loaded[i][start - g.start:end - g.start]
        # Outside the plan's ranges (a custom planner): a plain ranged read.
        end = min(end, self._size)
        return fetch(self._get_stream, start, end) if end > start else memoryview(b"")

    def read(self, size=None) -> bytes:
        check_read_size(size)
        start = self._position
        end = self._size if size is None or size < 0 else start + size
        view = self._serve(start, end)
        self._position = start + len(view)
        return bytes(view)

    def readinto(self, buf) -> int:
        mv = as_bytes_view(buf)
        view = self._serve(self._position, self._position + len(mv))
        mv[:len(view)] = view
        self._position += len(view)
        return len(view)

    def seek(self, offset: int, whence: int = 0, /) -> int:
        check_seek_args(offset, whence)
        if whence == SEEK_END:
            offset += self._size
        elif whence == SEEK_CUR:
            offset += self._position
        if offset < 0:
            raise ValueError(f"negative seek value {offset}")
        self._position = offset
        return offset

    def tell(self) -> int:
        return self._position
