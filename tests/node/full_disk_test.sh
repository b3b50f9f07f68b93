#!/usr/bin/env bash
# A full disk stops a run at the first failed write, with exit 74 naming the file, and leaves no
# temporary file behind. The disk is a 192 KiB tmpfs, which needs root: elsewhere the test is
# skipped (exit 77, ctest's SKIP_RETURN_CODE) and says why.
# Usage: full_disk_test.sh DISTSIM WRITE_SYNTHETIC_IDX
set -u
distsim=$1
writer=$2
work=$(mktemp -d)
cleanup() { umount "$work/disk" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/disk"
if ! mount -t tmpfs -o size=192k tmpfs "$work/disk" 2>/dev/null; then
  echo "skipped: mounting a small tmpfs (the full disk) needs root"
  exit 77
fi
"$writer" "$work/data" 600 200 || { echo "cannot write synthetic data"; exit 1; }
cat >"$work/run.textproto" <<CFG
name: "full"
model { softmax {} }
data { dataset: IDX dir: "$work/data" }
optimizer { sgd { learning_rate: 0.1 } }
train { batch_size: 8 steps: 100000000 }
CFG
failures=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}
for strategy in "local {}" "workers: 2 allreduce {}"; do
  # 10^8 steps would take hours: only stopping at the first failed write ends it within 60 s.
  timeout 60 "$distsim" run "$work/run.textproto" -q --out "$work/disk" --set "$strategy" \
    >"$work/out" 2>"$work/err"
  code=$?
  echo "  $strategy: exit $code: $(head -c 300 "$work/err")"
  check "$strategy: exit 74" [ "$code" -eq 74 ]
  check "$strategy: names steps.csv" grep -q "full/steps.csv" "$work/err"
  check "$strategy: no temporary file left" [ -z "$(find "$work/disk" -name '*.tmp*')" ]
  rm -rf "$work/disk/full"
done
[ "$failures" -eq 0 ] && echo "full disk: all checks passed"
[ "$failures" -eq 0 ]
