#!/usr/bin/env bash
# End-to-end load test of the serving job (org.streamrec.flink.loadtest.LoadTest), one JVM: an embedded Kafka broker,
# the RecommenderJob on a local Flink MiniCluster (RocksDB), GRU4Rec over diginetica's 43,097 items (hidden 100; built
# once into target/loadtest-models and reused), and the replay at 1k, 5k, 10k, 20k events/s and as fast as possible,
# for at-least-once and exactly-once. Prints per step: throughput, consumer lag, p50/p95/p99/max latency from event
# creation to a read_committed consumer, CPU and RSS; then a summary table. Exit code 0 when every event was answered.
#
# Usage: deploy/loadtest.sh [options]      e.g. deploy/loadtest.sh --rates 5000 --duration 30s --guarantees at-least-once
#        deploy/loadtest.sh --help          all options (--json FILE / --csv FILE write the results)
set -euo pipefail
exec "$(dirname "$0")/run-java.sh" org.streamrec.flink.loadtest.LoadTest "$@"
