#!/usr/bin/env bash
# Replays a session dataset into a Kafka topic as Avro ClickEvents (org.streamrec.tools.replay.ReplayTool).
#
# Usage: deploy/replay.sh DATASET [options]      deploy/replay.sh --help for all options, e.g.
#   deploy/replay.sh ../shared/data/rsc15-100k/yoochoose-clicks-100k_test.txt --bootstrap-servers 127.0.0.1:9092 --rate 2000
set -euo pipefail
exec "$(dirname "$0")/run-java.sh" org.streamrec.tools.replay.ReplayTool "$@"
