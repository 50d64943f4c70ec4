"""The reader S3StorageReader uses by default: it knows which byte ranges the load plan needs,
coalesces ranges closer than ``max_gap_size`` into one ranged GET per group, and serves the
plan's reads from those zero-copy chunks."""
from dataclasses import dataclass
from typing import List, Union

from .ranged import fetch
from .s3reader import _ServedReader

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


class DCPOptimizedS3Reader(_ServedReader):
    def __init__(self, bucket: str, key: str, item_ranges: List[ItemRange], get_object_info, get_stream,
                 max_gap_size: Union[int, float] = DEFAULT_MAX_GAP_SIZE):
        super().__init__(bucket, key, get_object_info, get_stream)
        if not item_ranges:
            raise ValueError("item_ranges must be a non-empty list")
        if max_gap_size < 0:
            raise ValueError("max_gap_size must be non-negative")
        self._groups = coalesce(list(item_ranges), max_gap_size)
        self._loaded = {}  # group index -> memoryview

    def _serve(self, start, end):
        for i, g in enumerate(self._groups):
            if g.start <= start and end <= g.end:
                if i not in self._loaded:
                    self._loaded = {i: fetch(self._get_stream, g.start, g.end)}  # groups are read in order
                return self._loaded[i][start - g.start:end - g.start]
        # Outside the plan's ranges (a custom planner): a plain ranged read.
        end = min(end, self._size)
        return fetch(self._get_stream, start, end) if end > start else memoryview(b"")
