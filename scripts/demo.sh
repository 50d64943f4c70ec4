#!/usr/bin/env bash
# The main job for a first look: build mlstor (release) and benchmark reads of 64 x 16 MiB
# objects on a local file:// prefix (written first, untimed), then the same into reused buffers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DIR=${1:-${TMPDIR:-/tmp}/mlstor-demo}
cargo build --release --locked -p mlstor
target/release/mlstor bench get "file://$DIR" --objects 64 --size 16MiB --concurrency 8
target/release/mlstor bench get "file://$DIR" --objects 64 --size 16MiB --concurrency 8 --into
