#!/usr/bin/env bash
# Installs the Debian packages distsim needs to build and test, when they are missing.
# Idempotent: a second run installs nothing and says so. Needs root (or sudo) only when
# something is missing.
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  libgrpc++-dev protobuf-compiler-grpc   # the gRPC CMake config refuses to load without the plugins
  libprotobuf-dev protobuf-compiler
  libeigen3-dev libgtest-dev libgmock-dev libbenchmark-dev
  libboost-dev libabsl-dev libcli11-dev
  clang-tidy                             # scripts/lint.sh (the ctest lint): function sizes
  openssl                                # the TLS tests make throwaway certificates with it
  iproute2                               # distsim local: ip netns, veth, bridge; tc for shaping
  clang libclang-rt-dev llvm             # scripts/fuzz.sh and the fuzz_* ctests: libFuzzer, the
                                         # sanitizer runtimes, llvm-symbolizer for their reports
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#packages[@]} build packages already installed"
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo_cmd=(sudo)
  else
    echo "bootstrap: not root and no sudo; install these packages by hand: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "bootstrap: done"
