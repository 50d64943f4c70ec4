import platform
from typing import List, Optional

from ._version import __version__


class UserAgent:
    """s3torchconnector's user agent string (kept for compatibility; mlstor's client sends its own)."""

    def __init__(self, comments: Optional[List[str]] = None):
        if comments is not None and not isinstance(comments, list):
            raise ValueError("Argument comments must be a List[str]")
        self._comments = comments or []

    @property
    def prefix(self):
        try:
            import torch
            torch_version = torch.__version__
        except ImportError:
            torch_version = "unknown"
        base = (f"s3torchconnector/{__version__} ua/2.1 os/{platform.system()}#{platform.release()} "
                f"lang/python#{platform.python_version()} md/arch#{platform.machine()} md/pytorch#{torch_version}")
        comments = " ".join(self._comments)
        return f"{base} ({comments})" if comments else base
