"""The GIL is released during I/O, and mlstor works in forked children after the parent used it."""
import multiprocessing as mp
import threading
import time

import mlstor
from conftest import run_children


def test_threads_overlap_during_io(s3_root):
    """While one thread is inside a long mlstor call, another thread keeps running Python."""
    uris = [f"{s3_root}g/{i}" for i in range(8)]
    mlstor.put_many([(u, bytes(4 << 20)) for u in uris])
    ticks = []
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            ticks.append(time.perf_counter())

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)
        t0 = time.perf_counter()
        for _ in range(3):
            mlstor.get_many(uris, max_in_flight=2)
        t1 = time.perf_counter()
    finally:
        stop.set()
        t.join()
    inside = [x for x in ticks if t0 + 0.01 < x < t1 - 0.01]
    # With the GIL held the spinner could only run at the interpreter's 5 ms switch points
    # between bytecodes of this thread, which are not executing during the native call.
    assert t1 - t0 > 0.05, "the call was too short to tell"
    assert len(inside) > 1000, f"only {len(inside)} spinner iterations ran during {t1 - t0:.3f} s of I/O"


def test_two_reader_threads_run_concurrently(s3_root):
    uri = s3_root + "big"
    mlstor.put(uri, bytes(32 << 20))
    spans = {}

    def read(name):
        a = time.perf_counter()
        for _ in range(3):
            mlstor.get(uri)
        spans[name] = (a, time.perf_counter())

    threads = [threading.Thread(target=read, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (a0, a1), (b0, b1) = spans["a"], spans["b"]
    overlap = min(a1, b1) - max(a0, b0)
    assert overlap > 0.5 * min(a1 - a0, b1 - b0), spans


def _child(uri, q):
    try:
        q.put(("ok", bytes(mlstor.get(uri)), mlstor.exists(uri + ".nope")))
    except Exception as e:  # noqa: BLE001
        q.put(("error", repr(e), None))


def test_fork_after_parent_used_mlstor(s3_root, tmpdir_path):
    s3 = s3_root + "fork.bin"
    local = f"file://{tmpdir_path}/fork.bin"
    mlstor.put(s3, b"from the parent")
    mlstor.put(local, b"local bytes")
    assert mlstor.get(s3) == b"from the parent"  # the parent's runtime and clients are live
    ctx = mp.get_context("fork")
    results = run_children(ctx, _child, [(u,) for u in (s3, local, s3, local)], timeout=60)
    assert sorted(r[1] for r in results) == sorted([b"from the parent", b"local bytes"] * 2), results
    assert mlstor.get(s3) == b"from the parent"  # and the parent still works afterwards


def test_fork_while_another_thread_does_io(s3_root):
    """A fork during I/O in another thread: the runtime stays up in the parent, the child builds its own."""
    uri = s3_root + "busy"
    mlstor.put(uri, bytes(8 << 20))
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            mlstor.get(uri)

    t = threading.Thread(target=busy)
    t.start()
    try:
        time.sleep(0.2)
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        p = ctx.Process(target=_child, args=(uri, q))
        p.start()
        status, data, _ = q.get(timeout=60)
        p.join(timeout=30)
    finally:
        stop.set()
        t.join()
    assert status == "ok" and len(data) == 8 << 20 and p.exitcode == 0


def _pool_read(uri):
    return len(mlstor.get(uri))


def test_multiprocessing_pool(s3_root):
    uris = [f"{s3_root}p/{i}" for i in range(6)]
    mlstor.put_many([(u, bytes(1000 + i)) for i, u in enumerate(uris)])
    with mp.get_context("fork").Pool(2) as pool:
        assert pool.map(_pool_read, uris, chunksize=1) == [1000 + i for i in range(6)]
