#!/usr/bin/env bash
# Debian packages mlstor builds and tests with: HDF5 (the hdf5 feature), Open MPI with
# libclang for its bindings (the default mpi feature; mpirun for multi-rank runs); with
# --test also Chromium, for the test that renders `mlstor report --html` in a real headless
# browser.
# Installs what is missing when run as root; otherwise names it and fails.
set -euo pipefail
need=()
pkg-config --exists hdf5 2>/dev/null || need+=(libhdf5-dev)
command -v mpicc >/dev/null 2>&1 || need+=(libopenmpi-dev)
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
compgen -G '/usr/lib/llvm-*/lib/libclang.so*' >/dev/null || need+=(libclang-dev)
if [[ ${1:-} == --test ]]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
((${#need[@]})) || exit 0
if [[ $(id -u) != 0 ]]; then
  echo "system-deps: missing ${need[*]}; install them (apt-get install ${need[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${need[@]}" >/dev/null 2>&1 ||
  { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
