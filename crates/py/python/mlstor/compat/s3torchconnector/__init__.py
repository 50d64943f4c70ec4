"""A drop-in for AWS's s3torchconnector 1.5 on mlstor: change
``from s3torchconnector import ...`` to ``from mlstor.compat.s3torchconnector import ...``.

Same names, signatures and behaviours (including its quirks that code relies on, such as the
exact S3Exception texts), plus: ``az://``, ``gs://``, ``file://``, ``direct://`` and
``memory://`` URIs wherever an s3:// URI is taken, and an ``endpoint=`` on the DCP classes.
Submodules mirror the original: ``._s3client`` (S3Client, S3ClientConfig, MockS3Client),
``.s3reader``, ``.dcp`` (needs torch.distributed.checkpoint), ``.lightning`` (needs lightning).
"""
from ._native import S3Exception
from .s3reader import S3Reader, S3ReaderConstructor
from .s3writer import S3Writer
from .s3iterable_dataset import S3IterableDataset
from .s3map_dataset import S3MapDataset
from .s3checkpoint import S3Checkpoint
from ._version import __version__
from ._s3client import S3ClientConfig

__all__ = [
    "S3IterableDataset",
    "S3MapDataset",
    "S3Checkpoint",
    "S3Reader",
    "S3ReaderConstructor",
    "S3Writer",
    "S3Exception",
    "S3ClientConfig",
    "__version__",
]
