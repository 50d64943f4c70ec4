"""Lightning CheckpointIO on object stores. Importing this without lightning installed raises
ModuleNotFoundError, as in s3torchconnector."""
from typing import Any, Dict, Optional

import lightning  # noqa: F401 - fail early, like the original
import torch
from lightning.pytorch.plugins.io import CheckpointIO

from .._s3client import S3Client, S3ClientConfig
from .._s3dataset_common import parse_s3_uri
from .._user_agent import UserAgent


class S3LightningCheckpoint(CheckpointIO):
    def __init__(self, region: str, s3client_config: Optional[S3ClientConfig] = None, endpoint: Optional[str] = None):
        self.region = region
        ua = UserAgent(["lightning", lightning.__version__])
        self._client = S3Client(region, user_agent=ua, s3client_config=s3client_config, endpoint=endpoint)

    def save_checkpoint(self, checkpoint: Dict[str, Any], path: str, storage_options: Optional[Any] = None) -> None:
        _check_path(path)
        with self._client.put_object(*parse_s3_uri(path)) as s3writer:
            torch.save(checkpoint, s3writer)

    def load_checkpoint(self, path: str, map_location: Optional[Any] = None, weights_only: Optional[bool] = None) -> Dict[str, Any]:
        _check_path(path)
        reader = self._client.get_object(*parse_s3_uri(path))
        kw = {} if weights_only is None else {"weights_only": weights_only}
        return torch.load(reader, map_location, **kw)  # type: ignore

    def remove_checkpoint(self, path: str) -> None:
        _check_path(path)
        self._client.delete_object(*parse_s3_uri(path))

    def teardown(self) -> None:
        pass


def _check_path(path):
    if not isinstance(path, str):
        raise TypeError(f"{type(path).__name__!r} is not a supported type for 'path'. Must be a string formatted as an S3 uri.")
