"""A `mlstor compare --adapter` plugin over plain files (file:// targets), for the tests:
MLSTOR_TEST_CORRUPT=1 makes it flip one byte of every third object it reads back."""
import os

VERSION = "test-plugin 1"


class Files:
    def __init__(self, job):
        self.root = "/" + job["bucket"]
        self.corrupt = os.environ.get("MLSTOR_TEST_CORRUPT") == "1"

    def put(self, key, data):
        path = os.path.join(self.root, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    def get(self, key, on_first_byte):
        with open(os.path.join(self.root, key), "rb") as f:
            data = bytearray(f.read())
        on_first_byte()
        if self.corrupt and key.endswith(("0", "3", "6", "9")) and "obj-" in key:
            data[len(data) // 2] ^= 0xFF
        return data


def make(job):
    return Files(job)
