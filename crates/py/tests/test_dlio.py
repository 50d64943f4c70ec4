"""Real DLIO 3.0.2 on mlstor: `mlstor dlio` runs DLIO (installed by scripts/dlio-venv.sh into a
Python 3.12 venv; MLSTOR_TEST_DLIO_PYTHON) with `import s3dlio` answered by mlstor, against the
real local servers. A package named s3dlio that fails on import is put on PYTHONPATH behind
mlstor's, so a run that reached the real library (or that stub) fails. Each run is compared with
the same YAML run by DLIO with the real s3dlio, and with `mlstor run`."""
import io
import json
import os
import pathlib
import subprocess
import textwrap

import numpy as np
import pytest

import mlstor
from conftest import cleanup, need_servers, skip_or_fail, unique

pytestmark = pytest.mark.dlio

ROOT = pathlib.Path(__file__).resolve().parents[3]
MLSTOR = os.environ.get("MLSTOR_BIN") or str(ROOT / "target" / "debug" / "mlstor")
DLIO_PY = os.environ.get("MLSTOR_TEST_DLIO_PYTHON")


@pytest.fixture
def dlio_py():
    if not DLIO_PY:
        skip_or_fail("MLSTOR_TEST_DLIO_PYTHON is not set (scripts/dlio-venv.sh prints it)")
    if not os.access(MLSTOR, os.X_OK):
        pytest.fail(f"{MLSTOR} is not built (cargo build)")
    return DLIO_PY


def poisoned_path(tmp):
    """A folder whose s3dlio and s3torchconnector packages refuse to load: only mlstor's may
    answer."""
    for name in ("s3dlio", "s3torchconnector"):
        pkg = tmp / "poison" / name
        pkg.mkdir(parents=True, exist_ok=True)
        (pkg / "__init__.py").write_text(f"raise ImportError('the real {name} was imported')\n")
    return str(tmp / "poison")


def workload(tmp, name, storage, dataset, extra=""):
    """A DLIO config folder with one workload (DLIO's own YAML keys) and its output folder."""
    conf = tmp / f"conf-{name}"
    (conf / "workload").mkdir(parents=True)
    out = tmp / f"out-{name}"
    (conf / "config.yaml").write_text(textwrap.dedent(f"""\
        defaults:
          - _self_
          - workload: {name}
          - override hydra/job_logging: disabled
          - override hydra/hydra_logging: disabled
        """))
    (conf / "workload" / f"{name}.yaml").write_text(
        textwrap.dedent(f"""\
        model:
          name: {name}
        framework: pytorch
        workflow:
          generate_data: True
          train: True
          checkpoint: False
        """) + textwrap.dedent(storage) + textwrap.dedent(dataset) + textwrap.dedent(extra))
    return conf, out


def dlio(conf, out, *args, via_mlstor=True, env=None, np_ranks=1, timeout=600):
    """DLIO on this config folder; through `mlstor dlio` or, for the A/B, plain DLIO."""
    e = dict(os.environ, DLIO_LOG_LEVEL="warning", OMPI_ALLOW_RUN_AS_ROOT="1",
             OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", **(env or {}))
    cmd = ([MLSTOR, "dlio", "--python", DLIO_PY] if via_mlstor
           else [DLIO_PY, "-m", "dlio_benchmark.main"])
    cmd += [f"--config-dir={conf}", f"++hydra.run.dir={out}", *args]
    if np_ranks > 1:
        cmd = ["mpirun", "-np", str(np_ranks), "--oversubscribe", "-x", "PYTHONPATH", "-x", "AWS_ENDPOINT_URL",
               "-x", "S3_ENDPOINT_URIS"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e)
    assert p.returncode == 0, f"{' '.join(cmd)}\n--- stdout\n{p.stdout[-4000:]}\n--- stderr\n{p.stderr[-6000:]}"
    return p


def mlstor_run(conf, name, out):
    """`mlstor run` on the same workload file, reading the dataset DLIO wrote; its results folder."""
    r = subprocess.run([MLSTOR, "run", str(conf / "workload" / f"{name}.yaml"), "--results-dir", str(out),
                        "--quiet", "++workload.workflow.generate_data=False"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return out


def summary(out):
    return json.loads((out / "summary.json").read_text())


def s3_storage(bucket, library, scheme="s3"):
    return f"""\
        storage:
          storage_type: s3
          storage_root: {bucket}
          storage_options:
            storage_library: {library}
            uri_scheme: {scheme}
        """


def npz_dataset(prefix, files=8, size=262144):
    return f"""\
        dataset:
          data_folder: {prefix}
          format: npz
          num_files_train: {files}
          num_samples_per_file: 1
          record_length_bytes: {size}
          record_length_bytes_stdev: 0
        reader:
          data_loader: pytorch
          batch_size: 2
          read_threads: 1
          file_shuffle: seed
          sample_shuffle: seed
        train:
          epochs: 2
          computation_time: 0
        """


def check_npz_objects(base, files):
    uris = [m.uri for m in mlstor.list(base) if m.uri.endswith(".npz")]
    assert len(uris) == files, uris
    for u in uris[:2]:
        with np.load(io.BytesIO(bytes(mlstor.get(u)))) as z:
            assert "x" in z.files and z["x"].size > 0, (u, z.files)


def shape(out):
    """What must agree between runs of one workload: files, samples, epochs, steps per epoch,
    bytes per host (throughput and AU are measurements and may differ)."""
    s = summary(out)
    o = json.loads((out / "0_output.json").read_text())
    steps = {ep: len(o[ep]["load"]["block1"]) for ep in o if ep.isdigit()}
    keys = ("num_files_train", "num_samples_per_file", "epochs", "data_size_per_host_GB", "num_accelerators")
    return {**{k: s.get(k) for k in keys}, "steps": steps, "au_epochs": len(s["metric"]["train_au_percentage"])}


def test_dlio_npz_on_seaweedfs_through_mlstor_matches_real_s3dlio_and_mlstor_run(tmp_path, dlio_py):
    """One dataset, written by DLIO through mlstor, trained on by DLIO through mlstor, by DLIO
    with the real s3dlio, with s3torchconnector (the real one and mlstor's drop-in) and by
    `mlstor run` from the same YAML: the same files, steps and samples."""
    need_servers()
    bucket = os.environ["MLSTOR_TEST_BUCKET"]
    prefix = unique("dlio-npz")
    try:
        conf, out = workload(tmp_path, "npz", s3_storage(bucket, "s3dlio"), npz_dataset(prefix))
        p = dlio(conf, out, "workload=npz", env={"PYTHONPATH": poisoned_path(tmp_path)})
        assert "answered by mlstor" in p.stderr
        check_npz_objects(f"s3://{bucket}/{prefix}/", 8)
        ours = shape(out)
        assert ours["steps"] == {"1": 4, "2": 4} and ours["num_files_train"] == 8, ours
        real = tmp_path / "out-real"
        dlio(conf, real, "workload=npz", "++workload.workflow.generate_data=False", via_mlstor=False)
        assert shape(real) == ours
        # storage_library: s3torchconnector, the real package and mlstor's drop-in
        s3tc = "++workload.storage.storage_options.storage_library=s3torchconnector"
        for via in (False, True):
            out_tc = tmp_path / f"out-s3tc-{via}"
            dlio(conf, out_tc, "workload=npz", "++workload.workflow.generate_data=False", s3tc, via_mlstor=via,
                 env={"PYTHONPATH": poisoned_path(tmp_path)} if via else None)
            assert shape(out_tc) == ours, via
        mine = mlstor_run(conf, "npz", tmp_path / "out-mlstor-run")
        assert shape(mine) == ours
    finally:
        cleanup(f"s3://{bucket}/{prefix}/")


def test_dlio_npz_on_azurite_through_mlstor(tmp_path, dlio_py):
    """DLIO cannot reach Azurite by itself; through mlstor, `uri_scheme: az` trains on it."""
    need_servers()
    container = os.environ["MLSTOR_TEST_CONTAINER"]
    prefix = unique("dlio-az")
    try:
        conf, out = workload(tmp_path, "npz_az", s3_storage(container, "s3dlio", scheme="az"),
                             npz_dataset(prefix, files=4, size=65536))
        dlio(conf, out, "workload=npz_az", env={"PYTHONPATH": poisoned_path(tmp_path)})
        check_npz_objects(f"az://{container}/{prefix}/", 4)
        assert len(summary(out)["metric"]["train_au_percentage"]) == 2
    finally:
        cleanup(f"az://{container}/{prefix}/")


class CountingProxy:
    """A loopback TCP forwarder to the S3 server that counts the connections it carries: the
    proof that a rank's requests went to the endpoint DLIO chose for it."""

    def __init__(self, target_port):
        import socket
        import threading

        self.connections = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.target = target_port

        def pump(a, b):
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        def serve():
            while True:
                try:
                    client, _ = self.server.accept()
                except OSError:
                    return
                self.connections += 1
                upstream = socket.create_connection(("127.0.0.1", self.target))
                threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
                threading.Thread(target=pump, args=(upstream, client), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()

    def close(self):
        self.server.close()


def test_dlio_under_mpirun_uses_each_ranks_endpoint(tmp_path, dlio_py):
    """`mpirun -np 2 mlstor dlio ...` with DLIO's S3_ENDPOINT_URIS: rank 1 talks to the second
    endpoint (a counting proxy in front of SeaweedFS), and the run is complete."""
    need_servers()
    bucket = os.environ["MLSTOR_TEST_BUCKET"]
    prefix = unique("dlio-mpi")
    first = os.environ["AWS_ENDPOINT_URL"]
    proxy = CountingProxy(int(first.rsplit(":", 1)[1].strip("/")))
    try:
        conf, out = workload(tmp_path, "npz_mpi", s3_storage(bucket, "s3dlio"), npz_dataset(prefix, files=8))
        dlio(conf, out, "workload=npz_mpi", np_ranks=2,
             env={"S3_ENDPOINT_URIS": f"{first},http://127.0.0.1:{proxy.port}",
                  "PYTHONPATH": poisoned_path(tmp_path)})
        assert proxy.connections > 0, "rank 1 did not use the second endpoint"
        s = shape(out)
        assert s["num_accelerators"] == 2 and s["steps"] == {"1": 2, "2": 2}, s
        check_npz_objects(f"s3://{bucket}/{prefix}/", 8)
    finally:
        proxy.close()
        cleanup(f"s3://{bucket}/{prefix}/")


def test_dlio_parquet_on_seaweedfs_through_mlstor_matches_real_s3dlio_and_mlstor_run(tmp_path, dlio_py):
    """A dlrm-shaped parquet dataset (row groups read by byte range through s3dlio's
    PyParquetIndex / parquet_get_rg), written and read by DLIO through mlstor, read again by DLIO
    with the real s3dlio and by `mlstor run`: the same files and samples; the steps as each
    reader defines them."""
    need_servers()
    bucket = os.environ["MLSTOR_TEST_BUCKET"]
    prefix = unique("dlio-parquet")
    dataset = f"""\
        dataset:
          format: parquet
          data_folder: {prefix}
          num_files_train: 4
          num_samples_per_file: 8192
          record_length_bytes: 1024
          record_length_bytes_stdev: 0
        reader:
          data_loader: pytorch
          read_threads: 1
          prefetch_size: 0
          read_type: on_demand
          batch_size: 2048
        train:
          computation_time: 0
          epochs: 1
          total_training_steps: -1
          seed_change_epoch: false
        """
    try:
        conf, out = workload(tmp_path, "pq", s3_storage(bucket, "s3dlio"), dataset)
        dlio(conf, out, "workload=pq", env={"PYTHONPATH": poisoned_path(tmp_path)})
        files = [m for m in mlstor.list(f"s3://{bucket}/{prefix}/") if m.uri.endswith(".parquet")]
        assert len(files) == 4, files
        import pyarrow.parquet as pq
        meta = pq.ParquetFile(io.BytesIO(bytes(mlstor.get(files[0].uri)))).metadata
        assert meta.num_rows == 8192, meta
        ours = shape(out)
        real = tmp_path / "out-real"
        dlio(conf, real, "workload=pq", "++workload.workflow.generate_data=False", via_mlstor=False)
        mine = mlstor_run(conf, "pq", tmp_path / "out-mlstor-run")
        assert shape(real) == ours
        # DLIO 3.0.2's s3dlio parquet reader runs half the steps (its untimed pre-warm pass
        # takes the first half of each worker's shard; docs/dlio-compatibility.md); mlstor run
        # runs what the YAML says: 4 x 8192 samples / 2048 per batch.
        assert ours["steps"] == {"1": 8}, ours
        theirs = shape(mine)
        assert theirs["steps"] == {"1": 16}, theirs
        assert {**theirs, "steps": ours["steps"]} == ours
    finally:
        cleanup(f"s3://{bucket}/{prefix}/")


def test_compare_dlio_runs_each_library_on_one_dataset(tmp_path, dlio_py):
    """`mlstor compare --dlio`: the dataset generated once through mlstor, then DLIO with the
    real s3dlio and through mlstor; both runs complete, the table, verdict and JSON say so, and a
    library that fails (DLIO 3.0.2's own minio adapter) is reported failed, not ranked."""
    need_servers()
    bucket = os.environ["MLSTOR_TEST_BUCKET"]
    prefix = unique("dlio-cmp")
    conf, _ = workload(tmp_path, "cmp", s3_storage(bucket, "s3dlio"), npz_dataset(prefix, files=4, size=65536))
    out = tmp_path / "cmp.json"
    try:
        p = subprocess.run([MLSTOR, "compare", "--dlio", str(conf / "workload" / "cmp.yaml"), "--python", DLIO_PY,
                            "--compare", "s3dlio", "minio", "mlstor", "--repeat", "1", "--json", str(out)],
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 1, p.stderr  # minio fails inside DLIO 3.0.2
        j = json.loads(out.read_text())
        ok = {r["library"]: r for r in j["runs"] if r["ok"]}
        assert set(ok) == {"s3dlio", "mlstor"}, j["runs"]
        for r in ok.values():
            assert r["steps"] == 2 * (4 // 2) and r["samples"] == 8 and r["cpu_s"] > 0, r
            assert r["cpu_s_per_GB_marginal"] is not None
        assert "FINAL VERDICT: mlstor is" in p.stdout and "than s3dlio" in p.stdout, p.stdout
        assert "minio (repeat 1) FAILED: " in p.stdout and "bucket_exists" in p.stdout, p.stdout
        assert not any("secret_access_key=" in a and not a.endswith("=***") for r in j["runs"] for a in r["command"])
    finally:
        cleanup(f"s3://{bucket}/{prefix}/")
