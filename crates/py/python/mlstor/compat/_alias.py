"""Import aliasing: ``import s3dlio`` (and ``s3dlio.x``) answered by ``mlstor.compat.s3dlio``.

``mlstor dlio`` puts ``_dlio_path/`` first on ``PYTHONPATH``; its ``s3dlio`` and
``s3torchconnector`` packages call :func:`alias`, which replaces them in ``sys.modules`` with
mlstor's drop-ins and installs a finder so that submodules (``s3torchconnector._s3client``,
``s3torchconnector.s3reader``) are mlstor's modules too, one object per module, never a
second copy. ``PYTHONPATH`` is inherited, so DataLoader workers started with ``spawn`` and
``mpirun`` ranks are aliased the same way.
"""
import importlib
import importlib.abc
import importlib.util
import sys

_PREFIX = "mlstor.compat."


class _Loader(importlib.abc.Loader):
    def __init__(self, real):
        self.real = real
        self.spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.real)
        self.spec = module.__spec__  # importlib overwrites __spec__; exec_module restores it
        return module

    def exec_module(self, module):
        module.__spec__ = self.spec


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self):
        self.names = set()

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] not in self.names:
            return None
        real = _PREFIX + fullname
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, _Loader(real))


_finder = _Finder()


def alias(name):
    """Make ``name`` and its submodules mlstor's ``mlstor.compat.<name>``."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    _finder.names.add(name)
    sys.modules[name] = importlib.import_module(_PREFIX + name)
