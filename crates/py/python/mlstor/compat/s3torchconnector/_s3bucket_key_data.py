from typing import NamedTuple, Optional

from ._native import ObjectInfo


class S3BucketKeyData(NamedTuple):
    """Read-only information about an object."""

    bucket: str
    key: str
    object_info: Optional[ObjectInfo] = None
