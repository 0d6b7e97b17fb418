#!/usr/bin/env bash
# Young-GC counts of deploy/local's Kafka broker JVM every 500 ms, each line stamped with the epoch time, so that a
# load-test step's slow seconds can be checked against the broker's pauses (BENCHMARKS.md, "Humongous allocations",
# the standalone runs). Start it next to `deploy/loadtest.sh --cluster local ...`; it waits for the broker (up to
# 2 min) and samples until the broker exits. jstat's columns: YGC = young collections so far, YGCT = their seconds.
#   benchmarks/scripts/broker_gc_sample.sh > broker-jstat.txt &
set -euo pipefail
for _ in $(seq 1 240); do
  PID=$(pgrep -f 'kafka\.Kafka .*deploy/local/run' | head -n 1 || true)
  [[ -n "$PID" ]] && break
  sleep 0.5
done
[[ -n "${PID:-}" ]] || { echo "no deploy/local broker found" >&2; exit 1; }
echo "# pid $PID"
jstat -gcutil "$PID" 500 | while read -r line; do echo "$(date +%s.%N) $line"; done
