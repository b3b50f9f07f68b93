#!/usr/bin/env bash
# Installs what the build needs (Debian packages), builds distsim (Release) and runs every test
# with ctest. Needs no network beyond apt and no data: tests write their own tiny IDX files.
# Usage: scripts/test.sh [extra ctest arguments, e.g. -R Idx]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
start=$(date +%s)
scripts/build.sh
echo "test.sh: built in $(( $(date +%s) - start )) s; running ctest"
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
