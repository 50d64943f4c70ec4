"""The MLPerf-pinned DLIO (shared/anchors: branch mlperf_storage_v2.0) as the bench scripts
install and run it (not a script itself): a venv under $DLIO_ROOT (default /tmp/dlio-anchor)
with the install steps of shared/anchors/run_dlio.sh, the stand-ins DLIO needs here, and the
environment a DLIO command runs in.
"""
import os
import shutil
import subprocess
import sys
import time

from common import ROOT

ANCHORS = os.environ.get("MLSTOR_ANCHORS") or os.path.join(os.path.dirname(ROOT), "shared", "anchors")
DLIO_TARBALL = "dlio_benchmark-mlperf_storage_v2.0.tar.gz"
TF_STUB = "# inert stub: DLIO imports tensorflow at module load only for TFProfiler (unused with pytorch)\n"
# DALI's `tfrecord2idx` (one "offset size" line per record), which DLIO's TFRecordGenerator calls
# after each file; it ships with nvidia-dali (not installed: GPU wheels), so a stand-in goes on PATH.
TFRECORD2IDX = r'''#!/usr/bin/env python3
# Stand-in for NVIDIA DALI's tfrecord2idx (same output: "offset size" per record), used by DLIO.
import struct, sys
if len(sys.argv) < 3:
    sys.exit("usage: tfrecord2idx TFRECORD INDEX")
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "w") as idx:
    while True:
        cur = f.tell()
        head = f.read(8)
        if not head:
            break
        (n,) = struct.unpack("<q", head)
        f.seek(4 + n + 4, 1)
        idx.write(f"{cur} {f.tell() - cur}\n")
'''


def dlio_paths(root):
    return {"root": root, "venv": os.path.join(root, "venv"), "src": os.path.join(root, "src", "dlio_v2"),
            "py": os.path.join(root, "venv", "bin", "python"),
            "dlio": os.path.join(root, "venv", "bin", "dlio_benchmark"),
            "shim": os.path.join(root, "shim"), "bin": os.path.join(root, "shim-bin"),
            "tf_note": os.path.join(root, "tensorflow-status.txt")}


def sh(cmd, **kw):
    print("+ " + (cmd if isinstance(cmd, str) else " ".join(cmd)), flush=True)
    return subprocess.run(cmd, shell=isinstance(cmd, str), **kw)


def du_bytes(path):
    total = 0
    for dp, _, fns in os.walk(path):
        for fn in fns:
            try:
                total += os.lstat(os.path.join(dp, fn)).st_size
            except OSError:
                pass
    return total


def write_shims(P):
    os.makedirs(os.path.join(P["shim"], "tensorflow"), exist_ok=True)
    stub = os.path.join(P["shim"], "tensorflow", "__init__.py")
    if not os.path.isfile(stub):
        with open(stub, "w") as f:
            f.write(TF_STUB)
    os.makedirs(P["bin"], exist_ok=True)
    t2i = os.path.join(P["bin"], "tfrecord2idx")
    with open(t2i, "w") as f:
        f.write(TFRECORD2IDX)
    os.chmod(t2i, 0o755)


def setup(P, tf_spec, no_tf):
    """The install steps of shared/anchors/run_dlio.sh (same packages, DLIO --no-deps from the
    tarball), plus tensorflow-cpu for the tfrecord workload and the two stand-ins."""
    t0 = time.perf_counter()
    pip = [os.path.join(P["venv"], "bin", "pip"), "install", "-q", "--no-cache-dir"]
    if not os.path.isdir(P["src"]):
        os.makedirs(os.path.dirname(P["src"]), exist_ok=True)
        sh(["tar", "-xzf", os.path.join(ANCHORS, DLIO_TARBALL), "-C", os.path.dirname(P["src"])], check=True)
    if not shutil.which("mpicc"):
        sh("apt-get update -qq && apt-get install -y -qq openmpi-bin libopenmpi-dev >/dev/null", check=True)
    if not os.path.isfile(P["py"]):
        sh([sys.executable, "-m", "venv", P["venv"]], check=True)
    sh(pip + ["hydra-core==1.3.2", "omegaconf>=2.2", "numpy", "pandas", "h5py", "psutil", "pydftracer",
              "Pillow", "PyYAML", "mpi4py"], check=True)
    # PyPI torch (CUDA build, ~3 GB with the nvidia-* wheels), used CPU-only: the DLIO pytorch framework
    # imports it at start-up.
    sh(pip + ["torch==2.5.1"], check=True)
    sh(pip + ["--no-deps", P["src"]], check=True)
    write_shims(P)
    # tensorflow-cpu: DLIO's TFRecordGenerator writes with tf.io.TFRecordWriter / tf.train.Example, and
    # its tensorflow framework module imports tensorflow_io at start-up (unused for local files; the
    # newest tensorflow-io, 0.37.1, is built for TF 2.16 and only warns that its plugins do not load).
    status = "not installed (--no-tensorflow)"
    if not no_tf:
        q = subprocess.run([os.path.join(P["venv"], "bin", "pip"), "index", "versions", "tensorflow-cpu"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        print(q.stdout.strip().splitlines()[-1] if q.stdout.strip() else "(pip index: no output)")
        r = sh(pip + [tf_spec, "tensorflow-io"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode == 0:
            v = subprocess.run([P["py"], "-c", "import tensorflow as tf, tensorflow_io as tfio; "
                                "print(tf.__version__, '+ tensorflow-io', tfio.__version__)"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
            status = (f"ok {v.stdout.strip()}" if v.returncode == 0 else
                      f"installed but import fails: {v.stderr.strip()[-300:]}")
        else:
            status = f"pip install {tf_spec} failed: {r.stdout.strip()[-400:]}"
    with open(P["tf_note"], "w") as f:
        f.write(status + "\n")
    print(f"tensorflow: {status}")
    print(f"setup done in {time.perf_counter() - t0:.0f} s; {P['venv']} = {du_bytes(P['venv']) / 1e9:.2f} GB")


def have_tensorflow(P):
    """Whether --setup installed a working tensorflow-cpu (else the stub goes on PYTHONPATH)."""
    try:
        with open(P["tf_note"]) as f:
            return f.read().startswith("ok")
    except OSError:
        return False


def dlio_env(P, pytorch=True):
    """The environment of a DLIO command: root allowed under mpirun, quiet logs, the
    tfrecord2idx stand-in on PATH and, for pytorch workloads (or without tensorflow), the
    inert tensorflow stub on PYTHONPATH."""
    env = dict(os.environ, DLIO_LOG_LEVEL="warning", OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", TF_CPP_MIN_LOG_LEVEL="2",
               PATH=P["bin"] + os.pathsep + os.environ.get("PATH", ""))
    if pytorch or not have_tensorflow(P):
        env["PYTHONPATH"] = P["shim"] + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def write_config(conf, workload):
    """DLIO's Hydra config dir `conf`: config.yaml as run_dlio.sh writes it (default workload
    `workload`, Hydra's logging off) and an empty workload/ for the workload YAMLs."""
    os.makedirs(os.path.join(conf, "workload"), exist_ok=True)
    with open(os.path.join(conf, "config.yaml"), "w") as f:
        f.write(f"defaults:\n - _self_\n - workload: {workload}\n - override hydra/job_logging: disabled\n"
                " - override hydra/hydra_logging: disabled\nhydra:\n  run:\n"
                "    dir: ./hydra_log/${workload.model.name}/${now:%Y-%m-%d}-${now:%H-%M-%S}\n")
