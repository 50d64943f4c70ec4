# Put on PYTHONPATH by `mlstor dlio`: `import s3dlio` loads mlstor.compat.s3dlio instead.
from mlstor.compat import _alias

_alias.alias(__name__)
