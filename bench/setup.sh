#!/usr/bin/env bash
# Create (or refresh) the Python venv with the peer libraries used by the bench/ scripts.
# Idempotent: re-running only installs what is missing.  Not a test; nothing here is run by CI.
#
#   bash bench/setup.sh                 # venv at target/bench-venv
#   MLSTOR_BENCH_VENV=/tmp/v bash bench/setup.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${MLSTOR_BENCH_VENV:-$ROOT/target/bench-venv}"
PY="${PYTHON:-python3}"

# s3torchconnectorclient works without torch (the Mountpoint/CRT client is used directly);
# s3torchconnector itself would pull in torch, so it is not installed.
PKGS=(
  "s3dlio>=0.10,<0.11"
  "dgen-py>=0.3,<0.4"
  "boto3"
  "minio"
  "obstore"
  "s3torchconnectorclient"
  "psutil"
  "numpy"
)
MODS=(s3dlio dgen_py boto3 minio obstore s3torchconnectorclient psutil numpy)

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating venv $VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PY" -m venv "$VENV"
fi

missing=()
for i in "${!MODS[@]}"; do
  if ! "$VENV/bin/python" -c "import ${MODS[$i]}" >/dev/null 2>&1; then
    missing+=("${PKGS[$i]}")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${missing[@]}"
else
  echo "all peer packages already installed"
fi

"$VENV/bin/python" - <<'PY'
import importlib.metadata as md
for d in ("s3dlio", "dgen-py", "boto3", "minio", "obstore", "s3torchconnectorclient", "psutil", "numpy"):
    try:
        print(f"  {d:24s} {md.version(d)}")
    except md.PackageNotFoundError:
        print(f"  {d:24s} MISSING")
PY
echo "venv ready: $VENV/bin/python"
