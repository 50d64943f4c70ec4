"""mlstor.compat.s3dlio against the real s3dlio: the same tests run against both packages, for
the calls DLIO 3.0.2 makes (get, get_range, get_many, put_bytes, MultipartUploadWriter, list,
stat, exists, mkdir, delete), on file:// and on the real SeaweedFS. Also the import aliasing
`mlstor dlio` relies on."""
import importlib
import os
import subprocess
import sys

import pytest

from conftest import need_servers, unique

import mlstor
import mlstor.dlio

LIBS = ["s3dlio", "mlstor.compat.s3dlio"]


@pytest.fixture(params=LIBS)
def lib(request):
    return importlib.import_module(request.param)


@pytest.fixture(params=["file", "s3"])
def base(request, tmp_path):
    if request.param == "file":
        yield f"file://{tmp_path}/"
        return
    need_servers()
    prefix = f"s3://{os.environ['MLSTOR_TEST_BUCKET']}/{unique('s3dlio')}/"
    yield prefix
    for m in mlstor.list(prefix):
        mlstor.delete(m.uri)


def test_put_get_range_many(lib, base):
    a, b = base + "d/a.bin", base + "d/sub/b.bin"
    assert lib.put_bytes(a, b"hello") is None
    lib.put_bytes(b, bytearray(b"world!"))
    v = lib.get(a)
    assert len(v) == 5 and bytes(v) == b"hello" and v.to_bytes() == b"hello"
    assert bytes(v.memoryview()) == b"hello" and bytes(memoryview(v)) == b"hello"
    assert bytes(lib.get_range(a, 1, 2)) == b"el"
    assert bytes(lib.get_range(a, offset=1, length=3)) == b"ell"
    assert bytes(lib.get_range(a, 1)) == b"ello"
    many = lib.get_many([b, a], max_in_flight=2)
    assert [(u, bytes(x)) for u, x in many] == [(b, b"world!"), (a, b"hello")]


def test_list_stat_exists_delete(lib, base):
    for k in ("d/a.bin", "d/sub/b.bin", "d/sub/c.npz"):
        lib.put_bytes(base + k, b"x" * 7)
    assert sorted(lib.list(base + "d/", recursive=True)) == [
        base + "d/a.bin", base + "d/sub/b.bin", base + "d/sub/c.npz"]
    assert sorted(lib.list(base + "d/")) == [base + "d/a.bin", base + "d/sub/"]
    assert lib.list(base + "d/", recursive=True, pattern=r"\.npz$") == [base + "d/sub/c.npz"]
    assert lib.list(base + "d/", recursive=True, pattern="^sub/b") == [base + "d/sub/b.bin"]
    assert lib.list(base + "nothing/", recursive=True) == []
    st = lib.stat(base + "d/a.bin")
    assert isinstance(st, dict) and st["size"] == 7
    assert {"size", "last_modified", "etag", "metadata"} <= set(st)
    assert lib.exists(base + "d/a.bin") is True
    assert lib.exists(base + "d/missing") is False
    assert lib.delete(base + "d/a.bin") is None
    assert lib.exists(base + "d/a.bin") is False
    lib.delete(base + "d/a.bin")  # already gone: fine, as S3's DELETE
    lib.delete(base + "d/", recursive=True)
    assert lib.list(base + "d/", recursive=True) == []


def test_errors_are_runtime_errors_naming_the_object(lib, base):
    missing = base + "nope.bin"
    for call in (lambda: lib.get(missing), lambda: lib.stat(missing),
                 lambda: lib.get_many([missing])):
        with pytest.raises(RuntimeError):
            call()
    with pytest.raises(RuntimeError) as e:
        lib.get("bogus://x/y")
    assert "bogus://x" in str(e.value)


def test_mkdir(lib, tmp_path):
    lib.mkdir(f"file://{tmp_path}/new/deeper")
    assert (tmp_path / "new" / "deeper").is_dir()


def test_multipart_upload_writer(lib, base):
    if not base.startswith("s3://") and lib.__name__ == "s3dlio":
        # s3dlio's writer takes s3:// only (mlstor's: every scheme)
        with pytest.raises(RuntimeError, match="s3://"):
            lib.MultipartUploadWriter.from_uri(base + "mpu.bin")
        return
    uri = base + "mpu.bin"
    part = 5 * 1024 * 1024
    w = lib.MultipartUploadWriter.from_uri(uri, part_size=part, max_in_flight=2)
    w.write(b"a" * part)
    mv = w.reserve(1000)
    mv[:10] = b"0123456789"
    w.commit(10)
    w.write(memoryview(b"tail"))
    w.close()
    data = bytes(lib.get(uri))
    assert len(data) == part + 14 and data.endswith(b"0123456789tail")
    # abort stores nothing
    w = lib.MultipartUploadWriter.from_uri(base + "aborted.bin", part_size=part)
    w.write(b"b" * (part + 1))
    w.abort()
    assert lib.exists(base + "aborted.bin") is False


def test_compat_only_schemes_and_errors(tmp_path):
    """What mlstor adds: every scheme (memory://) and errors that are mlstor's classes too."""
    from mlstor.compat import s3dlio

    s3dlio.put_bytes("memory://compat/k", b"abc")
    assert bytes(s3dlio.get("memory://compat/k")) == b"abc"
    with pytest.raises(mlstor.NotFoundError) as e:
        s3dlio.get(f"file://{tmp_path}/none")
    assert isinstance(e.value, RuntimeError) and e.value.uri == f"file://{tmp_path}/none"
    with pytest.raises(RuntimeError, match="is closed"):
        w = s3dlio.MultipartUploadWriter.from_uri("memory://compat/w")
        w.close()
        w.write(b"x")


def run_aliased(code):
    """``code`` in a fresh Python with `mlstor dlio`'s alias folder first on PYTHONPATH."""
    env = dict(os.environ, PYTHONPATH=mlstor.dlio.alias_path())
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stderr


def test_alias_answers_import_s3dlio():
    """What `mlstor dlio` puts on PYTHONPATH: `import s3dlio` is mlstor's module (the same
    object as mlstor.compat.s3dlio), and boto3 is never imported."""
    run_aliased("""
import sys, s3dlio
import mlstor.compat.s3dlio
assert s3dlio is mlstor.compat.s3dlio, s3dlio
assert "boto3" not in sys.modules
print("ok")
""")


@pytest.mark.torch
def test_alias_answers_s3torchconnector_submodules_with_one_module_each():
    run_aliased("""
import sys, s3torchconnector
from s3torchconnector._s3client import S3Client
from s3torchconnector.s3reader import S3ReaderConstructor
import mlstor.compat.s3torchconnector, mlstor.compat.s3torchconnector.s3reader as r
assert s3torchconnector is mlstor.compat.s3torchconnector
assert sys.modules["s3torchconnector.s3reader"] is r
assert S3ReaderConstructor is r.S3ReaderConstructor
assert "boto3" not in sys.modules
print("ok")
""")


def test_storage_library_mlstor_is_read_as_s3dlio(tmp_path):
    (tmp_path / "workload").mkdir()
    (tmp_path / "workload" / "w.yaml").write_text(
        "storage:\n  storage_options:\n    storage_library: mlstor  # through mlstor\n"
        "reader:\n  endpoint_uris:\n    - http://a:1\n    - http://b:2\n")
    env = {"STORAGE_LIBRARY": "mlstor"}
    args = mlstor.dlio.translate([f"--config-dir={tmp_path}", "workload=w"], env)
    assert args[-1] == "++workload.storage.storage_options.storage_library=s3dlio"
    assert env["STORAGE_LIBRARY"] == "s3dlio"
    assert env["S3_ENDPOINT_URIS"] == "http://a:1,http://b:2"  # DLIO reads only the variable
    env = {"S3_ENDPOINT_URIS": "http://c:3,http://d:4"}
    mlstor.dlio.translate([f"--config-dir={tmp_path}", "workload=w"], env)
    assert env["S3_ENDPOINT_URIS"] == "http://c:3,http://d:4"  # the environment wins
    args = mlstor.dlio.translate(["++workload.storage.storage_options.storage_library=mlstor"], {})
    assert args == ["++workload.storage.storage_options.storage_library=s3dlio"]
