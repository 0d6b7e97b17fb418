#!/usr/bin/env bash
# Status of the local deployment: which of its processes are alive (by PID), the Flink TaskManagers, jobs (state,
# running tasks, restarts), and every Kafka topic with its end offsets, committed (last stable) offsets and the
# consumer groups' lag. Exit code 0 when the broker, JobManager and TaskManager are alive and reachable.
#
# Usage: deploy/local/status.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
alive=0
for name in kafka jobmanager taskmanager; do
  if pid_alive "$name"; then
    printf 'process %-12s PID %-8s running  (log %s)\n' "$name" "$(pid_of "$name")" "$LOG_DIR/$name.log"
    alive=$((alive + 1))
  else
    printf 'process %-12s not running\n' "$name"
  fi
done
if (( alive == 0 )); then
  echo "nothing is running (run directory $RUN_DIR)"
  exit 1
fi
echo "Flink web UI $FLINK_REST; Kafka $BOOTSTRAP"
rc=0
run_tool org.streamrec.tools.ops.LocalOps status --bootstrap-servers "$BOOTSTRAP" --flink-rest "$FLINK_REST" 2>/dev/null || rc=$?
(( alive == 3 && rc == 0 ))
