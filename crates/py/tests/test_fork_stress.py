"""Fork at any moment: while other threads of the parent are inside get_many / put_many, with
a writer half-written and an iterator open, 100 forks in a row must each give a child whose
mlstor works (and which refuses, clearly, the parent's writer and iterator), and leave the
parent unharmed. Also the spawn and forkserver start methods under the same load."""
import multiprocessing as mp
import os
import threading
import time

import pytest

import mlstor
from conftest import run_children

FORKS = 100
SIZE = 256 << 10


class Load:
    """Two threads moving objects through mlstor until stopped."""

    def __init__(self, root):
        self.uris = [f"{root}load/{i}" for i in range(16)]
        mlstor.put_many([(u, bytes([i]) * SIZE) for i, u in enumerate(self.uris)])
        self.root, self.stop, self.errors, self.rounds = root, threading.Event(), [], 0
        self.threads = [threading.Thread(target=self.run, args=(k,)) for k in range(2)]

    def run(self, k):
        while not self.stop.is_set():
            try:
                got = mlstor.get_many(self.uris, max_in_flight=8)
                assert all(len(b) == SIZE for b in got)
                mlstor.put_many([(f"{self.root}w{k}/{i}", os.urandom(64 << 10)) for i in range(8)])
                self.rounds += 1
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(e))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()


def child_checks(root, uris, writer, iterator):
    """What a forked child does; returns an exit code (0 = all good)."""
    got = mlstor.get_many(uris, max_in_flight=4)
    if not all(len(b) == SIZE and b[0] == i for i, b in enumerate(got)):
        return 3
    mlstor.put(f"{root}child/{os.getpid()}", b"child")
    if mlstor.get(f"{root}child/{os.getpid()}") != b"child":
        return 4
    try:
        writer.write(b"more")
        writer.close()
        return 5  # the parent's writer must be refused
    except ValueError as e:
        if "before a fork" not in str(e):
            return 6
    try:
        next(iterator)
        return 7
    except RuntimeError as e:
        if "before a fork" not in str(e):
            return 8
    return 0


@pytest.mark.parametrize("backend", ["file", "s3"])
def test_fork_during_io_100_times(backend, s3_root, tmpdir_path):
    root = s3_root if backend == "s3" else f"file://{tmpdir_path}/"
    writer = mlstor.open(root + "half-written", "wb")
    writer.write(b"x" * (1 << 20))
    iterator = mlstor.get_iter([root + "load/0"] * 4)
    mlstor.put(root + "load/0", b"\0" * SIZE)
    bad = []
    with Load(root) as load:
        for r in range(FORKS):
            time.sleep(0.002 * (r % 5))
            pid = os.fork()
            if pid == 0:
                code = 9
                try:
                    code = child_checks(root, load.uris, writer, iterator)
                finally:
                    os._exit(code)
            deadline = time.monotonic() + 30
            while True:
                wpid, status = os.waitpid(pid, os.WNOHANG)
                if wpid:
                    break
                if time.monotonic() > deadline:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                    status = "hung"
                    break
                time.sleep(0.005)
            if status != 0:
                bad.append((r, status if status == "hung" else os.waitstatus_to_exitcode(status)))
                if len(bad) >= 3:
                    break  # enough to fail; a hung child costs 30 s each
        assert load.rounds > 0
    assert not bad, f"{len(bad)} of {FORKS} children failed: {bad[:10]}"
    assert not load.errors, load.errors[:3]
    # The parent is unharmed: its writer still completes, its reads still work.
    writer.write(b"y")
    writer.close()
    assert len(mlstor.get(root + "half-written")) == (1 << 20) + 1
    assert len(mlstor.get_many(load.uris)) == 16


def _spawned(root, q):
    q.put(bytes(mlstor.get(root + "load/3"))[:1])


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_other_start_methods_under_load(method, s3_root):
    ctx = mp.get_context(method)
    with Load(s3_root) as load:
        got = run_children(ctx, _spawned, [(s3_root,)] * 3)
    assert got == [b"\x03"] * 3
    assert not load.errors, load.errors[:3]
