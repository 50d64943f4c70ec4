# The s3torchconnector release whose API this package reproduces.
__version__ = "1.5.0"
