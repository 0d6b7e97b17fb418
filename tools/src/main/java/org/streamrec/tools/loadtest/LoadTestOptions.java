package org.streamrec.tools.loadtest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.streamrec.flink.config.DurationConverter;
import org.streamrec.flink.kafka.Topics;
import org.streamrec.flink.serving.RecommenderConfig;
import picocli.CommandLine.Option;

/**
 * The load test's command-line options (a picocli mixin of {@link LoadTest}) and the sweep they expand to: one serving
 * job per combination of the swept settings, each with the {@code RecommenderJob} flags that give it topics of its own.
 */
final class LoadTestOptions {

    static final String MAX = "max";

    @Option(names = "--data-dir", description = "Shared data folder (default: -Dstreamrec.data.dir, else ../shared/data).")
    Path dataDir;

    @Option(names = "--events-file", defaultValue = "diginetica/diginetica_train.tsv.gz",
            description = "Sessions to replay, relative to --data-dir; reused round-robin with new ids per step (default: ${DEFAULT-VALUE}).")
    String eventsFile;

    @Option(names = "--train-file", defaultValue = "diginetica/diginetica_train.tsv.gz",
            description = "Training sessions of the served model; its items are the catalogue (default: ${DEFAULT-VALUE}).")
    String trainFile;

    @Option(names = "--model", description = "Snapshot directory to serve; default: build one in --model-cache.")
    Path model;

    @Option(names = "--model-cache", defaultValue = "target/loadtest-models",
            description = "Where built snapshots are kept and reused, one per (hidden, epochs) (default: ${DEFAULT-VALUE}).")
    Path modelCache;

    @Option(names = "--hidden", defaultValue = "100", description = "GRU hidden size of the built model (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--epochs", defaultValue = "1",
            description = "Training epochs of the built model; 0 = initial weights over the real vocabulary (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--rates", split = ",", defaultValue = "1000,5000,10000,20000,max",
            description = "Target rates in events/s, in order; 'max' = as fast as the replay can send (default: ${DEFAULT-VALUE}).")
    List<String> rates;

    @Option(names = "--duration", defaultValue = "20s", converter = DurationConverter.class,
            description = "Sending time per step (default: ${DEFAULT-VALUE}).")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "3s", converter = DurationConverter.class,
            description = "Events created in the first part of each step are answered and counted but not timed (default: ${DEFAULT-VALUE}).")
    Duration warmup;

    @Option(names = "--warmup-step", defaultValue = "5000:60s",
            description = "RATE:DURATION of an unreported step each job runs before the measured ones, so that no row pays"
                    + " JIT, cold caches, RocksDB and ND4J start-up; 'none' to skip it. Per-thread CPU showed the C2 compiler"
                    + " busy for 40-90 s after a job starts under load (0.2 cores still after 30 s on a 2.1 GHz machine,"
                    + " 0.05-0.13 after 60 s), hence the default (default: ${DEFAULT-VALUE}).")
    String warmupStep;

    @Option(names = "--warmup-checkpoints", defaultValue = "200",
            description = "Checkpoints the harness requests one after another from the warm-up step's start, besides the "
                    + "job's periodic ones (those its traffic leaves undone follow it, the job idle, for up to 60 s): the "
                    + "JIT compiles a checkpoint method after about 200 runs, so without them every checkpoint of a "
                    + "measured step pays compilations a long-running job has behind it; 0 for none (default: "
                    + "${DEFAULT-VALUE}).")
    int warmupCheckpoints;

    @Option(names = "--cluster", defaultValue = "embedded",
            description = "embedded: broker and Flink MiniCluster in this JVM; local: deploy/local's broker, JobManager and"
                    + " TaskManager, each its own process, the job jar submitted to it (default: ${DEFAULT-VALUE}).")
    String clusterMode;

    @Option(names = "--repo-dir", description = "Repository root, for deploy/local's scripts (default: the working directory, or its parent"
            + " when run from a module).")
    Path repoDir;

    @Option(names = "--run-dir", description = "deploy/local run directory of --cluster local: PIDs, logs, checkpoints"
            + " (default: $STREAMREC_RUN_DIR, else deploy/local/run/loadtest). deploy/loadtest.sh's safety net stops"
            + " $STREAMREC_RUN_DIR, so set that rather than this.")
    Path runDir;

    @Option(names = "--guarantees", split = ",", defaultValue = "at-least-once,exactly-once",
            description = "Delivery guarantees to test, each with its own job (default: ${DEFAULT-VALUE}).")
    List<String> guarantees;

    @Option(names = "--parallelism", split = ",", defaultValue = "2",
            description = "Serving job parallelism; a comma-separated list sweeps it, one job per value. The cluster gets as many"
                    + " task slots as the largest (default: ${DEFAULT-VALUE}).")
    List<Integer> parallelism;

    @Option(names = "--partitions", defaultValue = "2", description = "Partitions of the events and recommendations topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--checkpoint-interval", defaultValue = "1s", converter = DurationConverter.class,
            description = "Checkpoint interval; exactly-once output becomes visible at this pace (default: ${DEFAULT-VALUE}).")
    Duration checkpointInterval;

    @Option(names = "--batch-max-size", split = ",", defaultValue = "128",
            description = "Serving micro-batch size; a list sweeps it (default: ${DEFAULT-VALUE}).")
    List<Integer> batchMaxSize;

    @Option(names = "--batch-max-delay", split = ",", defaultValue = "5ms", converter = DurationConverter.class,
            description = "Serving micro-batch time bound; a list sweeps it (default: ${DEFAULT-VALUE}).")
    List<Duration> batchMaxDelay;

    @Option(names = "--network-buffer-timeout", defaultValue = "5ms", converter = DurationConverter.class,
            description = "Flink execution.buffer-timeout; Flink's own default of 100 ms would dominate latency (default: ${DEFAULT-VALUE}).")
    Duration networkBufferTimeout;

    @Option(names = "--producer-linger", defaultValue = "1ms", converter = DurationConverter.class,
            description = "linger.ms of the replay producer; part of the measured latency (default: ${DEFAULT-VALUE}).")
    Duration producerLinger;

    @Option(names = "--sink-linger", defaultValue = RecommenderConfig.DEFAULT_SINK_LINGER,
            converter = DurationConverter.class,
            description = "The serving job's --sink-linger: linger.ms of its recommendations producer; part of the "
                    + "measured latency (default: ${DEFAULT-VALUE}, the job's).")
    Duration sinkLinger;

    @Option(names = "--score-bound-rank", paramLabel = "RANK",
            description = "The serving job's --score-bound-rank: rank of the bound that prunes its exact top-k, 0 to "
                    + "score every item (default: the job's own).")
    Integer scoreBoundRank;

    @Option(names = "--state-changelog", negatable = true, fallbackValue = "true",
            description = "The serving job's --state-changelog: Flink's changelog state backend, so a checkpoint does "
                    + "not wait for RocksDB's memtable flush (both clusters the load test runs on configure its storage; "
                    + "default: the job's own, off).")
    Boolean stateChangelog;

    @Option(names = "--interleave", defaultValue = "10000",
            description = "Sessions in progress at once: a user's next click comes this many events later, e.g. 2 s later"
                    + " at 5,000 events/s (default: ${DEFAULT-VALUE}). The SR-GNN diginetica files order events session by"
                    + " session, and replayed in that order one user would click thousands of times a second.")
    int interleave;

    @Option(names = "--max-events", defaultValue = "2000000",
            description = "Most events a 'max' step sends within --duration (default: ${DEFAULT-VALUE}).")
    long maxEvents;

    @Option(names = "--drain-timeout", defaultValue = "60s", converter = DurationConverter.class,
            description = "After a step's last send, how long to wait without a new answer before giving up (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = {"-k", "--k"}, defaultValue = "20", description = "Recommendations per event (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--json", description = "Also write the results as JSON to this file.")
    Path jsonFile;

    @Option(names = "--csv", description = "Also write the results as CSV to this file.")
    Path csvFile;

    @Option(names = "--flink-conf", paramLabel = "KEY=VALUE", description = "Extra Flink configuration of the "
            + "embedded cluster, repeatable, e.g. --flink-conf execution.checkpointing.incremental=false (embedded only: "
            + "deploy/local's cluster reads its own config.yaml).")
    Map<String, String> flinkConf = new LinkedHashMap<>();

    @Option(names = "--latency-series", description = "Also write each measured step's latencies per second of event "
            + "creation (count, p50, p99, max, emit p99) as CSV to this file: where in time a tail comes from.")
    Path latencySeriesFile;

    /** Fails on settings that cannot work, before anything starts. */
    void validate() {
        for (String g : guarantees) {
            guaranteeFlag(g);
        }
        if (!clusterMode.equals("embedded") && !clusterMode.equals("local")) {
            throw new IllegalArgumentException("--cluster takes embedded or local, not " + clusterMode);
        }
        if (warmupCheckpoints < 0) {
            throw new IllegalArgumentException("--warmup-checkpoints must not be negative, was " + warmupCheckpoints);
        }
        if (clusterMode.equals("local") && !flinkConf.isEmpty()) {
            throw new IllegalArgumentException("--flink-conf applies to --cluster embedded only; set "
                    + flinkConf.keySet() + " in deploy/local's Flink configuration instead");
        }
    }

    Map<String, Object> settings(Path modelDir, int slots) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cluster", clusterMode);
        m.put("flinkConf", flinkConf);
        m.put("model", modelDir.toAbsolutePath().toString());
        m.put("hidden", hidden);
        m.put("epochs", epochs);
        m.put("eventsFile", eventsFile);
        m.put("durationSeconds", duration.toMillis() / 1000.0);
        m.put("warmupSeconds", warmup.toMillis() / 1000.0);
        m.put("warmupStep", warmupStep);
        m.put("warmupCheckpoints", warmupCheckpoints);
        m.put("parallelism", parallelism);
        m.put("taskSlots", slots);
        m.put("partitions", partitions);
        m.put("checkpointIntervalMs", checkpointInterval.toMillis());
        m.put("batchMaxSize", batchMaxSize);
        m.put("batchMaxDelayMs", batchMaxDelay.stream().map(Duration::toMillis).toList());
        m.put("networkBufferTimeoutMs", networkBufferTimeout.toMillis());
        m.put("producerLingerMs", producerLinger.toMillis());
        m.put("sinkLingerMs", sinkLinger.toMillis());
        m.put("scoreBoundRank", scoreBoundRank == null ? "job default" : scoreBoundRank);
        m.put("stateChangelog", stateChangelog == null ? "job default" : stateChangelog);
        m.put("k", k);
        m.put("interleave", interleave);
        return m;
    }

    static String guaranteeFlag(String g) {
        if (!g.equals("at-least-once") && !g.equals("exactly-once")) {
            throw new IllegalArgumentException("--guarantees takes at-least-once and/or exactly-once, not " + g);
        }
        return g;
    }

    /** One serving job of the sweep: a guarantee and one value of each swept setting. */
    record JobSettings(String guarantee, int parallelism, int batchMaxSize, Duration batchMaxDelay) {
        @Override
        public String toString() {
            return String.format("%s, parallelism %d, batch %d, delay %d ms", guarantee, parallelism, batchMaxSize,
                    batchMaxDelay.toMillis());
        }
    }

    /** The unreported step each job runs first; null for {@code none}. */
    record WarmupStep(String rate, Duration duration) {
        static WarmupStep parse(String spec) {
            if (spec.equalsIgnoreCase("none")) {
                return null;
            }
            int colon = spec.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("--warmup-step takes RATE:DURATION (e.g. 2000:15s) or none, not " + spec);
            }
            String rate = spec.substring(0, colon).trim();
            if (!rate.equalsIgnoreCase(MAX)) {
                Double.parseDouble(rate);
            }
            return new WarmupStep(rate, new DurationConverter().convert(spec.substring(colon + 1).trim()));
        }
    }

    /** Every combination of the swept settings, one job each, guarantee outermost, then parallelism, size, delay. */
    List<JobSettings> jobs() {
        List<JobSettings> jobs = new ArrayList<>();
        for (String g : guarantees) {
            guaranteeFlag(g);
            for (int p : parallelism) {
                for (int size : batchMaxSize) {
                    for (Duration delay : batchMaxDelay) {
                        jobs.add(new JobSettings(g, p, size, delay));
                    }
                }
            }
        }
        return jobs;
    }

    static String jobTag(String guarantee, int index) {
        return (guarantee.equals("exactly-once") ? "eos" : "alo") + index;
    }

    /**
     * The RecommenderJob flags of one job of the sweep, the same in both modes (embedded: parsed here; local: given
     * to the job jar's main). Topics, group and transactional ids carry the job's tag, so every job starts fresh.
     */
    List<String> jobArgs(String bootstrapServers, Path modelDir, JobSettings job, int index) {
        String tag = jobTag(job.guarantee(), index);
        List<String> args = new ArrayList<>(List.of(
                "--bootstrap-servers", bootstrapServers,
                "--events-topic", Topics.EVENTS + "-" + tag, "--recommendations-topic", Topics.RECOMMENDATIONS + "-" + tag,
                "--dlq-topic", Topics.DLQ + "-" + tag, "--model-updates-topic", Topics.MODEL_UPDATES,
                "--group-id", "loadtest-" + tag,
                "--model-uri", modelDir.toAbsolutePath().toUri().toString(),
                "--k", String.valueOf(k),
                "--parallelism", String.valueOf(job.parallelism()),
                "--delivery-guarantee", guaranteeFlag(job.guarantee()),
                "--checkpoint-interval", checkpointInterval.toMillis() + " ms",
                "--batch-max-size", String.valueOf(job.batchMaxSize()),
                "--batch-max-delay", job.batchMaxDelay().toMillis() + " ms",
                "--network-buffer-timeout", networkBufferTimeout.toMillis() + " ms",
                "--sink-linger", sinkLinger.toMillis() + " ms",
                "--transactional-id-prefix", "streamrec-loadtest-" + tag,
                // Below the embedded broker's transaction.max.timeout.ms.
                "--transaction-timeout", "5 min"));
        if (scoreBoundRank != null) {
            args.addAll(List.of("--score-bound-rank", String.valueOf(scoreBoundRank)));
        }
        if (stateChangelog != null) {
            args.add(stateChangelog ? "--state-changelog" : "--no-state-changelog");
        }
        return args;
    }

}
