"""`mlstor compare` with the Python libraries, against the real local servers: every library
installed in this interpreter (mlstor's Python API and the peers scripts/test.sh installs)
writes and reads 8 x 1 MiB on SeaweedFS, and every object each one reads back is checked;
mlstor's Python API also on Azurite. The binary is the one `cargo test` built."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import IN_CI, need_servers

ROOT = pathlib.Path(__file__).resolve().parents[3]
MLSTOR = os.environ.get("MLSTOR_BIN") or str(ROOT / "target" / "debug" / "mlstor")
PEERS = ["s3dlio", "s3torchconnector", "minio", "boto3", "obstore"]


def compare(tmp_path, *args):
    if not os.access(MLSTOR, os.X_OK):
        pytest.skip(f"{MLSTOR} is not built (cargo build)")
    out = tmp_path / "c.json"
    p = subprocess.run([MLSTOR, "compare", *args, "--files", "8", "--size", "1MiB", "--threads", "4",
                        "--repeat", "1", "--python", sys.executable, "--json", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return p.stdout, json.loads(out.read_text())


def test_every_installed_library_on_s3(tmp_path):
    need_servers()
    text, j = compare(tmp_path, "--compare-all", "--bucket", os.environ["MLSTOR_TEST_BUCKET"])
    ran = {lib["name"]: lib for lib in j["libraries"]}
    skipped = {s["name"]: s["why"] for s in j["skipped"]}
    assert "mlstor" in ran and "mlstor-py" in ran, (text, skipped)
    if IN_CI:  # scripts/test.sh installs the peers; here none may be missing
        assert not (set(PEERS) - set(ran)), skipped
    for name, lib in ran.items():
        assert not lib["failures"], (name, lib["failures"])
        for op in ("write", "read"):
            (s,) = lib[op]
            assert s["check"] == {"ok": 8, "wrong": 0, "short": 0, "missing": 0}, (name, op, s["check"])
            assert all(x is not None for x in s["outcome"]["latency_s"]), (name, op)
    assert "azstoragetorch" not in ran  # az:// only
    assert "FINAL VERDICT (write): " in text and "FINAL VERDICT (read): " in text
    assert "Not ranked" not in text


def test_mlstor_python_api_on_azurite(tmp_path):
    need_servers()
    text, j = compare(tmp_path, "--compare", "mlstor", "mlstor-py",
                      "--bucket", "az://" + os.environ["MLSTOR_TEST_CONTAINER"])
    names = [lib["name"] for lib in j["libraries"]]
    assert names == ["mlstor", "mlstor-py"], text
    for lib in j["libraries"]:
        assert lib["read"][0]["check"]["ok"] == 8, lib
    assert "FINAL VERDICT (read): " in text and " FASTER than " in text


@pytest.mark.torch
def test_azstoragetorch_on_azurite(tmp_path):
    """azstoragetorch (BlobIO through a SAS made from Azurite's account key) against mlstor."""
    need_servers()
    pytest.importorskip("torch", reason="torch is installed only in the torch test stage")
    text, j = compare(tmp_path, "--compare", "mlstor", "azstoragetorch",
                      "--bucket", "az://" + os.environ["MLSTOR_TEST_CONTAINER"])
    ran = {lib["name"]: lib for lib in j["libraries"]}
    if "azstoragetorch" not in ran and not IN_CI:
        pytest.skip(f"azstoragetorch is not installed: {j['skipped']}")
    assert set(ran) == {"mlstor", "azstoragetorch"}, (text, j["skipped"])
    for name, lib in ran.items():
        assert not lib["failures"], (name, lib["failures"])
        for op in ("write", "read"):
            assert lib[op][0]["check"]["ok"] == 8, (name, op, lib[op][0]["check"])
    assert lib["version"], "its version is recorded"
