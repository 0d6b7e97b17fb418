#!/usr/bin/env bash
# The README's "run" command: the whole pipeline on embedded defaults, in one JVM
# (org.streamrec.flink.demo.EmbeddedDemo): an embedded Kafka broker, a bootstrap GRU4Rec trained on
# rsc15-100k train_full, the serving job on a local Flink cluster with its web UI (http://127.0.0.1:8081),
# and the replay of the rsc15-100k test events. It prints progress, a few recommendations and a summary
# measured from the committed output, then stops everything it started.
# Extra arguments go to the demo, e.g. deploy/demo.sh --rate 5000 --events 5000 (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d ../shared/data ]; then
  echo "../shared/data is missing: the demo reads the rsc15-100k dataset from there" >&2
  exit 1
fi
./mvnw -B -q -pl flink-jobs -am compile dependency:build-classpath \
  -Dmdep.outputFile=target/demo.classpath -Dmdep.includeScope=runtime
# The same JVM flags the tests use (parent pom): Flink on Java 17, the Vector API, ND4J's native cache.
JVM_FLAGS=$(sed -n 's:.*<jvm.module.flags>\(.*\)</jvm.module.flags>.*:\1:p' pom.xml)
export OMP_NUM_THREADS=1
exec java $JVM_FLAGS -Xmx3g \
  -Dorg.bytedeco.javacpp.cachedir="$HOME/.javacpp/cache" \
  -Dstreamrec.data.dir="$(cd ../shared/data && pwd)" \
  -cp "flink-jobs/target/classes:$(cat flink-jobs/target/demo.classpath)" \
  org.streamrec.flink.demo.EmbeddedDemo "$@"
