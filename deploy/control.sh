#!/usr/bin/env bash
# Sends a command to running serving jobs through their control topic (org.streamrec.tools.ops.ServingControlTool).
#
# Usage: deploy/control.sh COMMAND [options]      deploy/control.sh --help, deploy/control.sh pin --help, e.g.
#   deploy/control.sh pin --version 3 --bootstrap-servers 127.0.0.1:9092    # rollback: serve version 3 until unpinned
#   deploy/control.sh unpin                                                  # serve the newest announced version again
#   deploy/control.sh delete-user --user 42                                  # delete user 42's session state
# Options of every command: --bootstrap-servers (localhost:9092), --topic (serving-control), --requested-by ($USER).
set -euo pipefail
JAVA_OPTS="${JAVA_OPTS:--Xmx256m}" exec "$(dirname "$0")/run-java.sh" org.streamrec.tools.ops.ServingControlTool "$@"
