#!/usr/bin/env bash
# Submits a job of the shaded job jar (flink-jobs-<version>-job.jar) to the running local Flink cluster, detached,
# with Flink's own client (CliFrontend, which talks to the JobManager's REST API) and the cluster's class path and
# configuration from the run directory. up.sh submits the serving and trainer jobs with it; the load test
# (deploy/loadtest.sh --cluster local) submits one serving job per guarantee and setting. Prints Flink's
# "Job has been submitted with JobID <id>" line.
#
# Usage: deploy/local/submit.sh <main class> [job args...]
#   e.g. deploy/local/submit.sh org.streamrec.flink.serving.RecommenderJob --bootstrap-servers 127.0.0.1:9092 ...
set -euo pipefail
source "$(dirname "$0")/common.sh"
[[ $# -ge 1 ]] || die "usage: $0 <main class> [job args...]"
CLASS="$1"; shift
[[ -f "$FLINK_CONF_DIR/config.yaml" ]] || die "no cluster configuration in $FLINK_CONF_DIR: deploy/local/up.sh first"
JAR="$(job_jar)"
[[ -n "$JAR" ]] || die "no $JOB_JAR_GLOB: deploy/local/build.sh first"
FLINK_CP="$(cat "$CP_DIR/flink-cluster.classpath")"
read -r -a MODULE_FLAGS <<< "$(jvm_module_flags)"
FLINK_CONF_DIR="$FLINK_CONF_DIR" exec "$JAVA" "${MODULE_FLAGS[@]}" -Xmx512m \
    -Dlog.file="$LOG_DIR/flink-client.log" -Dlog4j.configurationFile="file:$FLINK_CONF_DIR/log4j-cli.properties" \
    -cp "$FLINK_CP" org.apache.flink.client.cli.CliFrontend run --detached --class "$CLASS" "$JAR" "$@"
