# Put on PYTHONPATH by `mlstor dlio`: `import s3torchconnector` loads mlstor.compat.s3torchconnector instead.
from mlstor.compat import _alias

_alias.alias(__name__)
