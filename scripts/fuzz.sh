#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang, ASan + UBSan, their own build folder) and runs
# each on a work corpus started from its seeds, then writes a report. See fuzz/README.md.
#
#   scripts/fuzz.sh [--minutes M | --seconds S] [--jobs J] [--target NAME] [--build-dir DIR]
#                   [--work DIR] [--out DIR] [--fresh] [--no-build | --build-only]
#
# Exit: 0 every target ran clean; 1 a target crashed, leaked, timed out, ran out of memory or
# failed to run (its artifacts are named in the report); 2 bad usage or a failed build; 77 this
# machine cannot build fuzz targets (no clang++ or no libFuzzer: the message says which package).
# Environment: FUZZ_CXX (default clang++), CMAKE_ARGS (extra configure flags, e.g. a compiler
# launcher). Progress goes to stderr, one line per target as it starts and ends.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
Usage: scripts/fuzz.sh [options]
Builds the fuzz targets of fuzz/ with clang (libFuzzer, ASan, UBSan) in their own build folder,
runs each for the given time on a work corpus seeded from fuzz/corpus/<target>/ (the seeds are
only read; new inputs go to <work>/<target>/, never into the repository), and writes
<out>/report.md and <out>/report.json: per target the executions, exec/s, coverage (cov: edges,
ft: features), corpus size, and any crash, leak, timeout or out-of-memory with its artifact.

Options:
  --minutes M        run each target M minutes
  --seconds S        run each target S seconds (default 60)
  --jobs J           run J targets at once (default 1); each target is one process
  --target NAME      run only NAME (repeatable; default: every folder of fuzz/corpus/)
  --build-dir DIR    the fuzz build folder (default build/fuzz)
  --work DIR         the work corpora's folder (default <build-dir>/corpus)
  --out DIR          where the report, logs and artifacts go (default out/fuzz)
  --fresh            start the work corpora from the seeds alone
  --no-build         use the targets already built in the build folder
  --build-only       configure and build, run nothing
  -h, --help         this text

Example: scripts/fuzz.sh --minutes 10 --jobs 2    (six targets, 30 minutes on 2 cores)
EOF
}

seconds=60 jobs=1 build_dir=build/fuzz work_dir="" out=out/fuzz fresh=0 build=1 run=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) seconds=$(( ${2:?--minutes needs a value} * 60 )); shift 2 ;;
    --seconds) seconds=${2:?--seconds needs a value}; shift 2 ;;
    --jobs) jobs=${2:?--jobs needs a value}; shift 2 ;;
    --target) targets+=("${2:?--target needs a name}"); shift 2 ;;
    --build-dir) build_dir=${2:?--build-dir needs a folder}; shift 2 ;;
    --work) work_dir=${2:?--work needs a folder}; shift 2 ;;
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --no-build) build=0; shift ;;
    --build-only) run=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "fuzz: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ $seconds =~ ^[1-9][0-9]*$ && $jobs =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz: --minutes, --seconds and --jobs take positive whole numbers" >&2
  exit 2
fi
log() { echo "fuzz: $*" >&2; }
work_dir=${work_dir:-$build_dir/corpus}

# Every folder of fuzz/corpus/ is a target of the same name (fuzz/CMakeLists.txt builds them).
all_targets=$(find fuzz/corpus -mindepth 1 -maxdepth 1 -type d -name 'fuzz_*' -printf '%f\n' | sort)
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets <<<"$all_targets"
fi
for t in "${targets[@]}"; do
  if ! grep -qx "$t" <<<"$all_targets"; then
    log "no target '$t'; the targets are: $(tr '\n' ' ' <<<"$all_targets")"
    exit 2
  fi
done

cxx=${FUZZ_CXX:-clang++}
if [ $build -eq 1 ]; then
  if ! command -v "$cxx" >/dev/null 2>&1; then
    log "no $cxx: install the Debian packages clang and libclang-rt-dev (scripts/bootstrap.sh does)"
    exit 77
  fi
  probe=$(mktemp -d)
  trap 'rm -rf "$probe"' EXIT
  echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
    >"$probe/probe.cc"
  if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe/probe.cc" -o "$probe/probe" \
      >"$probe/log" 2>&1; then
    log "$cxx cannot link -fsanitize=fuzzer,address,undefined (libFuzzer and the sanitizer" \
        "runtimes): install the Debian package libclang-rt-dev (scripts/bootstrap.sh does)"
    sed 's/^/  /' "$probe/log" | head -5 >&2
    exit 77
  fi
  log "building ${targets[*]} in $build_dir"
  start=$(date +%s)
  build_targets=()
  for t in "${targets[@]}"; do build_targets+=(--target "$t"); done
  # shellcheck disable=SC2086
  if ! cmake -S . -B "$build_dir" -DCMAKE_CXX_COMPILER="$cxx" -DDISTSIM_FUZZ=ON \
        ${CMAKE_ARGS:-} >"$probe/log" 2>&1 ||
     ! cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)" \
        "${build_targets[@]}" >>"$probe/log" 2>&1; then
    tail -30 "$probe/log" >&2
    log "the fuzz build failed"
    exit 2
  fi
  log "built in $(( $(date +%s) - start )) s"
fi
for t in "${targets[@]}"; do
  bin=$build_dir/fuzz/$t
  if [ ! -x "$bin" ]; then
    log "$bin is not built (run without --no-build)"
    exit 2
  fi
  # The targets link no gRPC (fuzz/CMakeLists.txt): a library of it in the binary is a broken rule.
  if ldd "$bin" 2>/dev/null | grep -qiE 'libgrpc|libgpr'; then
    log "$bin loads a gRPC library: the fuzz build must not link gRPC"
    ldd "$bin" | grep -iE 'libgrpc|libgpr' >&2
    exit 2
  fi
done
[ $run -eq 1 ] || exit 0

mkdir -p "$out/logs" "$out/results"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# Runs target $1, then writes $out/results/$1 (key=value lines the report reads).
run_target() {
  local t=$1 work=$work_dir/$1 artifacts=$out/artifacts/$1 log=$out/logs/$1.log
  [ $fresh -eq 1 ] && rm -rf "$work"
  rm -rf "$artifacts"
  mkdir -p "$work" "$artifacts"
  local dict=()
  # A dictionary the fuzz build wrote for the target (fuzz/CMakeLists.txt), if any.
  [ -r "$build_dir/fuzz/$t.dict" ] && dict=("-dict=$build_dir/fuzz/$t.dict")
  log "$t: started, $seconds s"
  local rc=0
  # libFuzzer stops itself after max_total_time; the outer timeout only catches a hung run.
  timeout -k 10 $((seconds + 120)) "$build_dir/fuzz/$t" -max_total_time="$seconds" \
    -rss_limit_mb=512 -timeout=10 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "${dict[@]}" "$work" "fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  local status=ok
  if [ $rc -ne 0 ]; then
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then status=hung
    elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then status=oom
    elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then status=timeout
    elif grep -q 'ERROR: LeakSanitizer' "$log"; then status=leak
    else status=crash
    fi
  fi
  local last
  last=$(grep -E '^#[0-9]+[[:space:]]' "$log" | grep 'cov:' | tail -n 1 || true)
  final_stat() { sed -n "s/^stat::$1:[[:space:]]*//p" "$log" | tail -n 1; }
  {
    echo "status=$status"
    echo "exit=$rc"
    echo "runs=$(final_stat number_of_executed_units)"
    echo "execs_per_s=$(final_stat average_exec_per_sec)"
    echo "new_units=$(final_stat new_units_added)"
    echo "peak_rss_mb=$(final_stat peak_rss_mb)"
    echo "cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | cut -d' ' -f2)"
    echo "ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | cut -d' ' -f2)"
    echo "corpus_files=$(find "$work" -type f | wc -l)"
    echo "corpus_bytes=$(find "$work" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')"
    echo "artifacts=$(find "$artifacts" -type f | sort | paste -sd ' ' -)"
  } >"$out/results/$t"
  local found
  found=$(sed -n 's/^artifacts=//p' "$out/results/$t")
  log "$t: $status: $(sed -n 's/^runs=//p' "$out/results/$t") runs," \
      "cov $(sed -n 's/^cov=//p' "$out/results/$t"), ft $(sed -n 's/^ft=//p' "$out/results/$t")" \
      "(log $log${found:+; artifacts: $found})"
}

for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_target "$t" &
done
wait

# The report: one row per target, in markdown and in JSON.
value() { sed -n "s/^$2=//p" "$out/results/$1"; }
number() { local v; v=$(value "$1" "$2"); echo "${v:-null}"; }
{
  echo "# Fuzzing report"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $seconds s per target, $jobs at a time;" \
       "$("$cxx" --version 2>/dev/null | head -n 1), ASan + UBSan; build folder $build_dir."
  echo
  echo "| target | result | executions | exec/s | cov | ft | corpus (files, bytes) | new | peak RSS MB | artifacts |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for t in "${targets[@]}"; do
    echo "| $t | $(value "$t" status) | $(value "$t" runs) | $(value "$t" execs_per_s) |" \
         "$(value "$t" cov) | $(value "$t" ft) | $(value "$t" corpus_files), $(value "$t" corpus_bytes) |" \
         "$(value "$t" new_units) | $(value "$t" peak_rss_mb) | $(value "$t" artifacts) |"
  done
  echo
  echo "cov: code edges covered; ft: libFuzzer's features (edges with hit counts and comparisons)."
  echo "Logs: $out/logs/<target>.log. Reproduce an artifact: $build_dir/fuzz/<target> <artifact>."
} >"$out/report.md"
{
  echo "{\"seconds_per_target\": $seconds, \"jobs\": $jobs, \"targets\": ["
  sep=""
  for t in "${targets[@]}"; do
    artifacts=""
    for a in $(value "$t" artifacts); do artifacts+="${artifacts:+, }\"$a\""; done
    printf '%s  {"name": "%s", "result": "%s", "executions": %s, "execs_per_s": %s, "cov": %s,' \
      "$sep" "$t" "$(value "$t" status)" "$(number "$t" runs)" "$(number "$t" execs_per_s)" \
      "$(number "$t" cov)"
    printf ' "ft": %s, "corpus_files": %s, "corpus_bytes": %s, "new_units": %s,' \
      "$(number "$t" ft)" "$(number "$t" corpus_files)" "$(number "$t" corpus_bytes)" \
      "$(number "$t" new_units)"
    printf ' "peak_rss_mb": %s, "artifacts": [%s]}' "$(number "$t" peak_rss_mb)" "$artifacts"
    sep=$',\n'
  done
  printf '\n]}\n'
} >"$out/report.json"
bad=()
for t in "${targets[@]}"; do
  [ "$(value "$t" status)" = ok ] || bad+=("$t ($(value "$t" status))")
done
log "report: $out/report.md, $out/report.json"
if [ ${#bad[@]} -gt 0 ]; then
  log "${#bad[@]} of ${#targets[@]} targets failed: ${bad[*]}"
  exit 1
fi
