"""PyTorch datasets over object URIs, and checkpoint files for ``torch.save`` / ``torch.load``.

Importing this module needs torch; ``import mlstor`` does not.

- :class:`IterableDataset` / :class:`MapDataset`: ``from_prefix("s3://bucket/train/")`` or
  ``from_uris([...])`` on any scheme. Items are ``transform(uri, data)`` where ``data`` is a
  zero-copy :class:`mlstor.Buffer` (default transform: ``(uri, tensor)``, the tensor a uint8
  view of the data without a copy (read-only memory; see :func:`as_tensor`), which PyTorch's
  default collate batches: a list of URIs and a stacked tensor, for equal-sized objects).
- Sharding (on by default for the iterable dataset): objects are split first across
  distributed ranks (``torch.distributed``, if initialised) and then across DataLoader
  workers, so in one epoch every object is read exactly once. ``shuffle=True`` permutes with
  ``seed + epoch`` (call :meth:`IterableDataset.set_epoch`), identically in every process,
  before sharding.
- Reads run ``max_in_flight`` at a time inside each worker (``get_iter`` reads ahead while the
  transform runs; a map dataset's batches are fetched together through ``__getitems__``).
- :func:`reader` / :func:`writer`: checkpoint files (``torch.save(sd, writer(uri))``,
  ``torch.load(reader(uri))``); ``with writer(uri) as f: torch.save(sd, f)`` uploads nothing
  when an exception leaves the block. A writer never closed is completed when it is
  garbage-collected, as a Python file is (with a ``ResourceWarning``).
"""
import random
import warnings

import torch
from torch.utils import data as _data

from . import _mlstor
from ._io import Reader, Writer

__all__ = ["IterableDataset", "MapDataset", "reader", "writer", "as_tensor", "shard_info"]


def _default_transform(uri, data):
    return uri, as_tensor(data)


def shard_info():
    """(rank, world_size, worker_id, num_workers) of the calling process."""
    dist = torch.distributed
    rank, world = 0, 1
    if dist.is_available() and dist.is_initialized():
        rank, world = dist.get_rank(), dist.get_world_size()
    info = _data.get_worker_info()
    wid, nw = (info.id, info.num_workers) if info is not None else (0, 1)
    return rank, world, wid, nw


def as_tensor(buffer, dtype=torch.uint8):
    """A tensor sharing the Buffer's memory (read-only memory: do not write into it; torch's
    "not writable" warning is silenced). Use ``torch.tensor(bytearray(b))`` for a writable copy."""
    if len(buffer) == 0:
        return torch.empty(0, dtype=dtype)  # frombuffer refuses an empty buffer
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given buffer is not writable")
        return torch.frombuffer(buffer, dtype=dtype)


class _Source:
    """The objects of a dataset: a prefix (listed when needed) or an explicit list of URIs;
    with ``store``, names are keys of that store."""

    def __init__(self, prefix=None, uris=None, store=None):
        if (prefix is None) == (uris is None):
            raise ValueError("give exactly one of prefix= or uris=")
        if isinstance(uris, str):
            uris = [uris]
        self.prefix, self.store = prefix, store
        self.uris = None if uris is None else [str(u) for u in uris]

    def names(self):
        if self.uris is not None:
            return list(self.uris)
        listing = _mlstor.list(self.prefix) if self.store is None else self.store.list(self.prefix)
        return [m.uri if self.store is None else m.key for m in listing if not m.is_prefix]

    def get_iter(self, names, max_in_flight):
        if self.store is None:
            return _mlstor.get_iter(names, max_in_flight)
        return self.store.get_iter(names, max_in_flight)

    def get_many(self, names, max_in_flight):
        if self.store is None:
            return _mlstor.get_many(names, max_in_flight)
        return self.store.get_many(names, max_in_flight)

    def get(self, name):
        return _mlstor.get(name) if self.store is None else self.store.get(name)


class _Constructors:
    @classmethod
    def from_prefix(cls, uri, **kwargs):
        """Every object under ``uri``, in key order (an iterable dataset lists it at each
        iteration, a map dataset once, on first use)."""
        return cls(prefix=uri, **kwargs)

    @classmethod
    def from_uris(cls, uris, **kwargs):
        """The given objects, in the given order."""
        return cls(uris=uris, **kwargs)


class IterableDataset(_Constructors, _data.IterableDataset):
    """Streams objects (see the module docs). ``shard=False`` makes every worker of every rank
    yield every object (s3torchconnector's default; usually not what you want)."""

    def __init__(self, *, prefix=None, uris=None, store=None, transform=None, shuffle=False, seed=0,
                 shard=True, max_in_flight=16):
        super().__init__()
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        self._source = _Source(prefix, uris, store)
        self.transform = transform or _default_transform
        self.shuffle, self.seed, self.shard, self.max_in_flight = shuffle, seed, shard, max_in_flight
        self.epoch = 0

    def set_epoch(self, epoch):
        """The epoch mixed into the shuffle seed (call before each epoch's iteration)."""
        self.epoch = int(epoch)

    def shard_names(self, rank=None, world=None, worker=None, workers=None):
        """The names this process (or the given rank/worker) reads in the current epoch."""
        names = self._source.names()
        if self.shuffle:
            random.Random(self.seed + self.epoch).shuffle(names)
        if not self.shard:
            return names
        r, w, wid, nw = shard_info()
        r, w = (r if rank is None else rank), (w if world is None else world)
        wid, nw = (wid if worker is None else worker), (nw if workers is None else workers)
        return names[r::w][wid::nw]

    def __iter__(self):
        names = self.shard_names()
        for name, data in self._source.get_iter(names, self.max_in_flight):
            yield self.transform(name, data)


class MapDataset(_Constructors, _data.Dataset):
    """Random access by index over a prefix (listed once, on first use) or a list of URIs.
    DataLoader's batched fetch (``__getitems__``) reads a batch's objects concurrently."""

    def __init__(self, *, prefix=None, uris=None, store=None, transform=None, max_in_flight=16):
        super().__init__()
        self._source = _Source(prefix, uris, store)
        self.transform = transform or _default_transform
        self.max_in_flight = max_in_flight
        self._names = self._source.uris

    @property
    def names(self):
        if self._names is None:
            self._names = self._source.names()
        return self._names

    def __len__(self):
        return len(self.names)

    def __getitem__(self, i):
        name = self.names[i]
        return self.transform(name, self._source.get(name))

    def __getitems__(self, indices):
        names = [self.names[i] for i in indices]
        datas = self._source.get_many(names, self.max_in_flight)
        return [self.transform(n, d) for n, d in zip(names, datas)]


def reader(uri, **kwargs):
    """A seekable binary file over ``uri`` for ``torch.load`` (see :class:`mlstor.Reader`)."""
    return Reader(uri, **kwargs)


def writer(uri, **kwargs):
    """A binary file that uploads ``uri`` on close, for ``torch.save`` (see :class:`mlstor.Writer`):
    ``torch.save(sd, writer(uri))`` completes the object when the writer is collected (as a
    Python file would); ``with writer(uri) as f: torch.save(sd, f)`` also discards it when
    ``torch.save`` raises."""
    return Writer(uri, **kwargs)
