#!/usr/bin/env bash
# The main job for a first look: build mlstor (release), then run a small DLIO/MLPerf-style
# training benchmark on a local file:// dataset — generate a unet3d-shaped npz dataset, train
# 2 epochs with emulated compute, print AU, throughput and latency, write DLIO's result files
# and an HTML report with charts made from them — and finally benchmark raw reads of
# 64 x 16 MiB objects on file:// for comparison.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DIR=${1:-${TMPDIR:-/tmp}/mlstor-demo}
scripts/system-deps.sh
cargo build --release --locked -p mlstor
mkdir -p "$DIR"
target/release/mlstor run unet3d_tiny --set "dataset.data_folder=$DIR/unet3d_tiny" \
  --set dataset.num_files_train=64 --set train.epochs=2 --results-dir "$DIR/results"
target/release/mlstor report "$DIR/results" --html "$DIR/report.html"
target/release/mlstor bench get "file://$DIR/objects" --objects 64 --size 16MiB --concurrency 8
