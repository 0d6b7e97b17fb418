#!/usr/bin/env bash
# Replays a dataset into the local cluster's events topic: deploy/replay.sh (org.streamrec.tools.replay.ReplayTool)
# with --bootstrap-servers of the running local broker. All replay options apply (deploy/replay.sh --help).
#
# Usage: deploy/local/replay.sh DATASET [replay options]
#   deploy/local/replay.sh ../shared/data/rsc15-100k/yoochoose-clicks-100k_test.txt --rate 500 --inject-malformed 10
set -euo pipefail
source "$(dirname "$0")/common.sh"
pid_alive kafka || die "the local Kafka broker is not running: deploy/local/up.sh first"
JAVA_OPTS="${TOOL_JAVA_OPTS:--Xmx1g}" exec "$REPO_DIR/deploy/replay.sh" "$@" --bootstrap-servers "$BOOTSTRAP"
