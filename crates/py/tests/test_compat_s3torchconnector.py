"""mlstor.compat.s3torchconnector: the behaviours s3torchconnector 1.5's own unit tests check
(listing order, sharding arithmetic, reader semantics of both reader types, writer context
manager, checkpoints, DCP save/load), against SeaweedFS, plus MockS3Client."""
import dataclasses
import inspect
import io
import os
import pickle
import random
from unittest import mock

import pytest

torch = pytest.importorskip("torch", reason="torch is installed only in the torch test stage")
pytestmark = pytest.mark.torch

import mlstor  # noqa: E402
from mlstor.compat.s3torchconnector import (  # noqa: E402
    S3Checkpoint, S3ClientConfig, S3Exception, S3IterableDataset, S3MapDataset, S3Reader, S3ReaderConstructor,
    S3Writer, __version__)
from mlstor.compat.s3torchconnector._s3client import MockS3Client, S3Client  # noqa: E402
from mlstor.compat.s3torchconnector._s3dataset_common import parse_s3_uri  # noqa: E402
from mlstor.compat.s3torchconnector.s3reader import RangedS3Reader, SequentialS3Reader  # noqa: E402

REGION = "us-east-1"
N = 12


@pytest.fixture
def ep():
    return os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:8333")


@pytest.fixture
def cfg():
    return S3ClientConfig(force_path_style=True)


@pytest.fixture
def prefix(s3_root):
    """s3://bucket/<unique>/data/ with N objects, plus one nested."""
    base = s3_root + "data/"
    mlstor.put_many([(f"{base}{i:02d}", bytes([i]) * (i + 1)) for i in range(N)] + [(base + "sub/nested", b"n")])
    return base


def keys_of(prefix):
    return [f"{parse_s3_uri(prefix)[1]}{i:02d}" for i in range(N)] + [parse_s3_uri(prefix)[1] + "sub/nested"]


def test_public_names_and_config():
    assert __version__ == "1.5.0"
    c = S3ClientConfig()
    assert (c.throughput_target_gbps, c.part_size, c.unsigned, c.force_path_style, c.max_attempts, c.profile) == \
        (10.0, 8 << 20, False, False, 10, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.part_size = 1
    assert S3ClientConfig(part_size=5 << 20) == S3ClientConfig(part_size=5 << 20)
    assert hash(S3ClientConfig()) == hash(S3ClientConfig())
    sig = inspect.signature(S3IterableDataset.from_prefix)
    assert list(sig.parameters) == ["s3_uri", "region", "endpoint", "transform", "s3client_config",
                                    "enable_sharding", "reader_constructor"]
    assert list(inspect.signature(S3MapDataset.from_objects).parameters) == [
        "object_uris", "region", "endpoint", "transform", "s3client_config", "reader_constructor"]


def test_parse_s3_uri():
    assert parse_s3_uri("s3://b") == ("b", "") and parse_s3_uri("s3://b/p/k") == ("b", "p/k")
    with pytest.raises(ValueError, match="Only s3:// URIs are supported"):
        parse_s3_uri("http://b/k")
    with pytest.raises(ValueError, match="Bucket name must be non-empty"):
        parse_s3_uri("s3://")
    assert parse_s3_uri("gs://b/k") == ("gs://b", "k") and parse_s3_uri("file:///x/y") == ("file:///", "x/y")


def test_reader_type_strings():
    f = S3ReaderConstructor.get_reader_type_string
    assert f(None) == f(S3ReaderConstructor.default()) == f(S3ReaderConstructor.sequential()) == "sequential"
    assert f(S3ReaderConstructor.range_based()) == "range_based"
    assert f(S3ReaderConstructor.dcp_optimized()) == "dcp_optimized"
    assert f(lambda **kw: None) == "unknown"


def test_from_prefix_order_readers_and_relisting(prefix, ep, cfg):
    ds = S3IterableDataset.from_prefix(prefix, region=REGION, endpoint=ep, s3client_config=cfg)
    items = list(ds)
    assert all(isinstance(r, S3Reader) for r in items)
    assert [r.key for r in items] == sorted(keys_of(prefix))
    assert items[3].read() == bytes([3]) * 4 and items[0].bucket == os.environ["MLSTOR_TEST_BUCKET"]
    mlstor.put(prefix + "zz-late", b"late")
    assert len(list(ds)) == N + 2  # iterating again lists again


@pytest.mark.parametrize("sharding,copies", [(True, 1), (False, 2)])
def test_dataloader_sharding(prefix, ep, cfg, sharding, copies):
    ds = S3IterableDataset.from_prefix(prefix, region=REGION, endpoint=ep, s3client_config=cfg,
                                       enable_sharding=sharding, transform=lambda r: (r.key, r.read()))
    list(S3IterableDataset.from_prefix(prefix, region=REGION, endpoint=ep, s3client_config=cfg))  # parent uses it
    dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=2, multiprocessing_context="fork")
    got = [k for k, _ in dl]
    assert sorted(got) == sorted(keys_of(prefix) * copies)


def test_sharding_over_ranks_and_workers_matches_s3torchconnector(prefix, ep, cfg):
    keys = sorted(keys_of(prefix))
    shards = {}
    for rank in range(2):
        with mock.patch("torch.distributed.is_initialized", return_value=True), \
                mock.patch("torch.distributed.get_rank", return_value=rank), \
                mock.patch("torch.distributed.get_world_size", return_value=2):
            ds = S3IterableDataset.from_prefix(prefix, region=REGION, endpoint=ep, s3client_config=cfg,
                                               enable_sharding=True, transform=lambda r: r.key)
        for worker in range(2):
            info = mock.Mock(id=worker, num_workers=2)
            with mock.patch("torch.utils.data.get_worker_info", return_value=info):
                shards[rank, worker] = list(ds)
    for (rank, worker), got in shards.items():
        assert got == keys[rank::2][worker::2]


def test_map_dataset(prefix, ep, cfg):
    ds = S3MapDataset.from_prefix(prefix, region=REGION, endpoint=ep, s3client_config=cfg,
                                  transform=lambda r: (r.key, r.read()))
    assert len(ds) == N + 1 and ds[2][0] == sorted(keys_of(prefix))[2]
    dl = torch.utils.data.DataLoader(ds, batch_size=None, shuffle=True, num_workers=2, multiprocessing_context="fork")
    assert sorted(k for k, _ in dl) == sorted(keys_of(prefix))
    objs = [prefix + "05", prefix + "01"]
    ds2 = S3MapDataset.from_objects(objs, region=REGION, endpoint=ep, s3client_config=cfg)
    assert [ds2[i].key for i in range(2)] == [parse_s3_uri(u)[1] for u in objs]


def test_datasets_pickle(prefix, ep, cfg):
    ds = S3IterableDataset.from_prefix(prefix, region=REGION, endpoint=ep, s3client_config=cfg,
                                       enable_sharding=True)
    list(ds)
    back = pickle.loads(pickle.dumps(ds))
    assert len(list(back)) == N + 1


def _random_ops(data, reader, rng, steps=60):
    ref = io.BytesIO(data)
    for _ in range(steps):
        op = rng.choice(["read", "readall", "readinto", "seek_set", "seek_cur", "seek_end", "tell"])
        if op == "read":
            n = rng.randint(0, len(data) // 3 + 2)
            assert reader.read(n) == ref.read(n)
        elif op == "readall":
            assert reader.read() == ref.read()
        elif op == "readinto":
            n = rng.randint(0, 5000)
            a, b = bytearray(n), bytearray(n)
            assert reader.readinto(a) == ref.readinto(b) and a == b
        elif op == "seek_set":
            p = rng.randint(0, len(data) + 10)
            reader.seek(p)
            ref.seek(min(p, len(data)))
        elif op == "seek_cur":
            p = rng.randint(-ref.tell(), 1000)
            reader.seek(p, io.SEEK_CUR)
            ref.seek(min(ref.tell() + p, len(data)))
        elif op == "seek_end":
            p = rng.randint(-len(data), 0)
            reader.seek(p, io.SEEK_END)
            ref.seek(p, io.SEEK_END)
        assert reader.tell() == ref.tell(), op


@pytest.mark.parametrize("ctor", [S3ReaderConstructor.sequential(), S3ReaderConstructor.range_based(),
                                  S3ReaderConstructor.range_based(buffer_size=0),
                                  S3ReaderConstructor.range_based(buffer_size=1000)],
                         ids=["sequential", "range_based", "range_based0", "range_based1000"])
def test_reader_semantics_match_bytesio(s3_root, ep, cfg, ctor):
    data = os.urandom(20_000)
    mlstor.put(s3_root + "r.bin", data)
    client = S3Client(REGION, endpoint=ep, s3client_config=cfg)
    bucket, key = parse_s3_uri(s3_root + "r.bin")
    for seed in range(4):
        r = client.get_object(bucket, key, reader_constructor=ctor)
        _random_ops(data, r, random.Random(seed))
    r = client.get_object(bucket, key, reader_constructor=ctor)
    with pytest.raises(ValueError):
        r.seek(-1)
    with pytest.raises(TypeError):
        r.read("x")
    assert r.seekable() and r.readable() and not r.writable()


def test_exception_texts(s3_root, ep, cfg):
    client = S3Client(REGION, endpoint=ep, s3client_config=cfg)
    bucket, key = parse_s3_uri(s3_root + "missing")
    with pytest.raises(S3Exception, match="^Service error: The object was not found$"):
        client.head_object(bucket, key)
    r = client.get_object(bucket, key)  # lazy: no request yet
    with pytest.raises(S3Exception, match="^Service error: The key does not exist$"):
        r.read()
    with pytest.raises(S3Exception, match="^Service error: The bucket does not exist$"):
        list(client.list_objects("mlstor-no-such-bucket-4711", ""))
    e = pickle.loads(pickle.dumps(S3Exception("Service error: The object was not found")))
    assert str(e) == "Service error: The object was not found"


def test_writer_context_manager_and_checkpoint(s3_root, ep, cfg):
    ckpt = S3Checkpoint(REGION, endpoint=ep, s3client_config=cfg)
    sd = {"a": torch.arange(100_000), "b": [1, 2]}
    with ckpt.writer(s3_root + "ck.pt") as w:
        assert isinstance(w, S3Writer)
        torch.save(sd, w)
    assert w.closed
    back = torch.load(ckpt.reader(s3_root + "ck.pt"), weights_only=True)
    assert torch.equal(back["a"], sd["a"]) and back["b"] == [1, 2]
    with pytest.raises(RuntimeError):
        with ckpt.writer(s3_root + "never.pt") as w:
            w.write(b"x" * (9 << 20))
            raise RuntimeError("boom")
    assert not mlstor.exists(s3_root + "never.pt")
    with ckpt.writer(s3_root + "types.bin") as w:
        import numpy as np
        for part in (b"ab", bytearray(b"cd"), memoryview(b"ef"), np.frombuffer(b"gh", np.uint8)):
            w.write(part)
        assert w.tell() == 8
    assert mlstor.get(s3_root + "types.bin") == b"abcdefgh"


def test_part_size_limits(ep):
    for bad in (1 << 20, 6 << 30):
        c = S3Client(REGION, endpoint=ep, s3client_config=S3ClientConfig(part_size=bad, force_path_style=True))
        with pytest.raises(S3Exception, match="part_size"):
            c.head_object("b", "k")


def test_mock_client_with_datasets():
    client = MockS3Client(REGION, "mock-bucket")
    for i in range(5):
        client.add_object(f"p/{i}", f"v{i}".encode())
    client.remove_object("p/4")
    ds = S3IterableDataset.from_prefix("s3://mock-bucket/p/", region=REGION, transform=lambda r: r.read())
    ds._client = client
    assert list(ds) == [b"v0", b"v1", b"v2", b"v3"]
    m = S3MapDataset.from_objects(["s3://mock-bucket/p/1"], region=REGION)
    m._client = client
    assert m[0].read() == b"v1"


def test_other_schemes(tmpdir_path):
    base = f"file://{tmpdir_path}/c/"
    mlstor.put_many([(f"{base}{i}", str(i).encode()) for i in range(3)])
    ds = S3IterableDataset.from_prefix(base, region=REGION, transform=lambda r: r.read())
    assert list(ds) == [b"0", b"1", b"2"]
    ckpt = S3Checkpoint(REGION)
    with ckpt.writer(base + "m.pt") as w:
        torch.save({"x": 1}, w)
    assert torch.load(ckpt.reader(base + "m.pt"))["x"] == 1


@pytest.mark.parametrize("ctor", [None, S3ReaderConstructor.sequential()], ids=["dcp_optimized", "sequential"])
def test_dcp_save_load(s3_root, ep, cfg, ctor):
    import torch.distributed.checkpoint as dcp
    from mlstor.compat.s3torchconnector.dcp import S3FileSystem, S3StorageReader, S3StorageWriter
    model = torch.nn.Sequential(torch.nn.Linear(32, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    path = s3_root + "dcp/"
    dcp.save(model.state_dict(), storage_writer=S3StorageWriter(REGION, path, s3client_config=cfg, endpoint=ep))
    fs = S3FileSystem(REGION, s3_client=S3Client(REGION, endpoint=ep, s3client_config=cfg))
    assert fs.exists(path + ".metadata") and not fs.exists(path + "nothing")
    fresh = torch.nn.Sequential(torch.nn.Linear(32, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    sd = fresh.state_dict()
    dcp.load(sd, storage_reader=S3StorageReader(REGION, path, s3client_config=cfg, reader_constructor=ctor,
                                                endpoint=ep))
    for k, v in model.state_dict().items():
        assert torch.equal(sd[k], v), k


def test_lightning_missing_is_module_not_found():
    import importlib.util
    if importlib.util.find_spec("lightning") is not None:
        pytest.skip("lightning is installed here")
    with pytest.raises(ModuleNotFoundError):
        import mlstor.compat.s3torchconnector.lightning  # noqa: F401
