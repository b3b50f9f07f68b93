#!/usr/bin/env bash
# Proves that tests/check_includes.sh can fail: copies the checked folders to a temporary tree,
# plants a gRPC-generated header in a sim/node file, and expects the check to fail with a line
# naming that file, line and header. A rule that could never fail would prove nothing.
set -u
root=$(cd "${1:-.}" && pwd) || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/tests"
cp "$root/tests/check_includes.sh" "$root/tests/include_rules.txt" "$tmp/tests/"
for d in kernels sim bench; do
  [ -d "$root/$d" ] && cp -r "$root/$d" "$tmp/"
done
victim=$(cd "$tmp" && find sim/node -name '*.cc' | sort | head -n 1)
if [ -z "$victim" ]; then
  echo "selftest: no .cc file under sim/node to plant an include in"
  exit 1
fi
sed -i '1i #include "distsim/ps.grpc.pb.h"' "$tmp/$victim"

out=$("$tmp/tests/check_includes.sh" "$tmp" 2>&1)
rc=$?
if [ $rc -eq 0 ]; then
  echo "selftest: check_includes.sh passed with \"distsim/ps.grpc.pb.h\" planted in $victim:"
  echo "$out"
  exit 1
fi
if ! grep -q "^$victim:1: \"distsim/ps.grpc.pb.h\" is rpc-protos" <<<"$out"; then
  echo "selftest: check_includes.sh failed, but no line names $victim:1 and the planted header:"
  echo "$out"
  exit 1
fi
echo "selftest: the planted include in $victim is reported:"
grep "^$victim:1:" <<<"$out"
