"""Drop-in replacements for other storage libraries' Python APIs, built on mlstor.

- :mod:`mlstor.compat.s3torchconnector`: AWS's s3torchconnector 1.5.
"""
