#!/usr/bin/env bash
# Runs every test: starts the real S3 (SeaweedFS), Azure (Azurite) and GCS (fake-gcs-server)
# servers on 127.0.0.1, runs the workspace's tests against them, and stops the servers.
# Under CI=true a missing server or prerequisite fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ${CI:-} == true ]]; then
  export CARGO_INCREMENTAL=0 CARGO_TERM_COLOR=never
fi

scripts/system-deps.sh   # libhdf5-dev, Open MPI, libclang-dev

# A Python with the reference readers, for the format interop tests.
VENV=target/test-venv
if ! "$VENV/bin/python" -c "import numpy, PIL, h5py" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check numpy pillow h5py
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
