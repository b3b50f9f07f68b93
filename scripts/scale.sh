#!/usr/bin/env bash
# Runs distsim at scale on this machine and prints, per set-up, the wall time and the memory the
# run's processes held: the peak of their summed PSS (proportional set size: a page shared by n
# processes counts 1/n in each, so the mmapped data set and the code count once), sampled every
# second from /proc, and the sum the processes themselves report as they finish (result.json).
#
# Set-ups (all on the real MNIST, an MLP with 128 hidden units, batch 64 per worker):
#   ps256x8    parameter server ASYNC, 256 workers, 8 servers, 20 steps
#   ps64x1     parameter server ASYNC,  64 workers, 1 server, 100 steps
#   ps64x8     parameter server ASYNC,  64 workers, 8 servers, 100 steps
#   ring64tcp  ring allreduce over TCP, 64 ranks, 30 steps
#   ring64grpc ring allreduce over gRPC, 64 ranks, 30 steps
# and the ratios the set-ups are there to show: 8 servers against 1, and the gRPC ring against
# the TCP one, both at 64 workers.
#
# Usage: scripts/scale.sh [--only NAME[,NAME...]] [--steps-scale F] [--out DIR]
#   --only         run only these set-ups (names above)
#   --steps-scale  multiply every set-up's steps by F (e.g. 0.5 for a quicker look)
#   --out          results folder (default out/scale): one folder per run, scale.csv
# Example: scripts/scale.sh --only ps64x1,ps64x8
# Needs build/distsim (scripts/build.sh) and MNIST (scripts/get-mnist.sh downloads it once).
set -euo pipefail
cd "$(dirname "$0")/.."

only="" steps_scale=1 out=out/scale
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only=$2; shift 2 ;;
    --steps-scale) steps_scale=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "scale.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
done

binary=${BUILD_DIR:-build}/distsim
[ -x "$binary" ] || { echo "scale.sh: $binary not found; run scripts/build.sh" >&2; exit 66; }
data_dir=$(scripts/get-mnist.sh | tail -n 1)
mkdir -p "$out/configs"

# name  workers  strategy-block  steps
setups=(
  "ps256x8|256|parameter_server { mode: ASYNC servers: 8 }|20"
  "ps64x1|64|parameter_server { mode: ASYNC servers: 1 }|100"
  "ps64x8|64|parameter_server { mode: ASYNC servers: 8 }|100"
  "ring64tcp|64|allreduce { transport: TCP }|30"
  "ring64grpc|64|allreduce { transport: GRPC }|30"
)

# Summed PSS (kB) of process $1 and all its descendants, now.
tree_pss_kb() {
  local pids
  pids=$(ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END { keep[root] = 1; changed = 1
          while (changed) { changed = 0
            for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 } }
          for (p in keep) print p }')
  local total=0 pid kb
  for pid in $pids; do
    kb=$(awk '/^Pss:/ { print $2; exit }' "/proc/$pid/smaps_rollup" 2>/dev/null || true)
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

# Field $2 of result.json $1: the first number after "$2":
json_number() { grep -o "\"$2\": *\"\{0,1\}[0-9.e+-]*" "$1" | head -n 1 | grep -o '[0-9.e+-]*$' || echo 0; }

csv=$out/scale.csv
echo "setup,processes,exit,wall_s,peak_pss_mb,reported_pss_mb,pss_per_process_mb" > "$csv"
declare -A wall
printf '%-11s %9s %5s %9s %14s %16s %11s\n' setup processes exit "wall s" "peak PSS MB" "reported PSS MB" "MB/process"
for entry in "${setups[@]}"; do
  IFS='|' read -r name workers strategy steps <<< "$entry"
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then continue; fi
  steps=$(awk -v s="$steps" -v f="$steps_scale" 'BEGIN { n = int(s * f); print (n < 1 ? 1 : n) }')
  config=$out/configs/$name.textproto
  cat > "$config" <<EOF
name: "$name"
seed: 1
workers: $workers
model { mlp { hidden: 128 } }
data { dataset: MNIST distribution: FULLY_REPLICATED }
optimizer { adam { learning_rate: 0.001 } }
train { batch_size: 64 steps: $steps eval_every_steps: 0 }
$strategy
EOF
  echo "scale.sh: $name: $workers workers, $steps steps ..." >&2
  start=$(date +%s.%N)
  "$binary" run "$config" -q --data-dir "$data_dir" --out "$out" > "$out/$name.log" 2>&1 &
  run_pid=$!
  peak=0
  while kill -0 "$run_pid" 2>/dev/null; do
    now=$(tree_pss_kb "$run_pid")
    [ "$now" -gt "$peak" ] && peak=$now
    sleep 1
  done
  code=0
  wait "$run_pid" || code=$?
  end=$(date +%s.%N)
  w=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  wall[$name]=$w
  result=$out/$name/result.json
  processes=0 reported=0
  if [ "$code" -eq 0 ] && [ -f "$result" ]; then
    processes=$(json_number "$result" processes)
    reported=$(json_number "$result" pss_total_bytes)
  else
    echo "scale.sh: $name exited $code; its output is in $out/$name.log:" >&2
    tail -n 3 "$out/$name.log" >&2
  fi
  peak_mb=$(awk -v k="$peak" 'BEGIN { printf "%.0f", k / 1024 }')
  rep_mb=$(awk -v b="$reported" 'BEGIN { printf "%.0f", b / 1048576 }')
  per=$(awk -v b="$reported" -v n="$processes" 'BEGIN { printf "%.1f", (n > 0 ? b / n / 1048576 : 0) }')
  printf '%-11s %9s %5s %9s %14s %16s %11s\n' "$name" "$processes" "$code" "$w" "$peak_mb" "$rep_mb" "$per"
  echo "$name,$processes,$code,$w,$peak_mb,$rep_mb,$per" >> "$csv"
done

ratio() { awk -v a="${wall[$1]:-}" -v b="${wall[$2]:-}" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo "64 workers, 8 servers against 1: $(ratio ps64x8 ps64x1) x the wall time"
echo "64-rank ring, gRPC against TCP:  $(ratio ring64grpc ring64tcp) x the wall time"
echo "scale.sh: wrote $csv" >&2
