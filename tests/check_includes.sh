#!/usr/bin/env bash
# Checks the one-way dependency rule (DESIGN.md section 6) on #include lines:
#   kernels/  includes nothing of sim/, protobuf, gRPC or abseil (Eigen and the standard library);
#   sim/data  includes nothing of sim/config, sim/node, sim/cli, sim/strategy, sim/comm, gRPC;
#   sim/strategy includes no gRPC header; only sim/comm includes gRPC;
#   sim/base  includes nothing else of the project.
set -u
root=${1:-.}
cd "$root" || exit 2
fail=0
check() {  # check FOLDER REGEX WHAT
  local hits
  hits=$(grep -rnE "^\s*#\s*include\s*[<\"]($2)" "$1" 2>/dev/null)
  if [ -n "$hits" ]; then
    echo "include rule broken: $1 must not include $3:"
    echo "$hits"
    fail=1
  fi
}
check kernels 'sim/|google/|grpc|absl/|distsim/' 'sim/, protobuf, gRPC, abseil or generated protos'
check sim/base 'sim/(config|data|node|cli|report|strategy|comm)/|kernels/|google/|grpc|distsim/' 'other project code, protobuf or gRPC'
check sim/data 'sim/(config|node|cli|strategy|comm|report)/|grpc|distsim/' 'config, node, cli, strategy, comm, report or gRPC'
for d in sim/*/; do
  case "$d" in sim/comm/) continue ;; esac
  check "$d" 'grpc|grpcpp/' 'gRPC (only sim/comm may)'
done
[ -d sim/strategy ] && check sim/strategy 'sim/(node|cli)/' 'node or cli'
# A rule that could never fail would prove nothing: make sure the scan sees includes at all.
if ! grep -rqE '^\s*#\s*include' kernels sim; then
  echo "include rule check found no #include lines under kernels/ and sim/"; fail=1
fi
[ $fail -eq 0 ] && echo "include rules hold"
exit $fail
