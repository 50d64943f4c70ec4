"""mlstor.torch: datasets (sharding, shuffle, DataLoader workers after the parent used mlstor)
and checkpoints, against SeaweedFS and file://."""
import gc
import os

import pytest

torch = pytest.importorskip("torch", reason="torch is installed only in the torch test stage")
pytestmark = pytest.mark.torch

import mlstor  # noqa: E402
from mlstor.torch import IterableDataset, MapDataset, as_tensor, reader, writer  # noqa: E402

N = 20


@pytest.fixture
def dataset_uri(s3_root):
    mlstor.put_many([(f"{s3_root}data/{i:03d}", f"item-{i}".encode()) for i in range(N)])
    return s3_root + "data/"


def key_and_text(uri, data):
    return uri.rsplit("/", 1)[1], bytes(data).decode()


def test_iterable_single_process(dataset_uri):
    ds = IterableDataset.from_prefix(dataset_uri, transform=key_and_text)
    assert list(ds) == [(f"{i:03d}", f"item-{i}") for i in range(N)]


def test_dataloader_two_workers_every_object_once(dataset_uri):
    mlstor.get(dataset_uri + "000")  # the parent uses mlstor before the workers fork
    ds = IterableDataset.from_prefix(dataset_uri, transform=key_and_text)
    dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=2, multiprocessing_context="fork")
    got = [k for k, _ in dl]
    assert sorted(got) == [f"{i:03d}" for i in range(N)]


def test_ranks_times_workers_partition(dataset_uri):
    ds = IterableDataset.from_prefix(dataset_uri, shuffle=True, seed=3)
    shards = [ds.shard_names(rank=r, world=2, worker=w, workers=2) for r in range(2) for w in range(2)]
    flat = [u for s in shards for u in s]
    assert sorted(flat) == sorted(u.uri for u in mlstor.list(dataset_uri)) and len(flat) == len(set(flat))
    ds.set_epoch(1)
    again = [ds.shard_names(rank=r, world=2, worker=w, workers=2) for r in range(2) for w in range(2)]
    assert again != shards and sorted(u for s in again for u in s) == sorted(flat)


def test_map_dataset_with_shuffling_loader(dataset_uri):
    ds = MapDataset.from_prefix(dataset_uri, transform=key_and_text)
    assert len(ds) == N and ds[3] == ("003", "item-3")
    dl = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2, collate_fn=list,
                                     multiprocessing_context="fork")
    got = [k for batch in dl for k, _ in batch]
    assert sorted(got) == [f"{i:03d}" for i in range(N)]


def test_as_tensor_shares_memory(dataset_uri):
    b = mlstor.get(dataset_uri + "000")
    t = as_tensor(b)
    assert t.data_ptr() == b.address and bytes(t.numpy()) == b"item-0"


def test_default_transform_batches_with_default_collate(dataset_uri):
    """Items are (uri, uint8 tensor): the default collate makes a list of URIs and one tensor."""
    ds = MapDataset.from_prefix(dataset_uri)
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=2)))
    uris, data = batch
    assert list(uris) == [dataset_uri + "000", dataset_uri + "001"]
    assert data.dtype == torch.uint8 and data.shape == (2, 6)
    assert bytes(data[1].numpy()) == b"item-1"


@pytest.mark.parametrize("where", ["s3", "file"])
def test_torch_save_into_an_unclosed_writer(where, s3_root, tmpdir_path):
    """The idiom of the docstring, and s3torchconnector's: torch.save into a writer that is
    never closed by hand; the object is complete once the writer is collected."""
    from mlstor.compat.s3torchconnector import S3Checkpoint
    base = s3_root if where == "s3" else f"file://{tmpdir_path}/"
    sd = {"w": torch.arange(100_000, dtype=torch.float32), "step": 3}
    with pytest.warns(ResourceWarning, match="unclosed mlstor.Writer"):
        torch.save(sd, writer(base + "gc.pt"))
        gc.collect()
    back = torch.load(reader(base + "gc.pt"), weights_only=True)
    assert back["step"] == 3 and torch.equal(back["w"], sd["w"])
    if where == "s3":
        from mlstor.compat.s3torchconnector import S3ClientConfig
        ckpt = S3Checkpoint("us-east-1", endpoint=os.environ["AWS_ENDPOINT_URL"],
                            s3client_config=S3ClientConfig(force_path_style=True))
        torch.save(sd, ckpt.writer(base + "s3ckpt.pt"))
        gc.collect()
        back = torch.load(ckpt.reader(base + "s3ckpt.pt"), weights_only=True)
        assert back["step"] == 3 and torch.equal(back["w"], sd["w"])


def test_dataloader_workers_start_while_another_thread_reads(dataset_uri):
    """DataLoader workers are forked while a thread of the parent is inside get_many."""
    import threading
    uris = [f"{dataset_uri}{i:03d}" for i in range(N)]
    stop, errors = threading.Event(), []

    def load():
        while not stop.is_set():
            try:
                mlstor.get_many(uris, max_in_flight=8)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

    t = threading.Thread(target=load)
    t.start()
    try:
        for _ in range(3):
            ds = IterableDataset.from_prefix(dataset_uri, transform=key_and_text)
            loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=2, timeout=60)
            assert sorted(k for k, _ in loader) == [f"{i:03d}" for i in range(N)]
    finally:
        stop.set()
        t.join()
    assert not errors, errors[:3]


def test_get_into_a_tensor(dataset_uri):
    t = torch.zeros(6, dtype=torch.uint8)
    assert mlstor.get_into(dataset_uri + "001", t) == 6 and bytes(t.numpy()) == b"item-1"


@pytest.mark.parametrize("where", ["s3", "file"])
def test_checkpoint_round_trip(where, s3_root, tmpdir_path):
    base = s3_root if where == "s3" else f"file://{tmpdir_path}/"
    sd = {"w": torch.arange(300_000, dtype=torch.float32), "step": 7}
    with writer(base + "ckpt.pt") as w:
        torch.save(sd, w)
    back = torch.load(reader(base + "ckpt.pt"), weights_only=True)
    assert back["step"] == 7 and torch.equal(back["w"], sd["w"])
    with pytest.raises(ZeroDivisionError):
        with writer(base + "broken.pt") as w:
            torch.save(sd, w)
            1 / 0
    assert not mlstor.exists(base + "broken.pt")
