#!/usr/bin/env bash
# The distsim binary as a user meets it: each kind of bad input gets its own exit code and a
# message naming the file or field; a good run exits 0 and writes its results.
# Usage: cli_exit_codes_test.sh DISTSIM WRITE_SYNTHETIC_IDX
set -u
distsim=$1
writer=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
passed=0

expect() {  # expect NAME CODE STDERR_SUBSTRING -- command...
  local name=$1 code=$2 needle=$3
  shift 4
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$code" ]; then
    echo "FAIL $name: exit $got, expected $code"; sed 's/^/  stderr: /' "$work/err" | head -5
    failures=$((failures + 1)); return
  fi
  if [ -n "$needle" ] && ! grep -qF -- "$needle" "$work/err" "$work/out"; then
    echo "FAIL $name: output lacks '$needle'"; sed 's/^/  stderr: /' "$work/err" | head -5
    failures=$((failures + 1)); return
  fi
  echo "ok   $name (exit $got)"
  passed=$((passed + 1))
}

"$writer" "$work/data" 600 200 || { echo "cannot write synthetic data"; exit 1; }

cat >"$work/good.textproto" <<CFG
name: "tiny"
seed: 3
model { softmax {} }
data { dataset: IDX dir: "data" }
optimizer { sgd { learning_rate: 0.5 } }
train { batch_size: 16 steps: 60 eval_every_steps: 20 }
local {}
CFG
sed 's/batch_size: 16/batch_size: 0/' "$work/good.textproto" >"$work/bad_batch.textproto"
sed 's/^seed: 3/seed: 3\nmodle { }/' "$work/good.textproto" >"$work/unknown_field.textproto"
sed 's/dir: "data"/dir: "nowhere"/' "$work/good.textproto" >"$work/no_data.textproto"
mkdir -p "$work/gz" && cp "$work/data/"* "$work/gz/"
gzip -c "$work/data/train-images-idx3-ubyte" >"$work/gz/train-images-idx3-ubyte"
sed 's/dir: "data"/dir: "gz"/' "$work/good.textproto" >"$work/gz.textproto"

expect "no subcommand is a usage error"    64 "" -- "$distsim"
expect "unknown flag is a usage error"     64 "" -- "$distsim" run "$work/good.textproto" --no-such-flag
expect "--help exits 0"                    0 "run" -- "$distsim" --help
expect "run --help explains --set"         0 "--set" -- "$distsim" run --help
expect "bad batch size names the field"    78 "train.batch_size" -- "$distsim" run "$work/bad_batch.textproto" -q
expect "unknown field names file and line" 78 "unknown_field.textproto:3" -- "$distsim" run "$work/unknown_field.textproto" -q
expect "missing data folder is exit 66"    66 "nowhere" -- "$distsim" run "$work/no_data.textproto" -q
expect "gzip input is named, exit 65"      65 "gzip" -- "$distsim" run "$work/gz.textproto" -q
expect "check prints the filled config"    0 "warmup_steps: 10" -- "$distsim" check "$work/good.textproto"
expect "a good run exits 0"                0 "final test accuracy" -- "$distsim" run "$work/good.textproto" -q --out "$work/out_runs"
for f in result.json steps.csv; do
  if [ -s "$work/out_runs/tiny/$f" ]; then echo "ok   wrote $f"; passed=$((passed + 1));
  else echo "FAIL no $f written"; failures=$((failures + 1)); fi
done
rows=$(($(wc -l <"$work/out_runs/tiny/steps.csv") - 1))
if [ "$rows" -eq 60 ]; then echo "ok   steps.csv has one row per step"; passed=$((passed + 1));
else echo "FAIL steps.csv has $rows rows, expected 60"; failures=$((failures + 1)); fi
expect "--set overrides a field"          0 "steps 7 " -- "$distsim" run "$work/good.textproto" -q --out "$work/out_runs" --set 'train { steps: 7 }'
expect "a bad --set is refused"           78 "override" -- "$distsim" run "$work/good.textproto" -q --set 'train { stepz: 7 }'

# distsim predict: a plain run config is the calibration; bad input is refused like run's.
expect "predict --help explains --workers" 0 "--workers" -- "$distsim" predict --help
expect "predict refuses bad --workers"     78 "--workers" -- "$distsim" predict "$work/good.textproto" -q --workers 1,x
expect "predict --help shows --repeat"     0 "--repeat 3" -- "$distsim" predict --help
expect "predict refuses --repeat 0"        64 "--repeat" -- "$distsim" predict "$work/good.textproto" -q --repeat 0
expect "predict names a bad field"         78 "train.batch_size" -- "$distsim" predict "$work/bad_batch.textproto" -q
expect "predict on a run config"           0 "ps SYNC" -- "$distsim" predict "$work/good.textproto" -q --workers 1,4 --out "$work/out_runs"
if [ -s "$work/out_runs/tiny_predict/predict.json" ]; then echo "ok   wrote predict.json"; passed=$((passed + 1));
else echo "FAIL no predict.json"; failures=$((failures + 1)); fi
expect "CONTINUE under a sync strategy"    78 "CONTINUE needs parameter_server" -- "$distsim" run "$work/good.textproto" -q --set 'supervision { on_worker_failure: CONTINUE }'
expect "unknown instance type lists known" 78 "ml.c5.xlarge" -- "$distsim" run "$work/good.textproto" -q --set 'cluster { instance_type: "ml.q9.tiny" }'

# Limits stated before work starts.
expect "workers: 0 is refused, not made 1" 78 "workers" -- "$distsim" run "$work/good.textproto" -q --set 'workers: 0'
expect "a listen port past 65535 is refused" 64 "--listen" -- "$distsim" coordinator "$work/good.textproto" --listen 127.0.0.1:70000
expect "a role port past 65535 is refused"   64 "--port" -- "$distsim" worker --config "$work/good.textproto" --rank 0 --coordinator 127.0.0.1:1 --port 70000
expect "a model too big is refused first"  78 "GB available" -- "$distsim" run "$work/good.textproto" -q --set 'model { mlp { hidden: 65536 hidden: 65536 hidden: 65536 hidden: 65536 hidden: 65536 hidden: 65536 hidden: 65536 hidden: 65536 } } optimizer { adam { learning_rate: 0.001 } }'
expect "a non-loopback listen needs --allow-remote" 64 "--allow-remote" -- "$distsim" coordinator "$work/good.textproto" --listen 0.0.0.0:0
expect "a non-loopback bind needs --allow-remote"   64 "--allow-remote" -- "$distsim" worker --config "$work/good.textproto" --rank 0 --coordinator 127.0.0.1:1 --bind 0.0.0.0
expect "a run at chance accuracy says so"   0 "ended at chance accuracy" -- "$distsim" run "$work/good.textproto" -q --out "$work/out_runs" --set 'seed: 4 optimizer { sgd { learning_rate: 0.000001 } } train { steps: 2 }'
expect "a missing config file is exit 66"  66 "nothing.textproto" -- "$distsim" run "$work/nothing.textproto" -q

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
