#!/usr/bin/env bash
# The README's "run" command: the whole pipeline in one JVM on embedded defaults (org.streamrec.tools.demo.EmbeddedDemo):
# a Kafka broker (KRaft), the four topics, a bootstrap GRU4Rec model, the serving and trainer jobs on a local Flink
# cluster with its web UI (http://127.0.0.1:8081, or a free port, printed), a replay of the rsc15-100k test events
# with a few malformed records while the trainer publishes versions the serving job swaps in, progress, sample
# recommendations and a summary; then it stops everything and exits
# (0 when the run met its expectations). Stages that cannot run are reported as SKIPPED, never faked.
#
# Usage: deploy/demo.sh [demo options]     e.g. deploy/demo.sh --rate 0 --sessions 500;  deploy/demo.sh --help
# Needs only a JDK 17; builds with ./mvnw when the jars are missing or stale (see deploy/run-java.sh).
# The data folder defaults to ../shared/data next to the repository (--data-dir to change).
set -euo pipefail
exec "$(dirname "$0")/run-java.sh" org.streamrec.tools.demo.EmbeddedDemo "$@"
