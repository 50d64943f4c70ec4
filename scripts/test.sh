#!/usr/bin/env bash
# Runs every test: starts the real S3 (SeaweedFS), Azure (Azurite) and GCS (fake-gcs-server)
# servers on 127.0.0.1, runs the workspace's tests against them, and stops the servers.
# Under CI=true a missing server or prerequisite fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ${CI:-} == true ]]; then
  export CARGO_INCREMENTAL=0 CARGO_TERM_COLOR=never
fi

scripts/system-deps.sh --test   # libhdf5-dev, Open MPI, libclang-dev, chromium

# A Python with the reference readers (format interop tests: numpy, Pillow, h5py, pyarrow),
# maturin and pytest (the Python package), what mlpstorage's report generator imports
# (pyyaml, psutil, rich, pydantic, python-dotenv: the `mlstor mlperf` cross-check), and the
# storage libraries `mlstor compare` runs (s3dlio, s3torchconnectorclient, minio, boto3, obstore).
VENV=target/test-venv
if ! "$VENV/bin/python" -c "import numpy, PIL, h5py, pyarrow, maturin, pytest, yaml, psutil, rich, pydantic, dotenv, s3dlio, s3torchconnectorclient, minio, boto3, obstore" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check numpy pillow h5py pyarrow maturin pytest \
    pyyaml psutil rich pydantic python-dotenv "s3dlio>=0.10,<0.11" s3torchconnectorclient minio boto3 obstore
fi
export MLSTOR_TEST_PYTHON=$PWD/$VENV/bin/python

# Servers that were already up (started by hand, or shared with another checkout through
# MLSTOR_SERVERS_DIR) are left running; the ones this run starts are stopped at its end.
if ! scripts/test-servers.sh status >/dev/null 2>&1; then
  trap 'scripts/test-servers.sh stop >/dev/null 2>&1 || true' EXIT
fi
scripts/test-servers.sh start
eval "$(scripts/test-servers.sh env)"

cargo test --workspace --locked --features mlstor/hdf5 "$@"

# The Python package (crates/py): built into the venv with the debug profile (it reuses the
# build above), then its pytest suites against the same servers. torch is large (PyPI has
# only the CUDA build, ~2.5-3.5 min and ~5 GB to install), so it is installed only for the
# second stage, which runs the tests marked `torch`; MLSTOR_TEST_TORCH=0 skips that stage
# outside CI.
stage() { echo "test.sh: $1 ($(date +%T))"; }
stage "python package: build"
VIRTUAL_ENV=$PWD/$VENV "$VENV/bin/maturin" develop --quiet -m crates/py/Cargo.toml
stage "python package: tests without torch"
(cd crates/py && "../../$VENV/bin/python" -m pytest -q -m "not torch and not dlio" tests)
if [[ ${CI:-} == true || ${MLSTOR_TEST_TORCH:-1} != 0 ]]; then
  # azstoragetorch (needs torch; pins azure-storage-blob) for `mlstor compare` on Azurite.
  if ! "$VENV/bin/python" -c "import torch, azstoragetorch.io" 2>/dev/null; then
    stage "python package: installing torch and azstoragetorch"
    "$VENV/bin/pip" install -q --disable-pip-version-check torch azstoragetorch
  fi
  stage "python package: torch tests"
  (cd crates/py && "../../$VENV/bin/python" -m pytest -q -m torch tests)
  # DLIO 3.0.2 (Python 3.12, its own venv with torch) run through `mlstor dlio`.
  stage "DLIO 3.0.2 on mlstor: venv"
  MLSTOR_TEST_DLIO_PYTHON=$(scripts/dlio-venv.sh)
  export MLSTOR_TEST_DLIO_PYTHON
  stage "DLIO 3.0.2 on mlstor: tests"
  (cd crates/py && "../../$VENV/bin/python" -m pytest -q -m dlio tests)
fi
stage "done"
