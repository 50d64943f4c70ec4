"""Reads share memory with Rust: memoryview / np.frombuffer see the Buffer's own bytes."""
import gc
import sys
import time

import numpy as np
import pytest

import mlstor


@pytest.fixture(params=["memory", "file", "s3"])
def obj(request, tmpdir_path):
    from conftest import make_root, unique
    uri = make_root(request.param, unique("zc"), tmpdir_path) + "x.bin"
    data = np.arange(1 << 20, dtype=np.uint32).tobytes()  # 4 MiB
    mlstor.put(uri, data)
    yield uri, data
    mlstor.delete(uri)


def test_views_share_memory(obj):
    uri, data = obj
    b = mlstor.get(uri)
    mv = memoryview(b)
    arr = np.frombuffer(b, dtype=np.uint8)
    arr2 = np.frombuffer(mv, dtype=np.uint32)
    assert mv.readonly and not arr.flags.writeable
    assert arr.ctypes.data == arr2.ctypes.data == b.address  # one memory, no copy
    assert np.shares_memory(arr, arr2) and arr2[12345] == 12345
    with pytest.raises(ValueError):
        arr[0] = 1  # read-only
    sl = b[1000:2000]
    assert isinstance(sl, mlstor.Buffer) and sl.address == b.address + 1000  # slices share too
    copy = bytes(b)
    assert copy == data and np.frombuffer(copy, np.uint8).ctypes.data != b.address


def test_memory_outlives_the_buffer_object(obj):
    uri, data = obj
    b = mlstor.get(uri)
    arr = np.frombuffer(b, dtype=np.uint8)
    del b
    gc.collect()
    junk = [bytes(4 << 20) for _ in range(4)]  # churn the allocator
    assert arr.tobytes() == data
    del junk


def test_writable_export_is_refused(obj):
    b = mlstor.get(obj[0])
    with pytest.raises(BufferError):
        mlstor.get_into("memory://zc-unused/x", b)


def test_frombuffer_overhead_is_small():
    """Zero-copy means O(1): np.frombuffer of a 16 MiB Buffer costs about what it costs on bytes."""
    mlstor.put("memory://zc-cost/x", bytes(16 << 20))
    b = mlstor.get("memory://zc-cost/x")
    n = 20_000
    t0 = time.perf_counter()
    for _ in range(n):
        np.frombuffer(b, dtype=np.uint8)
    per = (time.perf_counter() - t0) / n
    assert per < 20e-6, f"np.frombuffer took {per * 1e6:.2f} us per call"  # a 16 MiB copy takes ~1 ms
    assert sys.getrefcount(b) == 2  # the views were released
