"""How S3StorageWriter names each rank's files: ``<prefix>__<rank>_<n>.distcp``. Spreading
ranks over distinct leading prefixes avoids per-prefix request throttling on S3."""
from abc import ABC, abstractmethod
from typing import List, Optional

import torch.distributed as dist


class S3PrefixStrategyBase(ABC):
    def __init__(self):
        pass

    def __call__(self, rank: int) -> str:
        return self.generate_prefix(rank)

    @abstractmethod
    def generate_prefix(self, rank: int) -> str: ...


class DefaultPrefixStrategy(S3PrefixStrategyBase):
    def generate_prefix(self, rank: int) -> str:
        return f"__{rank}_"


def _epoch(epoch_num):
    return f"epoch_{epoch_num}/" if epoch_num is not None else ""


class NumericPrefixStrategy(S3PrefixStrategyBase):
    """``<reversed base-N number, zero padded>/[epoch_E/]__<rank>_``, one of ``prefix_count``
    (default: the world size) prefixes per rank."""

    def __init__(self, base: int, epoch_num: Optional[int] = None, min_prefix_length: int = 10,
                 prefix_count: Optional[int] = None):
        if min_prefix_length < 1:
            raise ValueError(f"Minimum prefix length must be positive, got {min_prefix_length}")
        if epoch_num is not None and not isinstance(epoch_num, int):
            raise ValueError(f"Epoch number must be None or an integer, got {epoch_num}")
        if prefix_count is not None and (not isinstance(prefix_count, int) or prefix_count < 1):
            raise ValueError(f"Prefix count must be a positive integer, got {prefix_count}")
        super().__init__()
        self.base, self.epoch_num, self.min_prefix_len = base, epoch_num, min_prefix_length
        if prefix_count is not None:
            self.prefix_count = prefix_count
        elif dist.is_available() and dist.is_initialized():
            self.prefix_count = dist.get_world_size()
        else:
            self.prefix_count = 1
        digits, size = 1, base
        while size < self.prefix_count:
            digits, size = digits + 1, size * base
        width = max(digits, self.min_prefix_len)
        self.prefix_map = [self._format_number(i, width)[::-1] for i in range(self.prefix_count)]

    def generate_prefix(self, rank: int) -> str:
        return f"{self.prefix_map[rank % len(self.prefix_map)]}/{_epoch(self.epoch_num)}__{rank}_"

    @abstractmethod
    def _format_number(self, number: int, length: int) -> str: ...


class BinaryPrefixStrategy(NumericPrefixStrategy):
    def __init__(self, epoch_num: Optional[int] = None, min_prefix_length: int = 10, prefix_count: Optional[int] = None):
        super().__init__(base=2, epoch_num=epoch_num, min_prefix_length=min_prefix_length, prefix_count=prefix_count)

    def _format_number(self, number: int, length: int) -> str:
        return format(number, f"0{length}b")


class HexPrefixStrategy(NumericPrefixStrategy):
    def __init__(self, epoch_num: Optional[int] = None, min_prefix_length: int = 10, prefix_count: Optional[int] = None):
        super().__init__(base=16, epoch_num=epoch_num, min_prefix_length=min_prefix_length, prefix_count=prefix_count)

    def _format_number(self, number: int, length: int) -> str:
        return format(number, f"0{length}x")


class RoundRobinPrefixStrategy(S3PrefixStrategyBase):
    def __init__(self, user_prefixes: List[str], epoch_num: Optional[int] = None):
        super().__init__()
        if not user_prefixes:
            raise ValueError("user_prefixes must not be empty")
        self.user_prefixes, self.epoch_num = user_prefixes, epoch_num

    def generate_prefix(self, rank: int) -> str:
        return f"{self.user_prefixes[rank % len(self.user_prefixes)]}/{_epoch(self.epoch_num)}__{rank}_"
