#!/usr/bin/env bash
# End-to-end load test of the serving job (org.streamrec.tools.loadtest.LoadTest): a Kafka broker, the
# RecommenderJob with RocksDB state, GRU4Rec over diginetica's 43,097 items (hidden 100; built once into
# target/loadtest-models and reused, or --model DIR), and the replay at 1k, 5k, 10k, 20k events/s and as fast as
# possible, for at-least-once and exactly-once, each combination of the swept settings (--parallelism,
# --batch-max-size, --batch-max-delay take comma-separated lists) as its own job on fresh topics, each job first
# running an unreported warm-up step (--warmup-step RATE:DURATION, default 5000:60s, or none) during which the
# harness requests 200 checkpoints one by one (--warmup-checkpoints N; the checkpoint path JIT-compiled as in a job
# that has run for an hour, BENCHMARKS.md "Checkpoints the JIT had not compiled"). Prints per step:
# throughput, events in flight, the job's consumer-group lag (it moves only when a checkpoint commits the source's
# offsets: what kafka-consumer-groups.sh shows an operator), p50/p95/p99/max latency from event creation to a
# read_committed consumer, the step's checkpoints (count, longest synchronous part and alignment, from Flink's REST
# API), CPU cores and peak RSS per process; then a summary table. Exit code 0 when every event
# was answered exactly once.
#
# Two deployments (--cluster):
#   embedded (default)  one JVM: an embedded broker and a Flink MiniCluster next to the replay and the consumer; the
#                       CPU columns split this JVM by thread group (Flink tasks, replay, consumer, the rest).
#   local               deploy/local's standalone deployment, each part its own process: the harness runs
#                       deploy/local/up.sh --no-jobs --free-ports (TM_SLOTS = the largest --parallelism), submits the
#                       shaded job jar per job with deploy/local/submit.sh, cancels it through Flink's REST API, and
#                       runs deploy/local/stop.sh at the end; this script stops the deployment too when the harness
#                       dies (trap). The harness process runs only the replay producer and the answer consumer;
#                       CPU and RSS are reported for broker, jobmanager, taskmanager and harness from /proc/<pid>.
#                       Run directory: $STREAMREC_RUN_DIR, default deploy/local/run/loadtest.
#
# Usage: deploy/loadtest.sh [options]      e.g. deploy/loadtest.sh --rates 5000 --duration 30s --guarantees at-least-once
#        deploy/loadtest.sh --cluster local --rates 1000,5000 --duration 20s --guarantees at-least-once,exactly-once
#        deploy/loadtest.sh --cluster local --parallelism 1,2 --batch-max-size 32,128 --rates 5000
#        deploy/loadtest.sh --help          all options (--json FILE / --csv FILE write the results;
#                                           --latency-series FILE each step's p50/p99/max per second, to find stalls;
#                                           --flink-conf KEY=VALUE extra Flink settings of the embedded cluster)
set -euo pipefail
REPO_DIR="$(cd "$(dirname "$0")/.." && pwd)"
LOCAL=""
prev=""
for arg in "$@"; do
  [[ "$arg" == "--cluster=local" || ( "$prev" == "--cluster" && "$arg" == "local" ) ]] && LOCAL=1
  prev="$arg"
done
if [[ -z "$LOCAL" ]]; then
  # The embedded JVM holds the TaskManager, and a Flink TaskManager starts with -Xms equal to -Xmx: a heap that G1
  # may not shrink keeps its young generation large and its occupancy low (BENCHMARKS.md, "Humongous allocations").
  JAVA_OPTS="${JAVA_OPTS:--Xms2g -Xmx2g}" exec "$REPO_DIR/deploy/run-java.sh" org.streamrec.tools.loadtest.LoadTest "$@"
fi

export STREAMREC_RUN_DIR="${STREAMREC_RUN_DIR:-$REPO_DIR/deploy/local/run/loadtest}"
# The harness normally stops the deployment itself; this catches a harness that was killed or crashed.
trap '"$REPO_DIR/deploy/local/stop.sh" >/dev/null 2>&1 || true' EXIT
"$REPO_DIR/deploy/run-java.sh" org.streamrec.tools.loadtest.LoadTest "$@"
