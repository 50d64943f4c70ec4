#!/usr/bin/env bash
# Creates (or reuses) a Python 3.12 venv with DLIO 3.0.2 (the DLIO MLPerf Storage v3.0 accepts)
# and mlstor's Python package, for `mlstor dlio` and its tests. Prints the venv's python.
#
# Usage: scripts/dlio-venv.sh [VENV]          (default target/dlio-venv)
# Env:   DLIO_TARBALL  DLIO's source (default: the copy in third_party/dlio_benchmark/,
#                      the same file as ../shared/anchors/ has)
#        PY312         the python3.12 to use (default: PATH, then pyenv)
# DLIO goes in with --no-deps and the dependency versions of its uv.lock minus tensorflow
# (not imported for framework=pytorch); torch from PyPI is the CUDA build (~1 GB more when the
# CUDA libraries are already in pip's cache from the test venv), used on CPU.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=${1:-target/dlio-venv}
TARBALL=${DLIO_TARBALL:-third_party/dlio_benchmark/dlio_benchmark-v3.0.2-DLIO_local_changes-f6796ed.tar.gz}
log=$VENV.log

find_py312() {
  local c root=${PYENV_ROOT:-$HOME/.pyenv}
  for c in "${PY312:-}" "$(command -v python3.12 || true)" "$root"/versions/3.12*/bin/python3.12; do
    [[ -n $c && -x $c ]] || continue
    "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null && { echo "$c"; return; }
  done
  return 1
}

if ! "$VENV/bin/python" -c "import dlio_benchmark.main, torch, s3dlio, s3torchconnector, minio, mpi4py, pyarrow" 2>/dev/null; then
  [[ -f $TARBALL ]] || { echo "dlio-venv: DLIO 3.0.2 source not found: $TARBALL (set DLIO_TARBALL)" >&2; exit 1; }
  py=$(find_py312) || { echo "dlio-venv: python3.12 not found (set PY312)" >&2; exit 1; }
  echo "dlio-venv: creating $VENV with $py (log: $log)" >&2
  rm -rf "$VENV" "$VENV.src" && "$py" -m venv "$VENV"
  mkdir -p "$VENV.src" && tar -xzf "$TARBALL" -C "$VENV.src"
  {
    "$VENV/bin/pip" install --disable-pip-version-check "torch==2.11.0" "numpy==2.4.4" \
      "pandas==3.0.2" "pyarrow==23.0.1" "h5py==3.16.0" "hydra-core==1.3.2" "omegaconf==2.3.0" \
      "mpi4py==4.1.1" "pydftracer==2.0.2" "s3dlio==0.9.106" "dgen-py==0.2.4" \
      "s3torchconnector==1.5.0" Pillow psutil PyYAML "typing-extensions>=4.15.0" maturin minio
    "$VENV/bin/pip" install --disable-pip-version-check --no-deps "$VENV.src"
  } > "$log" 2>&1 || { tail -30 "$log" >&2; exit 1; }
  rm -rf "$VENV.src"
fi
# mlstor's Python package, built for this Python (debug profile: reuses the test build).
VIRTUAL_ENV=$PWD/$VENV "$VENV/bin/maturin" develop --quiet -m crates/py/Cargo.toml >&2
echo "$PWD/$VENV/bin/python"
