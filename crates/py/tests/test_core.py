"""The core API on every backend: file://, direct://, memory://, s3:// (SeaweedFS),
az:// (Azurite), gs:// (fake-gcs-server)."""
import errno
import gc
import os
import pickle

import numpy as np
import pytest

import mlstor


def payload(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def test_put_get_stat_delete(root):
    data = payload(300_000)
    r = mlstor.put(root + "a/b.bin", data)
    assert r.size == len(data) and r.uri == root + "a/b.bin"
    got = mlstor.get(root + "a/b.bin")
    assert isinstance(got, mlstor.Buffer) and got == data and bytes(got) == data
    m = mlstor.stat(root + "a/b.bin")
    assert (m.size, m.uri, m.is_prefix) == (len(data), root + "a/b.bin", False)
    assert m.last_modified is None or m.last_modified > 1e9
    assert mlstor.exists(root + "a/b.bin")
    mlstor.delete(root + "a/b.bin")
    assert not mlstor.exists(root + "a/b.bin")
    mlstor.delete(root + "a/b.bin")  # deleting a missing object succeeds


def test_get_range_and_get_into(root):
    data = payload(100_000, 1)
    mlstor.put(root + "r.bin", data)
    assert mlstor.get_range(root + "r.bin", 10, 1000) == data[10:1010]
    assert mlstor.get_range(root + "r.bin", 99_990, 1000) == data[99_990:]  # clipped at the end
    ba = bytearray(5000)
    assert mlstor.get_into(root + "r.bin", ba, 123, length=5000) == 5000 and ba == data[123:5123]
    arr = np.zeros(2500, dtype=np.float32)  # any writable buffer, any dtype
    assert mlstor.get_into(root + "r.bin", arr, length=10_000) == 10_000 and arr.tobytes() == data[:10_000]
    tail = bytearray(500)
    assert mlstor.get_into(root + "r.bin", tail, 99_800) == 200 and tail[:200] == data[99_800:]
    whole = bytearray(100_000)
    assert mlstor.get_into(root + "r.bin", whole) == 100_000 and whole == data
    # A buffer smaller than the rest of the object is an error naming both sizes, never a
    # silently truncated read; a range (length=) is read as asked.
    with pytest.raises(mlstor.InvalidInputError, match="99877 bytes from offset 123 but the buffer holds 5000") as e:
        mlstor.get_into(root + "r.bin", ba, 123)
    assert isinstance(e.value, ValueError) and e.value.uri == root + "r.bin"
    assert mlstor.get_into(root + "r.bin", ba, 99_000, length=100) == 100 and ba[:100] == data[99_000:99_100]
    with pytest.raises(mlstor.RangeError):
        mlstor.get_range(root + "r.bin", 100_001, 10)
    with pytest.raises(BufferError):
        mlstor.get_into(root + "r.bin", b"read-only bytes")


def test_list_recursive_and_delimited(root):
    keys = ["d/a", "d/b", "d/sub/c", "d/sub/deeper/e", "dz"]
    mlstor.put_many([(root + k, k.encode()) for k in keys])
    rec = [m.uri for m in mlstor.list(root + "d/")]
    assert rec == [root + k for k in keys[:4]], rec
    assert [m.size for m in mlstor.list(root + "d/")] == [3, 3, 7, 14]
    flat = list(mlstor.list(root + "d/", recursive=False))
    objs = sorted(m.uri for m in flat if not m.is_prefix)
    dirs = [m.uri for m in flat if m.is_prefix]
    assert objs == [root + "d/a", root + "d/b"] and dirs == [root + "d/sub/"]
    assert [m.uri for m in mlstor.list(root + "d/", delimiter="/")] == [m.uri for m in flat]
    assert [m.uri for m in mlstor.list(root)] == [root + k for k in keys]  # a string prefix
    with pytest.raises(ValueError, match="delimiter"):
        mlstor.list(root, delimiter="|")


def test_many(root):
    items = [(f"{root}m/{i:04d}", payload(1000 + i, i)) for i in range(40)]
    results = mlstor.put_many(items, max_in_flight=8)
    assert [r.uri for r in results] == [u for u, _ in items]
    got = mlstor.get_many([u for u, _ in items], max_in_flight=8)
    assert all(g == d for g, (_, d) in zip(got, items))
    it = mlstor.get_iter([u for u, _ in items], max_in_flight=4)
    pairs = list(it)
    assert [u for u, _ in pairs] == [u for u, _ in items]
    assert all(b == d for (_, b), (_, d) in zip(pairs, items))
    # as they complete: every object once, each with its own bytes
    done = dict(mlstor.get_iter([u for u, _ in items], max_in_flight=8, ordered=False))
    assert len(done) == len(items) and all(done[u] == d for u, d in items)
    with pytest.raises(ValueError):
        mlstor.get_many([items[0][0]], max_in_flight=0)
    with pytest.raises(mlstor.NotFoundError) as e:
        mlstor.get_many([items[0][0], root + "m/missing"])
    assert e.value.uri == root + "m/missing"


def test_store_object(root):
    s = mlstor.Store(root)
    assert s.uri == root
    s.put("k1", b"one")
    s.put_many([("k2", b"two"), ("sub/k3", bytearray(b"three"))])
    assert s.get("k1") == b"one" and s.get_range("k2", 1, 5) == b"wo"
    assert [m.key for m in s.list("")] == ["k1", "k2", "sub/k3"]
    assert [bytes(b) for b in s.get_many(["k2", "k1"])] == [b"two", b"one"]
    assert s.stat("sub/k3").size == 5 and s.exists("k1") and not s.exists("nope")
    s.delete("k1")
    assert not s.exists("k1")
    with pytest.raises(ValueError, match="unknown option"):
        mlstor.Store(root, endpont="http://x")


def test_writer_and_reader(root):
    big = payload((12 << 20) + 12345, 7)
    part = 5 << 20
    with mlstor.open(root + "w/big.bin", "wb", part_size=part) as w:
        for i in range(0, len(big), 1 << 20):
            w.write(big[i:i + (1 << 20)])
        w.write(b"")
        assert w.tell() == len(big)
    assert w.closed and w.result.size == len(big)
    assert mlstor.get(root + "w/big.bin") == big
    r = mlstor.open(root + "w/big.bin", buffer_size=1 << 20)
    assert r.seekable() and r.readable() and not r.writable()
    assert r.read(10) == big[:10]
    assert r.seek(-100, os.SEEK_END) == len(big) - 100 and r.read() == big[-100:]
    assert r.read(10) == b"" and r.read() == b""
    r.seek(5 << 20)
    ba = bytearray(3 << 20)
    assert r.readinto(ba) == len(ba) and ba == big[5 << 20:8 << 20]
    assert r.seek(3, os.SEEK_CUR) == (8 << 20) + 3 and r.read(4) == big[(8 << 20) + 3:(8 << 20) + 7]
    with pytest.raises(ValueError):
        r.seek(-1)
    r.close()
    with pytest.raises(ValueError):
        r.read(1)


def test_writer_exception_leaves_no_object(root):
    with pytest.raises(RuntimeError):
        with mlstor.open(root + "w/partial.bin", "wb") as w:
            w.write(payload(6 << 20))
            raise RuntimeError("boom")
    assert not mlstor.exists(root + "w/partial.bin")


def test_unclosed_writer_completes_like_a_file(root):
    """A writer garbage-collected unclosed is closed, as a Python file is (with a
    ResourceWarning); one whose write failed is discarded."""
    w = mlstor.open(root + "w/dropped.bin", "wb")
    w.write(b"abc")
    with pytest.warns(ResourceWarning, match="unclosed mlstor.Writer"):
        del w
        gc.collect()
    assert mlstor.get(root + "w/dropped.bin") == b"abc"
    w = mlstor.open(root + "w/failed.bin", "wb")
    w.write(b"abc")
    with pytest.raises(TypeError):
        w.write(12345)
    del w
    gc.collect()
    assert not mlstor.exists(root + "w/failed.bin")


def test_errors_name_the_uri(root):
    with pytest.raises(mlstor.NotFoundError) as e:
        mlstor.get(root + "missing")
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, mlstor.StorageError)
    assert e.value.uri == root + "missing" and root + "missing" in str(e.value)
    # As a built-in FileNotFoundError: errno and filename are set.
    assert e.value.errno == errno.ENOENT and e.value.filename == root + "missing"
    assert pickle.loads(pickle.dumps(e.value)).errno == errno.ENOENT
    with pytest.raises(mlstor.NotFoundError):
        mlstor.stat(root + "missing")


def test_bad_uris_and_inputs():
    with pytest.raises(mlstor.InvalidUriError, match="unknown scheme"):
        mlstor.get("ftp://host/x")
    with pytest.raises(ValueError, match="absolute path"):
        mlstor.get("file://relative/x")
    with pytest.raises(mlstor.InvalidInputError, match="escape"):
        mlstor.get("memory://ns/../x")
    with pytest.raises(TypeError, match="str"):
        mlstor.put("memory://ns/x", "text")
    with pytest.raises(TypeError, match="bytes-like"):
        mlstor.put("memory://ns/x", 5)
    with pytest.raises(TypeError, match="writable buffer"):
        mlstor.get_into("memory://ns/x", 5)
