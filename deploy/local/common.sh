# Shared settings and helpers of the deploy/local scripts; sourced, not run.
#
# Every port and directory can be overridden by an environment variable (defaults in brackets):
#   STREAMREC_RUN_DIR       run directory: PIDs, logs, generated configs, data [deploy/local/run]
#   STREAMREC_MODELS_DIR    where the bootstrap model is trained once and kept [$STREAMREC_RUN_DIR/models]
#   STREAMREC_DATA_DIR      the datasets [../shared/data next to the repository]
#   KAFKA_PORT              broker listener [9092]        KAFKA_CONTROLLER_PORT  KRaft controller [9093]
#   FLINK_REST_PORT         web UI and REST API [8081]    FLINK_RPC_PORT         JobManager RPC [6123]
#   PROMETHEUS_PORTS        Prometheus reporter port range, only with STREAMREC_PROMETHEUS=1 [9249-9259]
#   KAFKA_HEAP [512m]  JM_PROCESS_SIZE [1024m]  TM_PROCESS_SIZE [2560m]  TM_SLOTS [4]
#   MVNW_ARGS               extra Maven flags for builds (e.g. -o for offline)
#   STREAMREC_NO_BUILD=1    never run Maven for the job jars (they must exist; set by the e2e IT)
#   JAVA_HOME               else java on PATH
# Everything binds to 127.0.0.1, except the Prometheus reporter, which binds all interfaces (off by default).
# The ports a cluster was started with are saved in $RUN_DIR/ports.env, so status/replay/stop find it again.

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL_DIR="$REPO_DIR/deploy/local"
RUN_DIR="${STREAMREC_RUN_DIR:-$LOCAL_DIR/run}"
mkdir -p "$RUN_DIR"
RUN_DIR="$(cd "$RUN_DIR" && pwd)"

if [[ -f "$RUN_DIR/ports.env" && -z "${STREAMREC_IGNORE_PORTS_ENV:-}" ]]; then
  # shellcheck disable=SC1091
  source "$RUN_DIR/ports.env"
fi
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
FLINK_REST_PORT="${FLINK_REST_PORT:-8081}"
FLINK_RPC_PORT="${FLINK_RPC_PORT:-6123}"
PROMETHEUS_PORTS="${PROMETHEUS_PORTS:-9249-9259}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
JM_PROCESS_SIZE="${JM_PROCESS_SIZE:-1024m}"
TM_PROCESS_SIZE="${TM_PROCESS_SIZE:-2560m}"
TM_SLOTS="${TM_SLOTS:-4}"

HOST=127.0.0.1
BOOTSTRAP="$HOST:$KAFKA_PORT"
FLINK_REST="http://$HOST:$FLINK_REST_PORT"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
PID_DIR="$RUN_DIR/pids"
LOG_DIR="$RUN_DIR/logs"
CP_DIR="$RUN_DIR/classpath"
FLINK_CONF_DIR="$RUN_DIR/flink/conf"
MODELS_DIR="${STREAMREC_MODELS_DIR:-$RUN_DIR/models}"
JOB_JAR_GLOB="$REPO_DIR/flink-jobs/target/flink-jobs-*-job.jar"
mkdir -p "$PID_DIR" "$LOG_DIR" "$CP_DIR"

# One OpenMP/BLAS thread per JVM: on small machines two were slower than one (docs/ARCHITECTURE.md, "Platform facts").
export OMP_NUM_THREADS=1

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The parent pom's JVM flags: Flink's --add-opens list for Java 17 and --add-modules=jdk.incubator.vector.
jvm_module_flags() {
  local flags
  flags="$(sed -n 's:.*<jvm.module.flags>\(.*\)</jvm.module.flags>.*:\1:p' "$REPO_DIR/pom.xml")"
  [[ -n "$flags" ]] || die "cannot read <jvm.module.flags> from pom.xml"
  echo "$flags"
}

# ND4J unpacks its natives once into a stable cache; JavaCPP must not cap native memory at the heap size.
ND4J_FLAGS="-Dorg.bytedeco.javacpp.cachedir=$HOME/.javacpp/cache -Dorg.bytedeco.javacpp.maxbytes=0 -Dorg.bytedeco.javacpp.maxphysicalbytes=0"

job_jar() { ls $JOB_JAR_GLOB 2>/dev/null | head -n 1 || true; }

# True when something accepts connections on 127.0.0.1:$1 (bash's /dev/tcp, no extra tools).
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

wait_port() { # port, seconds, what, pid-name
  local deadline=$((SECONDS + $2))
  while ! port_open "$1"; do
    if [[ -n "${4:-}" ]] && ! pid_alive "$4"; then
      die "$3 exited during start-up; see $LOG_DIR/$4.log"
    fi
    (( SECONDS < deadline )) || die "$3 not listening on $HOST:$1 after $2 s; see $LOG_DIR"
    sleep 0.5
  done
}

# A free port at or above $1 (nobody listening on 127.0.0.1); another process may still take it before we bind.
free_port() {
  local p="$1"
  while port_open "$p"; do p=$((p + 1)); done
  echo "$p"
}

pid_of() { [[ -f "$PID_DIR/$1.pid" ]] && cat "$PID_DIR/$1.pid"; }

# Alive and still the process we started (its command line names our run directory), not a recycled PID.
pid_alive() {
  local pid
  pid="$(pid_of "$1")" || return 1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$RUN_DIR"
}

# Starts "$@" in the background with its output in $LOG_DIR/$name.log and its PID in $PID_DIR/$name.pid.
start_process() {
  local name="$1"; shift
  if pid_alive "$name"; then die "$name is already running (PID $(pid_of "$name")); deploy/local/stop.sh first"; fi
  nohup "$@" > "$LOG_DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$PID_DIR/$name.pid"
  log "started $name (PID $!), log $LOG_DIR/$name.log"
}

# Java tools of the tools module (replay, topic setup, checks) in a plain JVM, through deploy/run-java.sh.
run_tool() {
  JAVA_OPTS="${TOOL_JAVA_OPTS:--Xmx1g}" "$REPO_DIR/deploy/run-java.sh" "$@"
}

# The TCP addresses process $1 listens on, one "address:port" a line (hex address as in /proc/net/tcp*; 127.0.0.1
# is 0100007F, or 0000000000000000FFFF00000100007F as IPv4-mapped IPv6). Reads /proc only: no ss/netstat needed.
listening_sockets() {
  local pid="$1" inodes
  inodes="$(for fd in /proc/"$pid"/fd/*; do readlink "$fd" 2>/dev/null; done | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' | sort -u)"
  [[ -n "$inodes" ]] || return 0
  awk -v inodes="$inodes" 'BEGIN { n = split(inodes, list, "\n"); for (i = 1; i <= n; i++) own[list[i]] = 1 }
      FNR > 1 && $4 == "0A" && ($10 in own) { print $2 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Prints the listening sockets of process $1 that are not on 127.0.0.1 (nothing when all are).
non_loopback_sockets() {
  listening_sockets "$1" | grep -v -e '^0100007F:' -e '^0000000000000000FFFF00000100007F:' || true
}
