#!/usr/bin/env bash
# bash tools/bench_dist.sh, from the repository root, as root (runs at nice -n -5), deno on PATH:
# one epoch of configs/mnist-quick.yaml on its first 12800 MNIST training images (100 batches of
# 128), three ways, three times each: one process (--workers 1), --workers 2, and --distributed
# with 2 worker processes on a throw-away redis-server (free port of 127.0.0.1). Run folders and
# worker logs go to $OUT (default /tmp/noprop-bench-dist); each run prints its closing line, and
# metrics.jsonl has epochSeconds, the accuracies and, for the distributed runs, engineMB,
# engineWaitSeconds and slowestUnitSeconds.
set -u
export NO_COLOR=1
OUT=${OUT:-/tmp/noprop-bench-dist}; mkdir -p "$OUT"
COMMON=(--config configs/mnist-quick.yaml --data-dir ../shared/data --epochs 1 --train-limit 12800 --out-dir "$OUT" --overwrite)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
rdir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$rdir" --daemonize yes --logfile "$rdir/log" >/dev/null
sleep 0.5
for rep in 1 2 3; do
  nice -n -5 deno task train "${COMMON[@]}" --workers 1 --run-name "one-$rep" 2>&1 | tail -1
  nice -n -5 deno task train "${COMMON[@]}" --workers 2 --run-name "w2-$rep" 2>&1 | tail -1
  nice -n -5 deno task worker "redis://127.0.0.1:$port" > "$OUT/worker-a-$rep.log" 2>&1 & wa=$!
  nice -n -5 deno task worker "redis://127.0.0.1:$port" > "$OUT/worker-b-$rep.log" 2>&1 & wb=$!
  nice -n -5 deno task train "${COMMON[@]}" --run-name "dist-$rep" --distributed "redis://127.0.0.1:$port/meas-$rep-$$" 2>&1 | tail -1
  kill $wa $wb; wait $wa $wb 2>/dev/null
done
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
rm -rf "$rdir"
