#!/usr/bin/env bash
# The live dashboard of a running pipeline (org.streamrec.tools.dashboard.Dashboard): one web page on 127.0.0.1
# (default http://127.0.0.1:8090/) with throughput, latency percentiles, online HR@20, the serving model version
# timeline and a feed of recent recommendations for a chosen user. It reads the committed recommendations and the
# model-updates topics (read_committed, no consumer group) and the serving job's metrics through the Flink REST API.
#
# Usage: deploy/dashboard.sh [options]      e.g.
#   deploy/dashboard.sh --bootstrap-servers 127.0.0.1:9092 --flink-rest http://127.0.0.1:8081 --port 8090
#   deploy/dashboard.sh --flink-rest none --from-beginning      # topics only, from the start of the recommendations
#   deploy/dashboard.sh --help
# Runs until Ctrl-C / SIGTERM. Needs only a JDK 17; builds with ./mvnw when the jars are stale (deploy/run-java.sh).
set -euo pipefail
JAVA_OPTS="${JAVA_OPTS:--Xmx512m}" exec "$(dirname "$0")/run-java.sh" org.streamrec.tools.dashboard.Dashboard "$@"
