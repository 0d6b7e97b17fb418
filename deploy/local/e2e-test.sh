#!/usr/bin/env bash
# End-to-end test of the local deployment: up.sh (real Kafka broker and Flink standalone cluster from Maven jars,
# serving and trainer jobs from the shaded job jar), a replay of a small slice of rsc15-100k with malformed records,
# then checks from the outside: every valid event gets exactly one committed recommendation (read_committed), scored
# by the model; every malformed record is dead-lettered with the decoder's code; the trainer publishes a version;
# both jobs still run without restarts; no native-library class-loading error in the TaskManager; status.sh works;
# stop.sh stops every process. Prints one PASS/FAIL line per check and "N passed, N failed"; exit 1 on any failure.
#
# Usage: deploy/local/e2e-test.sh [--sessions N] [--malformed N] [--keep]
#   --sessions N    rsc15-100k test sessions to replay (default 300, about 1,150 events)
#   --malformed N   malformed records mixed in (default 10)
#   --keep          leave the cluster running afterwards (deploy/local/stop.sh with the same STREAMREC_RUN_DIR)
# Runs in its own run directory (deploy/local/run/e2e) on free ports from 19092/18081 up, so a cluster started by
# up.sh keeps running; the bootstrap model is shared with up.sh (deploy/local/run/models). `./mvnw verify -Pe2e`
# runs this script (LocalClusterE2EIT) with STREAMREC_NO_BUILD=1, since Maven has just built the jars.
set -uo pipefail
LOCAL_DIR="$(cd "$(dirname "$0")" && pwd)"
export STREAMREC_RUN_DIR="${STREAMREC_RUN_DIR:-$LOCAL_DIR/run/e2e}"
export STREAMREC_MODELS_DIR="${STREAMREC_MODELS_DIR:-$LOCAL_DIR/run/models}"
export KAFKA_PORT="${KAFKA_PORT:-19092}" KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
export FLINK_REST_PORT="${FLINK_REST_PORT:-18081}" FLINK_RPC_PORT="${FLINK_RPC_PORT:-16123}"
export STREAMREC_IGNORE_PORTS_ENV=1
# shellcheck disable=SC1091
source "$LOCAL_DIR/common.sh"

SESSIONS=300
MALFORMED=10
KEEP=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sessions) SESSIONS="$2"; shift ;;
    --malformed) MALFORMED="$2"; shift ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

DATA_DIR="${STREAMREC_DATA_DIR:-$(cd "$REPO_DIR/.." && pwd)/shared/data}"
TEST_FILE="$DATA_DIR/rsc15-100k/yoochoose-clicks-100k_test.txt"
PASSED=0
FAILED=0
START=$SECONDS
result() { # PASS|FAIL name detail
  if [[ "$1" == PASS ]]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
  printf '%s %s: %s\n' "$1" "$2" "$3"
}
finish() {
  if [[ -z "$KEEP" ]]; then
    if "$LOCAL_DIR/stop.sh"; then
      alive=""
      for name in kafka jobmanager taskmanager; do pid_alive "$name" && alive+=" $name"; done
      if [[ -z "$alive" ]]; then result PASS stopped "stop.sh stopped every process"; else result FAIL stopped "still alive:$alive"; fi
    else
      result FAIL stopped "stop.sh failed"
    fi
  fi
  echo "e2e: $((SECONDS - START)) s; logs in $LOG_DIR"
  echo "$PASSED passed, $FAILED failed"
  (( FAILED == 0 ))
}

[[ -f "$TEST_FILE" ]] || { result FAIL data "missing $TEST_FILE (STREAMREC_DATA_DIR)"; finish; exit 1; }

# Start from nothing: a previous run's processes (if any survived) and its data directories.
"$LOCAL_DIR/stop.sh" > /dev/null 2>&1
if "$LOCAL_DIR/up.sh" --free-ports \
    --serving-arg=--checkpoint-interval=2s \
    --trainer-arg=--checkpoint-interval=5s --trainer-arg=--publish-every-events=500; then
  # up.sh moved taken ports; read back the ones it used.
  source "$RUN_DIR/ports.env"
  BOOTSTRAP="$HOST:$KAFKA_PORT"; FLINK_REST="http://$HOST:$FLINK_REST_PORT"
  result PASS up "Kafka $BOOTSTRAP, Flink $FLINK_REST, serving and trainer jobs running ($((SECONDS - START)) s)"
else
  result FAIL up "up.sh failed; see $LOG_DIR"
  finish; exit 1
fi

JAR="$(job_jar)"
listing="$("${JAVA_HOME:+$JAVA_HOME/bin/}jar" tf "$JAR")"
if grep -q '^org/streamrec/flink/serving/RecommenderJob.class' <<< "$listing" \
    && grep -q '^org/apache/flink/connector/kafka/' <<< "$listing" \
    && ! grep -q -e '^org/nd4j/' -e '^org/bytedeco/' -e '^org/apache/flink/runtime/' -e '^org/apache/flink/streaming/api/' <<< "$listing"; then
  result PASS job-jar "$(basename "$JAR"): jobs and Kafka connector inside; no ND4J/JavaCPP and no Flink runtime (the cluster's)"
else
  result FAIL job-jar "$(basename "$JAR") content unexpected"
fi

# "Everything binds to 127.0.0.1": every listening socket of the three processes, from /proc.
exposed=""
sockets=0
for name in kafka jobmanager taskmanager; do
  pid="$(pid_of "$name")"
  sockets=$((sockets + $(listening_sockets "$pid" | wc -l)))
  bad="$(non_loopback_sockets "$pid" | tr '\n' ' ')"
  [[ -n "$bad" ]] && exposed+=" $name: $bad"
done
if [[ -z "$exposed" && "$sockets" -ge 5 ]]; then
  result PASS loopback-only "all $sockets listening sockets of the broker, JobManager and TaskManager are on 127.0.0.1"
else
  result FAIL loopback-only "listening sockets: $sockets; not on 127.0.0.1:${exposed:- none}"
fi

REPLAY_LOG="$LOG_DIR/replay.log"
if "$LOCAL_DIR/replay.sh" "$TEST_FILE" --sessions "$SESSIONS" --inject-malformed "$MALFORMED" > "$REPLAY_LOG" 2>&1; then
  VALID="$(sed -n 's/.*acknowledged: \([0-9,]*\) events.*/\1/p' "$REPLAY_LOG" | tr -d ,)"
  result PASS replay "$(grep 'acknowledged:' "$REPLAY_LOG" | sed 's/^ *//')"
else
  VALID=""
  result FAIL replay "replay failed; see $REPLAY_LOG"
fi

if [[ -n "$VALID" ]]; then
  CHECK_LOG="$LOG_DIR/check.log"
  run_tool org.streamrec.tools.ops.LocalOps check --bootstrap-servers "$BOOTSTRAP" --expect-valid "$VALID" \
      --expect-invalid "$MALFORMED" --expect-announced-above "${MODEL_VERSION:-1}" --timeout "180 s" > "$CHECK_LOG" 2>&1
  grep -v '^CHECK ' "$CHECK_LOG" | grep -v -e '^\[streamrec\]' -e '^WARNING: Using incubator' | sed 's/^/  /'
  while read -r _ verdict name detail; do
    result "$verdict" "${name%:}" "$detail"
  done < <(grep '^CHECK ' "$CHECK_LOG")
  grep -q '^CHECK ' "$CHECK_LOG" || result FAIL output-check "no check ran; see $CHECK_LOG"
fi

if run_tool org.streamrec.tools.ops.LocalOps wait-jobs --flink-rest "$FLINK_REST" --job streamrec-recommender \
    --job streamrec-trainer --no-restarts --timeout "30 s" > "$LOG_DIR/jobs.log" 2>&1; then
  result PASS jobs-running "$(tail -n 1 "$LOG_DIR/jobs.log")"
else
  result FAIL jobs-running "$(tail -n 1 "$LOG_DIR/jobs.log")"
fi

STATUS_LOG="$LOG_DIR/status.log"
if "$LOCAL_DIR/status.sh" > "$STATUS_LOG" 2>&1; then
  sed 's/^/  /' "$STATUS_LOG" | grep -v -e '\[streamrec\]' -e 'incubator'
  if [[ "$(grep -c ' RUNNING ' "$STATUS_LOG")" == 2 ]]; then
    result PASS status "status.sh: 3 processes alive, broker and cluster reachable, 2 jobs RUNNING"
  else
    result FAIL status "status.sh does not list 2 RUNNING jobs; see $STATUS_LOG"
  fi
else
  result FAIL status "status.sh failed; see $STATUS_LOG"
fi

# ND4J/JavaCPP must be loaded once, by the cluster's class loader (not a job's), or the second job on the
# TaskManager fails with "already loaded in another classloader".
if grep -q -e 'UnsatisfiedLinkError' -e 'already loaded in another classloader' -e 'NoClassDefFoundError' \
    "$LOG_DIR"/flink-taskmanager.log* 2>/dev/null; then
  result FAIL native-loading "$(grep -m 1 -e 'UnsatisfiedLinkError' -e 'already loaded' -e 'NoClassDefFoundError' "$LOG_DIR"/flink-taskmanager.log*)"
else
  result PASS native-loading "no UnsatisfiedLinkError/NoClassDefFoundError in the TaskManager log, two ND4J jobs in one TaskManager"
fi

finish
