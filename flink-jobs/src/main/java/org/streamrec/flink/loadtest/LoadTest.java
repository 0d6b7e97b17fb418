package org.streamrec.flink.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;
import org.streamrec.flink.demo.LocalFlinkCluster;
import org.streamrec.flink.kafka.EmbeddedKafka;
import org.streamrec.flink.replay.ClickEventFactory;
import org.streamrec.flink.replay.DurationConverter;
import org.streamrec.flink.replay.Pacer;
import org.streamrec.flink.replay.ReplayClock;
import org.streamrec.flink.replay.ReplaySummary;
import org.streamrec.flink.replay.ReplayTool;
import org.streamrec.flink.replay.Replayer;
import org.streamrec.flink.replay.SessionInterleaving;
import org.streamrec.flink.replay.Ticker;
import org.streamrec.flink.replay.TokenBucketPacer;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.flink.serving.RecommenderJob;
import org.streamrec.flink.serving.SnapshotModelLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * End-to-end load test of the serving job: an in-process Kafka broker ({@link EmbeddedKafka}), the real
 * {@link RecommenderJob} on a {@link LocalFlinkCluster} (MiniCluster, RocksDB state), a GRU4Rec model over
 * diginetica's items, and the replay tool ({@link Replayer}) at fixed rates and as fast as possible, for
 * at-least-once and exactly-once delivery, each with a job of its own on fresh topics. Every event's time is its
 * creation time, so the latency of an answer is the time from the event's creation to the moment a
 * {@code read_committed} consumer ({@link AnswerCollector}) got its recommendation; with exactly-once that includes
 * waiting for the checkpoint that commits it. After each step the harness waits until every event is answered.
 *
 * <p>Everything runs in this one JVM on the machine's cores, so the load generator and the broker compete with the
 * job: the CPU columns say who used what. Run by {@code deploy/loadtest.sh}.
 */
@Command(name = "loadtest", mixinStandardHelpOptions = true, sortOptions = false,
        description = "End-to-end load test: Kafka + the serving job on a local Flink cluster + replay at fixed rates.")
public final class LoadTest implements Callable<Integer> {

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

    @Option(names = "--guarantees", split = ",", defaultValue = "at-least-once,exactly-once",
            description = "Delivery guarantees to test, each with its own job (default: ${DEFAULT-VALUE}).")
    List<String> guarantees;

    @Option(names = "--parallelism", defaultValue = "2", description = "Serving job parallelism = task slots (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--partitions", defaultValue = "2", description = "Partitions of the events and recommendations topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--checkpoint-interval", defaultValue = "1s", converter = DurationConverter.class,
            description = "Checkpoint interval; exactly-once output becomes visible at this pace (default: ${DEFAULT-VALUE}).")
    Duration checkpointInterval;

    @Option(names = "--batch-max-size", defaultValue = "128", description = "Serving micro-batch size (default: ${DEFAULT-VALUE}).")
    int batchMaxSize;

    @Option(names = "--batch-max-delay", defaultValue = "5ms", converter = DurationConverter.class,
            description = "Serving micro-batch time bound (default: ${DEFAULT-VALUE}).")
    Duration batchMaxDelay;

    @Option(names = "--network-buffer-timeout", defaultValue = "5ms", converter = DurationConverter.class,
            description = "Flink execution.buffer-timeout; Flink's own default of 100 ms would dominate latency (default: ${DEFAULT-VALUE}).")
    Duration networkBufferTimeout;

    @Option(names = "--producer-linger", defaultValue = "1ms", converter = DurationConverter.class,
            description = "linger.ms of the replay producer; part of the measured latency (default: ${DEFAULT-VALUE}).")
    Duration producerLinger;

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

    private PrintWriter out = new PrintWriter(System.out, true);

    /** All steps and the conditions they ran under. */
    public record Report(String startedAt, String machine, Map<String, Object> settings, List<StepResult> steps) {
    }

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:log4j2-demo.properties");
        }
        // call() runs the test; picocli answers --help/--version itself. Exit 1 when some event went unanswered.
        System.exit(new CommandLine(new LoadTest()).execute(args));
    }

    /** A load test with these options whose messages go to {@code out}. */
    public static LoadTest parse(PrintWriter out, String... args) {
        CommandLine cli = new CommandLine(new LoadTest());
        cli.parseArgs(args);
        LoadTest test = cli.getCommand();
        test.out = out;
        return test;
    }

    @Override
    public Integer call() throws Exception {
        return run().steps().stream().allMatch(StepResult::everyEventAnswered) ? 0 : 1;
    }

    public Report run() throws Exception {
        String startedAt = Instant.now().toString();
        Path data = dataDir != null ? dataDir
                : Path.of(System.getProperty("streamrec.data.dir", Path.of("..", "shared", "data").toString()));
        Path eventsPath = data.resolve(eventsFile);
        Path trainPath = data.resolve(trainFile);
        for (Path p : List.of(eventsPath, trainPath)) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException(p.toAbsolutePath() + " does not exist; point --data-dir at the shared data folder");
            }
        }
        for (String g : guarantees) {
            guaranteeFlag(g);
        }
        String machine = machine();
        say("loadtest: %s; started %s", machine, startedAt);
        Path modelDir = model != null ? model
                : LoadTestModel.prepare(trainPath, hidden, epochs, modelCache.resolve("diginetica-h" + hidden + "-e" + epochs),
                        line -> say("%s", line));
        List<Session> sessions = DatasetReaders.read(eventsPath).sortedByStartTime();
        say("replay source: %s, %,d sessions, %,d events (reused round-robin; each step has its own event and user ids)",
                eventsPath, sessions.size(), sessions.stream().mapToLong(Session::length).sum());

        List<StepResult> results = new ArrayList<>();
        SessionCursor cursor = new SessionCursor(sessions);
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopic("model-updates", 1, Map.of("cleanup.policy", "compact"));
            Path flinkDir = Files.createTempDirectory("streamrec-loadtest-flink-");
            try {
                RecommenderConfig base = jobConfig(kafka, modelDir, guarantees.get(0));
                Configuration flink = RecommenderJob.flinkConfiguration(base);
                flink.set(RocksDBOptions.LOCAL_DIRECTORIES, flinkDir.resolve("rocksdb").toString());
                flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, flinkDir.resolve("checkpoints").toUri().toString());
                try (LocalFlinkCluster cluster = LocalFlinkCluster.start(flink, 0, parallelism)) {
                    for (String guarantee : guarantees) {
                        results.addAll(runGuarantee(kafka, cluster, flink, modelDir, guarantee, cursor));
                    }
                }
            } finally {
                deleteRecursively(flinkDir);
            }
        }
        Report report = new Report(startedAt, machine, settings(modelDir), results);
        printTable(results);
        if (jsonFile != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(jsonFile.toFile(), report);
            say("results written to %s", jsonFile);
        }
        if (csvFile != null) {
            writeCsv(results, csvFile);
            say("results written to %s", csvFile);
        }
        return report;
    }

    private List<StepResult> runGuarantee(EmbeddedKafka kafka, LocalFlinkCluster cluster, Configuration flink, Path modelDir,
                                          String guarantee, SessionCursor cursor) throws Exception {
        String tag = guarantee.equals("exactly-once") ? "eos" : "alo";
        RecommenderConfig config = jobConfig(kafka, modelDir, guarantee);
        kafka.createTopic(config.eventsTopic(), partitions);
        kafka.createTopic(config.recommendationsTopic(), partitions);
        kafka.createTopic(config.dlqTopic(), 1);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        new RecommenderJob(config,
                RecommenderJob.eventsSource(config).build(),
                RecommenderJob.announcementsSource(config).build(),
                RecommenderJob.recommendationsSink(config),
                RecommenderJob.deadLetterSink(config),
                new SnapshotModelLoader()).build(env);
        JobID job = cluster.submit(env, "streamrec-recommender (loadtest " + guarantee + ")");
        List<StepResult> results = new ArrayList<>();
        try {
            if (!cluster.awaitAllTasksRunning(job, Duration.ofSeconds(180))) {
                throw new IllegalStateException("the serving job's tasks did not all reach RUNNING: " + cluster.status(job));
            }
            say("%s: serving job %s running, parallelism %d, checkpoints every %d ms, web UI %s", guarantee, job,
                    parallelism, checkpointInterval.toMillis(), cluster.webUi());
            Map<String, Object> producerSettings = new LinkedHashMap<>(ReplayTool.producerConfig(kafka.bootstrapServers(), Map.of()));
            producerSettings.put(ProducerConfig.CLIENT_ID_CONFIG, "streamrec-loadtest-replay");
            producerSettings.put(ProducerConfig.LINGER_MS_CONFIG, (int) producerLinger.toMillis());
            try (AnswerCollector answers = new AnswerCollector(kafka.bootstrapServers(), config.recommendationsTopic());
                 KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerSettings)) {
                answers.start();
                for (String rate : rates) {
                    StepResult r = runStep(tag, guarantee, rate, config.eventsTopic(), producer, answers, cursor, cluster, job);
                    results.add(r);
                    if (answers.failure() != null) {
                        throw new IllegalStateException("the answer consumer failed", answers.failure());
                    }
                }
            }
        } finally {
            cluster.cancel(job, Duration.ofSeconds(60));
        }
        return results;
    }

    private StepResult runStep(String tag, String guarantee, String rate, String topic, KafkaProducer<byte[], byte[]> producer,
                               AnswerCollector answers, SessionCursor cursor, LocalFlinkCluster cluster, JobID job)
            throws Exception {
        boolean unpaced = rate.equalsIgnoreCase(MAX);
        double target = unpaced ? 0 : Double.parseDouble(rate);
        long limit = unpaced ? maxEvents : Math.round(target * duration.toMillis() / 1000.0);
        String prefix = tag + "-" + (unpaced ? MAX : rate.replace(".", "_"));
        List<Session> stepSessions = SessionInterleaving.interleaved(cursor.next(limit), interleave);

        ProcessSampler sampler = new ProcessSampler();
        long startMillis = System.currentTimeMillis();
        answers.begin(prefix + "-", startMillis + warmup.toMillis());
        AtomicLong sent = new AtomicLong();
        Pacer pacer = unpaced ? Pacer.unpaced() : new TokenBucketPacer(target, TokenBucketPacer.defaultBurst(target), Ticker.SYSTEM);
        Replayer replayer = new Replayer(producer, topic, new ClickEventFactory(prefix, ReplayClock.wallClock()),
                AvroCodec.clickEvents(), pacer, Ticker.SYSTEM, Duration.ofDays(1), progress -> { });
        replayer.onSend(event -> sent.incrementAndGet());
        AtomicReference<ReplaySummary> summary = new AtomicReference<>();
        AtomicReference<Exception> replayFailure = new AtomicReference<>();
        Thread sender = new Thread(() -> {
            try {
                summary.set(replayer.run(stepSessions, limit, 0));
            } catch (Exception e) {
                replayFailure.set(e);
            }
        }, "loadtest-replay-" + prefix);
        say("%s %s: sending %s for %d s ...", guarantee, prefix, unpaced ? "as fast as possible" : rate + " events/s",
                duration.toSeconds());
        ProcessSampler.Mark begin = sampler.mark();
        sender.start();
        long deadline = System.nanoTime() + duration.toNanos();
        long maxLag = 0;
        double peakRss = 0;
        while (sender.isAlive()) {
            if (unpaced && System.nanoTime() >= deadline) {
                replayer.stop();
            }
            maxLag = Math.max(maxLag, sent.get() - answers.answeredCount());
            peakRss = Math.max(peakRss, ProcessSampler.rssMib());
            sender.join(250);
        }
        long sendEndMillis = System.currentTimeMillis();
        if (replayFailure.get() != null) {
            throw replayFailure.get();
        }
        ReplaySummary s = summary.get();
        long acked = s.eventsAcked();
        // Drain: every acknowledged event must get its answer; give up only when answers stop coming.
        long lastCount = -1;
        long lastChange = System.nanoTime();
        while (answers.answeredCount() < acked && System.nanoTime() - lastChange < drainTimeout.toNanos()) {
            long count = answers.answeredCount();
            if (count != lastCount) {
                lastCount = count;
                lastChange = System.nanoTime();
            }
            maxLag = Math.max(maxLag, acked - count);
            peakRss = Math.max(peakRss, ProcessSampler.rssMib());
            if (cluster.status(job).isGloballyTerminalState()) {
                throw new IllegalStateException("the serving job ended: " + cluster.status(job));
            }
            Thread.sleep(50);
        }
        // A moment more for duplicates that would follow the last answer.
        Thread.sleep(200);
        ProcessSampler.Mark end = sampler.mark();
        AnswerCollector.Tally t = answers.tally();
        double sendSeconds = s.elapsedNanos() / 1e9;
        long[] visible = t.visibleLatencies();
        Arrays.sort(visible);
        long[] emit = t.emitLatencies();
        Arrays.sort(emit);
        long drainMs = t.lastAnswerMillis() == 0 ? -1 : Math.max(0, t.lastAnswerMillis() - sendEndMillis);
        double throughput = t.lastAnswerMillis() == 0 ? 0 : t.answered() * 1000.0 / Math.max(1, t.lastAnswerMillis() - startMillis);
        // Kept up: the answers trail the sends by no more than what the guarantee itself adds (a checkpoint for EOS).
        long allowedDrain = 1000 + (guarantee.equals("exactly-once") ? 2 * checkpointInterval.toMillis() : 0);
        StepResult r = new StepResult(guarantee, unpaced ? MAX : rate, target, s.eventsSent(), t.answered(), t.duplicates(),
                t.fallback(), sendSeconds, s.eventsSent() / Math.max(1e-9, sendSeconds), throughput, drainMs,
                t.answered() == s.eventsSent() && drainMs >= 0 && drainMs <= allowedDrain,
                visible.length, percentile(visible, 0.50), percentile(visible, 0.95), percentile(visible, 0.99),
                visible.length == 0 ? -1 : visible[visible.length - 1], percentile(emit, 0.99), maxLag, peakRss,
                ProcessSampler.coresBetween(begin, end), loadAverage());
        say("%s %s: sent %,d (%.0f/s), answered %,d (%,d duplicates), throughput %.0f/s, drain %d ms, latency p50/p95/p99/max "
                        + "%d/%d/%d/%d ms (emit p99 %d ms), max lag %,d, CPU %.2f cores, RSS %.0f MiB", guarantee, prefix,
                r.sent(), r.sendRate(), r.answered(), r.duplicates(), r.throughput(), r.drainMs(), r.visibleP50Ms(),
                r.visibleP95Ms(), r.visibleP99Ms(), r.visibleMaxMs(), r.emitP99Ms(), r.maxLag(), r.cores().get("total"), r.peakRssMib());
        return r;
    }

    static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return -1;
        }
        return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private RecommenderConfig jobConfig(EmbeddedKafka kafka, Path modelDir, String guarantee) {
        String tag = guarantee.equals("exactly-once") ? "eos" : "alo";
        return RecommenderConfig.parse(
                "--bootstrap-servers", kafka.bootstrapServers(),
                "--events-topic", "events-" + tag, "--recommendations-topic", "recommendations-" + tag,
                "--dlq-topic", "events.dlq-" + tag, "--model-updates-topic", "model-updates",
                "--group-id", "loadtest-" + tag,
                "--model-uri", modelDir.toAbsolutePath().toUri().toString(),
                "--k", String.valueOf(k),
                "--parallelism", String.valueOf(parallelism),
                "--delivery-guarantee", guaranteeFlag(guarantee),
                "--checkpoint-interval", checkpointInterval.toMillis() + " ms",
                "--batch-max-size", String.valueOf(batchMaxSize),
                "--batch-max-delay", batchMaxDelay.toMillis() + " ms",
                "--network-buffer-timeout", networkBufferTimeout.toMillis() + " ms",
                "--transactional-id-prefix", "streamrec-loadtest-" + tag,
                // Below the embedded broker's transaction.max.timeout.ms.
                "--transaction-timeout", "5 min");
    }

    private static String guaranteeFlag(String g) {
        if (!g.equals("at-least-once") && !g.equals("exactly-once")) {
            throw new IllegalArgumentException("--guarantees takes at-least-once and/or exactly-once, not " + g);
        }
        return g;
    }

    private Map<String, Object> settings(Path modelDir) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", modelDir.toAbsolutePath().toString());
        m.put("hidden", hidden);
        m.put("epochs", epochs);
        m.put("eventsFile", eventsFile);
        m.put("durationSeconds", duration.toMillis() / 1000.0);
        m.put("warmupSeconds", warmup.toMillis() / 1000.0);
        m.put("parallelism", parallelism);
        m.put("partitions", partitions);
        m.put("checkpointIntervalMs", checkpointInterval.toMillis());
        m.put("batchMaxSize", batchMaxSize);
        m.put("batchMaxDelayMs", batchMaxDelay.toMillis());
        m.put("networkBufferTimeoutMs", networkBufferTimeout.toMillis());
        m.put("producerLingerMs", producerLinger.toMillis());
        m.put("k", k);
        m.put("interleave", interleave);
        return m;
    }

    private void printTable(List<StepResult> results) {
        say("================ load test summary ================");
        say("%-13s %-6s %9s %9s %9s %9s %6s %5s %6s %6s %6s %7s %8s %8s %6s %6s %7s",
                "guarantee", "rate", "sent", "answered", "send/s", "answer/s", "drain", "kept", "p50", "p95", "p99", "max",
                "emit-p99", "max-lag", "cores", "job", "RSS-MiB");
        for (StepResult r : results) {
            say("%-13s %-6s %,9d %,9d %,9.0f %,9.0f %6d %5s %6d %6d %6d %7d %8d %,8d %6.2f %6.2f %7.0f",
                    r.guarantee(), r.rate(), r.sent(), r.answered(), r.sendRate(), r.throughput(), r.drainMs(),
                    r.keptUp() ? "yes" : "NO", r.visibleP50Ms(), r.visibleP95Ms(), r.visibleP99Ms(), r.visibleMaxMs(),
                    r.emitP99Ms(), r.maxLag(), r.cores().get("total"), r.cores().get(ProcessSampler.FLINK_TASKS), r.peakRssMib());
        }
        say("latencies in ms from event creation to a read_committed consumer; emit-p99: to the operator's emit; drain: ms"
                + " from the last send to the last answer; cores: whole process (broker, Flink, replay, consumer), job: Flink"
                + " task threads only");
        for (StepResult r : results) {
            if (!r.everyEventAnswered()) {
                say("PROBLEM: %s %s: %,d of %,d events answered, %,d duplicates", r.guarantee(), r.rate(), r.answered(),
                        r.sent(), r.duplicates());
            }
        }
    }

    private static void writeCsv(List<StepResult> results, Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("guarantee,rate,sent,answered,duplicates,fallback,send_rate,throughput,drain_ms,kept_up,timed,p50_ms,p95_ms,"
                + "p99_ms,max_ms,emit_p99_ms,max_lag,cores_total,cores_flink_tasks,cores_replay,cores_consumer,cores_other_java,"
                + "cores_gc_jit_native,peak_rss_mib,load_avg_1m");
        for (StepResult r : results) {
            Map<String, Double> c = r.cores();
            lines.add(String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%d,%.1f,%.1f,%d,%s,%d,%d,%d,%d,%d,%d,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.1f,%.2f",
                    r.guarantee(), r.rate(), r.sent(), r.answered(), r.duplicates(), r.fallback(), r.sendRate(), r.throughput(),
                    r.drainMs(), r.keptUp(), r.timed(), r.visibleP50Ms(), r.visibleP95Ms(), r.visibleP99Ms(), r.visibleMaxMs(),
                    r.emitP99Ms(), r.maxLag(), c.get("total"), c.get(ProcessSampler.FLINK_TASKS), c.get(ProcessSampler.REPLAY),
                    c.get(ProcessSampler.ANSWERS), c.get(ProcessSampler.OTHER_JAVA), c.get(ProcessSampler.NON_JAVA),
                    r.peakRssMib(), r.loadAverage1m()));
        }
        Files.write(file, lines);
    }

    private static String machine() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException e) {
            // not Linux: keep "unknown CPU"
        }
        return String.format("%d cores (%s), Java %s, load average %s", Runtime.getRuntime().availableProcessors(), cpu,
                System.getProperty("java.version"), loadAverageLine());
    }

    private static String loadAverageLine() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "n/a";
        }
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(loadAverageLine().split("\\s+")[0]);
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private void say(String format, Object... args) {
        out.printf("[loadtest] " + format + "%n", args);
        out.flush();
    }

    /** Hands out the dataset's sessions round-robin, each step at least as many events as it may send. */
    static final class SessionCursor {
        private final List<Session> sessions;
        private int next;

        SessionCursor(List<Session> sessions) {
            if (sessions.isEmpty()) {
                throw new IllegalArgumentException("no sessions to replay");
            }
            this.sessions = sessions;
        }

        List<Session> next(long events) {
            List<Session> out = new ArrayList<>();
            long total = 0;
            java.util.Set<String> ids = new java.util.HashSet<>();
            while (total < events) {
                Session s = sessions.get(next);
                next = (next + 1) % sessions.size();
                if (!ids.add(s.sessionId())) {
                    // Wrapped within one step: a session id twice would give two events one id.
                    break;
                }
                out.add(s);
                total += s.length();
            }
            return out;
        }
    }
}
