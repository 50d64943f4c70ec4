from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class S3ClientConfig:
    """Parameters of the S3 client (s3torchconnector 1.5's six fields, same defaults).

    throughput_target_gbps: target throughput; sets how many parts an upload sends at once.
    part_size: size of upload parts, 5 MiB..5 GiB (8 MiB by default).
    unsigned: anonymous (unsigned) requests.
    force_path_style: path-style addressing (custom endpoints such as MinIO/SeaweedFS).
    max_attempts: attempts for retryable errors.
    profile: AWS profile whose static keys sign requests.
    requester_pays: accepted for forward compatibility (newer s3torchconnector); True raises.
    """

    throughput_target_gbps: float = 10.0
    part_size: int = 8 * 1024 * 1024
    unsigned: bool = False
    force_path_style: bool = False
    max_attempts: int = 10
    profile: Optional[str] = None
    requester_pays: bool = False
