#!/usr/bin/env bash
# Kills a random process of a running distsim job, again and again, and checks that nothing is
# lost or left behind. Each of RUNS short runs (tiny synthetic data, an MLP, 2-3 workers) takes
# one of four strategies in turn (parameter server SYNC with 2 shards and checkpoints, ASYNC,
# SSP, a 3-rank ring with checkpoints) and max_restarts 0 or 2; after a random delay one of its
# server or worker processes, chosen at random, gets SIGKILL. Then it checks:
#   hang       the run ended within the watchdog (WATCHDOG_S, default 120 s)
#   orphan     no process of the run is left 5 s after the launcher exited
#   temp       no temporary file (*.tmp.<pid>) is left in the run's folder, no NIC table in /tmp
#   result     exit 0: result.json is this run's (its seed), complete, not marked interrupted;
#              otherwise: stderr names the process that failed and result.json is this run's,
#              marked interrupted (a complete partial result). Runs of one strategy share their
#              output folder, so a file left from the run before would be caught here.
# It prints one line per run and the tally; the exit status is 0 only when every count of hangs,
# orphans, leftovers and missing or mixed results is 0.
#
# Usage: scripts/chaos.sh [RUNS] [--seed S] [--keep]
#   RUNS     how many runs (default 20)
#   --seed   seeds the choice of strategy delays and victims (default: the time)
#   --keep   keep the work folder (default: removed when every check passed)
# Example: scripts/chaos.sh 100 --seed 7
# Needs build/distsim and build/tests/node/write_synthetic_idx (scripts/build.sh makes both).
set -uo pipefail
cd "$(dirname "$0")/.."

runs=20 seed=$(date +%s) keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    [0-9]*) runs=$1; shift ;;
    *) echo "chaos.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
done
build=${BUILD_DIR:-build}
binary=$build/distsim
writer=$build/tests/node/write_synthetic_idx
for tool in "$binary" "$writer"; do
  [ -x "$tool" ] || { echo "chaos.sh: $tool not found; run scripts/build.sh" >&2; exit 66; }
done
watchdog_s=${WATCHDOG_S:-120}
RANDOM=$seed

work=$(mktemp -d "${TMPDIR:-/tmp}/distsim-chaos.XXXXXX")
"$writer" "$work/data" 3000 500 5 || exit 70

strategies=(sync async ssp ring)
declare -A body=(
  [sync]='workers: 2
parameter_server { mode: SYNC servers: 2 }
data { dataset: IDX dir: "data" distribution: GLOBAL_BATCH_SLICE }'
  [async]='workers: 3
parameter_server { mode: ASYNC }
data { dataset: IDX dir: "data" }'
  [ssp]='workers: 3
parameter_server { mode: SSP staleness: 2 }
data { dataset: IDX dir: "data" }'
  [ring]='workers: 3
allreduce { }
data { dataset: IDX dir: "data" distribution: GLOBAL_BATCH_SLICE }'
)

# The config of run $1 (strategy $2, restarts $3): its seed is the run's number.
write_config() {
  local i=$1 strategy=$2 restarts=$3 every=0 steps=1500
  case $strategy in sync) every=25 ;; ring) every=100 steps=6000 ;; esac  # the ring is quicker
  cat > "$work/$strategy.textproto" <<EOF
name: "chaos_$strategy"
seed: $i
model { mlp { hidden: 32 } }
optimizer { sgd { learning_rate: 0.05 } }
train { batch_size: 16 steps: $steps eval_every_steps: 0 log_every_steps: 50 }
supervision { checkpoint_every_steps: $every max_restarts: $restarts heartbeat_timeout_s: 2 }
${body[$strategy]}
EOF
}

hangs=0 orphans=0 leftovers=0 bad_results=0 finished=0 failed=0 restarted=0 missed=0
for ((i = 1; i <= runs; i++)); do
  strategy=${strategies[$(( (i - 1) % 4 ))]}
  restarts=$(( RANDOM % 2 * 2 ))
  write_config "$i" "$strategy" "$restarts"
  folder="$work/out/chaos_$strategy"
  "$binary" run "$work/$strategy.textproto" -q --out "$work/out" > /dev/null 2> "$work/stderr" &
  launcher=$!
  sleep "$(( RANDOM % 20 + 3 ))e-1"  # 0.3 to 2.2 s: a random step
  for ((try = 0; try < 20; try++)); do  # the launcher may still be preparing the data
    mapfile -t victims < <(pgrep -P "$launcher")
    [ ${#victims[@]} -gt 0 ] && break
    sleep 0.2
  done
  victim=none
  if [ ${#victims[@]} -gt 0 ]; then
    pid=${victims[$(( RANDOM % ${#victims[@]} ))]}
    victim=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | awk '{print $2, $6}')
    kill -KILL "$pid" 2>/dev/null || victim=none
  fi
  [ "$victim" = none ] && missed=$((missed + 1))
  waited=0
  while kill -0 "$launcher" 2>/dev/null && [ $waited -lt $((watchdog_s * 10)) ]; do
    sleep 0.1; waited=$((waited + 1))
  done
  verdict=ok
  if kill -0 "$launcher" 2>/dev/null; then
    hangs=$((hangs + 1)); verdict=HANG
    kill -KILL "$launcher" 2>/dev/null
  fi
  wait "$launcher"; code=$?
  sleep_left=50
  while pgrep -f "$folder/" > /dev/null && [ $sleep_left -gt 0 ]; do
    sleep 0.1; sleep_left=$((sleep_left - 1))
  done
  if pgrep -f "$folder/" > /dev/null; then
    orphans=$((orphans + 1)); verdict="$verdict ORPHAN"
    pkill -KILL -f "$folder/"
  fi
  if [ -n "$(find "$folder" -name '*.tmp.*' 2>/dev/null)" ] ||
     ls /tmp/distsim-nic-"$launcher"-* > /dev/null 2>&1; then
    leftovers=$((leftovers + 1)); verdict="$verdict TEMP"
  fi
  result="$folder/result.json"
  if ! grep -q "\"seed\": \"$i\"" "$result" 2>/dev/null; then
    bad_results=$((bad_results + 1)); verdict="$verdict NO-RESULT"
  elif [ "$code" -eq 0 ]; then
    if grep -q '"interrupted": true' "$result" || ! grep -q '"parameter_hash": "[0-9a-f]' "$result"; then
      bad_results=$((bad_results + 1)); verdict="$verdict INCOMPLETE"
    fi
    finished=$((finished + 1))
    grep -q '"failed_at_step"' "$result" && restarted=$((restarted + 1))
  else
    failed=$((failed + 1))
    if ! grep -q '"interrupted": true' "$result" || ! grep -Eq '(worker|server|rank) [0-9]+' "$work/stderr"; then
      bad_results=$((bad_results + 1)); verdict="$verdict UNNAMED"
    fi
  fi
  printf 'run %3d  %-5s restarts %d  killed %-12s exit %3d  %s\n' "$i" "$strategy" "$restarts" \
    "$victim" "$code" "$verdict"
done

printf 'chaos: %d runs (seed %d): %d finished (%d after a restart), %d failed naming the process, %d not hit;\n' \
  "$runs" "$seed" "$finished" "$restarted" "$failed" "$missed"
printf 'chaos: %d hangs, %d orphans, %d runs with leftover temporary files, %d runs with a missing or mixed result\n' \
  "$hangs" "$orphans" "$leftovers" "$bad_results"
if [ $((hangs + orphans + leftovers + bad_results)) -ne 0 ]; then
  echo "chaos: FAILED; the runs' files are in $work" >&2
  exit 1
fi
[ $keep -eq 1 ] && echo "chaos: files kept in $work" || rm -rf "$work"
exit 0
