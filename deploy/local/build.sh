#!/usr/bin/env bash
# Makes sure everything the local cluster runs exists: the job jar (flink-jobs-<version>-job.jar), the tools
# module's jars (replay, topic setup, checks; deploy/run-java.sh), and the class paths of the Kafka broker and
# the Flink cluster, resolved from Maven Central through deploy/local/maven/*.xml (nothing is copied or installed).
#
# Usage: deploy/local/build.sh        (up.sh and e2e-test.sh call it)
# Builds with `./mvnw -B -q -DskipTests package -pl tools -am` when a jar is missing or older than a source or
# pom; STREAMREC_NO_BUILD=1 skips that (the e2e IT sets it: Maven has just packaged them); MVNW_ARGS=-o for offline.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO_DIR"

# Maven variables of an enclosing build (the e2e IT runs inside `mvnw verify`) must not leak into ours.
unset MAVEN_PROJECTBASEDIR MAVEN_CMD_LINE_ARGS MAVEN_ARGS

jars_stale() {
  local jar; jar="$(job_jar)"
  [[ -z "$jar" || ! -f tools/target/runtime-classpath.txt ]] && return 0
  [[ -n "$(find pom.xml schemas model-core flink-jobs tools -newer "$jar" -type f \
      \( -path '*/src/main/*' -o -name 'pom.xml' \) -not -path '*/target/*' -print -quit)" ]]
}

if [[ -n "${STREAMREC_NO_BUILD:-}" ]]; then
  [[ -n "$(job_jar)" ]] || die "STREAMREC_NO_BUILD is set but there is no $JOB_JAR_GLOB"
elif jars_stale; then
  log "building the job jar: ./mvnw -B -q -DskipTests ${MVNW_ARGS:-} package -pl tools -am"
  # shellcheck disable=SC2086
  ./mvnw -B -q -DskipTests ${MVNW_ARGS:-} package -pl tools -am
else
  log "job jar is up to date: $(job_jar)"
fi

# Class paths of the broker and the cluster, re-resolved when their pom (or the parent's versions) changed.
for name in kafka-broker flink-cluster; do
  out="$CP_DIR/$name.classpath"
  if [[ ! -s "$out" || "deploy/local/maven/$name.xml" -nt "$out" || pom.xml -nt "$out" ]]; then
    log "resolving the $name class path (deploy/local/maven/$name.xml)"
    resolve() {
      # shellcheck disable=SC2086
      ./mvnw -B -q "$@" ${MVNW_ARGS:-} -f "deploy/local/maven/$name.xml" dependency:build-classpath \
          -Dmdep.includeScope=runtime -Dmdep.outputFile="$out"
    }
    # Offline first: the project's own build has usually fetched every one of these jars already.
    resolve -o > "$LOG_DIR/resolve-$name.log" 2>&1 || resolve
    rm -f "$LOG_DIR/resolve-$name.log"
  fi
done
