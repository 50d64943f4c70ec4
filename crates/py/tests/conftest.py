"""Fixtures for the mlstor Python tests: a fresh, unique prefix on each backend.

Cloud backends use the real local servers of scripts/test-servers.sh (their environment
comes from `eval "$(scripts/test-servers.sh env)"`). Without them a cloud test is skipped
loudly, and under CI=true it fails instead.
"""
import os
import shutil
import tempfile
import uuid

import pytest

import mlstor

IN_CI = os.environ.get("CI") == "true"
SERVERS = os.environ.get("MLSTOR_TEST_SERVERS") == "1"
BACKENDS = ["file", "direct", "memory", "s3", "az", "gs"]
CLOUD = {"s3": "MLSTOR_TEST_BUCKET", "az": "MLSTOR_TEST_CONTAINER", "gs": "MLSTOR_TEST_GCS_BUCKET"}


def skip_or_fail(msg):
    """A loud skip for a missing prerequisite, a failure under CI=true."""
    if IN_CI:
        pytest.fail(msg)
    pytest.skip(msg)


def need_servers():
    if not SERVERS:
        skip_or_fail("real test servers are not configured: run scripts/test-servers.sh start and eval its env")


def unique(name):
    return f"py-{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def cleanup(prefix_uri):
    for m in mlstor.list(prefix_uri):
        mlstor.delete(m.uri)


@pytest.fixture
def tmpdir_path():
    d = tempfile.mkdtemp(prefix="mlstor-py-", dir=os.environ.get("MLSTOR_TEST_TMP", "/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def make_root(backend, name, tmp):
    """A URI prefix ending in '/' where the test owns every key."""
    if backend in ("file", "direct"):
        return f"{backend}://{tmp}/{name}/"
    if backend == "memory":
        return f"memory://{name}/"
    need_servers()
    return f"{backend}://{os.environ[CLOUD[backend]]}/{name}/"


@pytest.fixture(params=BACKENDS)
def root(request, tmpdir_path):
    backend = request.param
    uri = make_root(backend, unique(request.node.originalname), tmpdir_path)
    yield uri
    if backend not in ("file", "direct"):
        cleanup(uri)


@pytest.fixture
def s3_root(tmpdir_path, request):
    uri = make_root("s3", unique(request.node.originalname), tmpdir_path)
    yield uri
    cleanup(uri)


def run_children(ctx, target, arg_tuples, timeout=120):
    """One ``ctx`` process per args tuple running ``target(*args, queue)``; each puts one
    result on the queue. The results (in arrival order), once every child has exited 0."""
    q = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, q)) for args in arg_tuples]
    for p in procs:
        p.start()
    results = [q.get(timeout=timeout) for _ in procs]
    for p in procs:
        p.join(timeout=timeout)
        assert p.exitcode == 0
    return results
