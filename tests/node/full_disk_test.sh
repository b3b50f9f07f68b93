#!/usr/bin/env bash
# A full disk stops a run at the first failed write, with exit 74 naming the file (steps.csv, or a
# checkpoint), and leaves no temporary file behind. The disk is a 192 KiB tmpfs, which needs root: elsewhere the test is
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
# The third: the disk fills with checkpoints (each set about 63 KB, a set every step, all kept)
# before steps.csv grows enough to fail: the worker that cannot write its part names the file.
for strategy in "local {}" "workers: 2 allreduce {}" \
    "workers: 2 allreduce {} supervision { checkpoint_every_steps: 1 checkpoints_kept: 100 }"; do
  file="full/steps.csv"
  case $strategy in *checkpoint*) file=".ckpt: No space left on device" ;; esac
  # 10^8 steps would take hours: only stopping at the first failed write ends it within 60 s.
  timeout 60 "$distsim" run "$work/run.textproto" -q --out "$work/disk" --set "$strategy" \
    >"$work/out" 2>"$work/err"
  code=$?
  echo "  $strategy: exit $code: $(head -c 300 "$work/err")"
  check "$strategy: exit 74" [ "$code" -eq 74 ]
  check "$strategy: names $file" grep -q "$file" "$work/err"
  check "$strategy: no temporary file left" [ -z "$(find "$work/disk" -name '*.tmp*')" ]
  case $strategy in *checkpoint*)
    set1="$work/disk/full/checkpoints/step-0000000001"
    check "$strategy: the set before is whole" test -s "$set1/worker-0.ckpt" -a -s "$set1/worker-1.ckpt" ;;
  esac
  rm -rf "$work/disk/full"
done
[ "$failures" -eq 0 ] && echo "full disk: all checks passed"
[ "$failures" -eq 0 ]
