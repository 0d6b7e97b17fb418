#!/usr/bin/env bash
# Stops the local deployment by the PIDs up.sh recorded: TaskManager, JobManager, then the broker (SIGTERM, then
# SIGKILL after 30 s). Running jobs are not cancelled first: they restart from their last checkpoint only if the same
# cluster directories are reused, which up.sh does not do (each up starts fresh). Logs stay in the run directory.
#
# Usage: deploy/local/stop.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
stopped=0
for name in taskmanager jobmanager kafka; do
  if pid_alive "$name"; then
    pid="$(pid_of "$name")"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (PID $pid) did not stop after SIGTERM within 30 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name (PID $pid)"
    stopped=$((stopped + 1))
  fi
  rm -f "$PID_DIR/$name.pid"
done
rm -f "$RUN_DIR/ports.env"
log "stopped $stopped process(es); logs in $LOG_DIR"
