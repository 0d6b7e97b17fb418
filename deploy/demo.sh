#!/usr/bin/env bash
# The README's "run" command: the whole pipeline in one JVM on embedded defaults (org.streamrec.flink.demo.EmbeddedDemo):
# a Kafka broker (KRaft), the four topics, a bootstrap GRU4Rec model, the serving job on a local Flink cluster with
# its web UI (http://127.0.0.1:8081, or a free port, printed), a replay of the rsc15-100k test events with a few
# malformed records, progress, sample recommendations and a summary; then it stops everything and exits.
# Stages that cannot run yet are reported as SKIPPED, never faked.
#
# Usage: deploy/demo.sh [demo options]        e.g. deploy/demo.sh --rate 0 --sessions 500;  deploy/demo.sh --help
# Needs only a JDK 17 (JAVA_HOME or java on PATH). Builds with ./mvnw when the jars are missing or older than the
# sources; MVNW_ARGS adds Maven flags (e.g. MVNW_ARGS=-o to build offline). The data folder defaults to
# ../shared/data next to the repository (--data-dir to change).
set -euo pipefail
cd "$(dirname "$0")/.."

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAR="$(ls flink-jobs/target/flink-jobs-*.jar 2>/dev/null | grep -v -e sources -e tests | head -n 1 || true)"
CLASSPATH_FILE=flink-jobs/target/runtime-classpath.txt

stale() {
  [[ -z "$JAR" || ! -f "$CLASSPATH_FILE" ]] && return 0
  # Any source, schema, resource or pom newer than the packaged jar means the jars are out of date.
  [[ -n "$(find pom.xml schemas model-core flink-jobs -newer "$JAR" -type f \
      \( -name '*.java' -o -name '*.avsc' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) \
      -not -path '*/target/*' -print -quit)" ]]
}

if stale; then
  echo "[demo.sh] building: ./mvnw -B -q -DskipTests ${MVNW_ARGS:-} package"
  # shellcheck disable=SC2086
  ./mvnw -B -q -DskipTests ${MVNW_ARGS:-} package
  JAR="$(ls flink-jobs/target/flink-jobs-*.jar | grep -v -e sources -e tests | head -n 1)"
else
  echo "[demo.sh] jars are up to date, not rebuilding"
fi

# The same JVM flags as the tests: the --add-opens list Flink needs on Java 17 and the Vector API module,
# read from the parent pom so there is one list to maintain.
JVM_MODULE_FLAGS="$(sed -n 's:.*<jvm.module.flags>\(.*\)</jvm.module.flags>.*:\1:p' pom.xml)"
if [[ -z "$JVM_MODULE_FLAGS" ]]; then
  echo "[demo.sh] cannot read <jvm.module.flags> from pom.xml" >&2
  exit 2
fi

# One OpenMP/BLAS thread: on small machines two were slower than one (DESIGN.md §6).
export OMP_NUM_THREADS=1
# shellcheck disable=SC2086
exec "$JAVA" $JVM_MODULE_FLAGS -Xmx2g \
  -Dorg.bytedeco.javacpp.cachedir="$HOME/.javacpp/cache" \
  -Dstreamrec.data.dir="$(cd .. && pwd)/shared/data" \
  -cp "$JAR:$(cat "$CLASSPATH_FILE")" \
  org.streamrec.flink.demo.EmbeddedDemo "$@"
