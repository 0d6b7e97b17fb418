#!/usr/bin/env bash
# Runs a main class of the tools module (with flink-jobs, schemas and model-core) in a plain JVM: builds the jars with ./mvnw when
# they are missing or older than the sources, then starts java with the parent pom's JVM flags (the --add-opens
# list Flink needs on Java 17 and --add-modules=jdk.incubator.vector) and OMP_NUM_THREADS=1.
#
# Usage: deploy/run-java.sh <main class> [args...]
# Environment: JAVA_HOME (else java on PATH); MVNW_ARGS extra Maven flags for the build (e.g. -o for offline);
# JAVA_OPTS extra JVM flags (default -Xmx2g); STREAMREC_NO_BUILD=1 never builds (the jars must exist).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 1 ]]; then
  echo "usage: $0 <main class> [args...]" >&2
  exit 2
fi
MAIN_CLASS="$1"
shift

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
CLASSPATH_FILE=tools/target/runtime-classpath.txt
find_jar() { ls tools/target/tools-*.jar 2>/dev/null | grep -v -e sources -e tests | head -n 1 || true; }
JAR="$(find_jar)"

stale() {
  [[ -z "$JAR" || ! -f "$CLASSPATH_FILE" ]] && return 0
  # Any main source, schema, resource or pom newer than the packaged jar means the jars are out of date.
  [[ -n "$(find pom.xml schemas model-core flink-jobs tools -newer "$JAR" -type f \
      \( -path '*/src/main/*' -o -name 'pom.xml' \) -not -path '*/target/*' -print -quit)" ]]
}

if [[ -z "${STREAMREC_NO_BUILD:-}" ]] && stale; then
  echo "[streamrec] building: ./mvnw -B -q -DskipTests ${MVNW_ARGS:-} package -pl tools -am" >&2
  # shellcheck disable=SC2086
  ./mvnw -B -q -DskipTests ${MVNW_ARGS:-} package -pl tools -am
  JAR="$(find_jar)"
else
  echo "[streamrec] jars are up to date, not rebuilding" >&2
fi

# One list of JVM flags for tests and scripts: read it from the parent pom.
JVM_MODULE_FLAGS="$(sed -n 's:.*<jvm.module.flags>\(.*\)</jvm.module.flags>.*:\1:p' pom.xml)"
if [[ -z "$JVM_MODULE_FLAGS" ]]; then
  echo "[streamrec] cannot read <jvm.module.flags> from pom.xml" >&2
  exit 2
fi

# One OpenMP/BLAS thread per JVM: on small machines two were slower than one (docs/ARCHITECTURE.md, "Platform facts").
export OMP_NUM_THREADS=1
# shellcheck disable=SC2086
exec "$JAVA" $JVM_MODULE_FLAGS ${JAVA_OPTS:--Xmx2g} \
  -Dorg.bytedeco.javacpp.cachedir="$HOME/.javacpp/cache" \
  -Dstreamrec.data.dir="$(cd .. && pwd)/shared/data" \
  -cp "$JAR:$(cat "$CLASSPATH_FILE")" \
  "$MAIN_CLASS" "$@"
