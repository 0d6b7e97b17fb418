#!/usr/bin/env bash
# The trainer benchmark on diginetica (org.streamrec.tools.demo.TrainerBenchmark): a bootstrap GRU4Rec on the first
# half of the training sessions (time order), then the rest plus the test sessions streamed through embedded Kafka and
# the serving job, once with the trainer job running and once with the model frozen; prints prequential HR@20/MRR@20
# of both, model freshness and trainer throughput. See BENCHMARKS.md ("Streaming: trainer against a frozen model").
#
# Usage: deploy/trainer-benchmark.sh [options]   e.g. deploy/trainer-benchmark.sh --scale 0.05 --rate 250;  --help
set -euo pipefail
exec "$(dirname "$0")/run-java.sh" org.streamrec.tools.demo.TrainerBenchmark "$@"
