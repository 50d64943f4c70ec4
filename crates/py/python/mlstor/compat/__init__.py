"""Drop-in replacements for other storage libraries' Python APIs, built on mlstor.

- :mod:`mlstor.compat.s3torchconnector`: AWS's s3torchconnector 1.5.
- :mod:`mlstor.compat.s3dlio`: the part of s3dlio 0.10 that DLIO 3.0.2 calls.

``mlstor dlio`` (or ``python -m mlstor.dlio``) runs DLIO with ``import s3dlio`` and
``import s3torchconnector`` answered by these modules (see :mod:`mlstor.compat._alias`).
"""
