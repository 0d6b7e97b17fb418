package org.streamrec.tools.loadtest;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.JobID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;
import org.streamrec.flink.kafka.Topics;
import org.streamrec.tools.replay.ClickEventFactory;
import org.streamrec.tools.flink.FlinkRest;
import org.streamrec.tools.ops.LocalOps;
import org.streamrec.flink.config.DurationConverter;
import org.streamrec.tools.replay.Pacer;
import org.streamrec.tools.replay.ReplayClock;
import org.streamrec.tools.replay.ReplaySummary;
import org.streamrec.tools.replay.ReplayTool;
import org.streamrec.tools.replay.Replayer;
import org.streamrec.tools.replay.SessionInterleaving;
import org.streamrec.tools.replay.Ticker;
import org.streamrec.tools.replay.TokenBucketPacer;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.flink.serving.RecommenderJob;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * End-to-end load test of the serving job: a Kafka broker, the real {@code RecommenderJob} with RocksDB state, a
 * GRU4Rec model over diginetica's items, and the replay tool ({@link Replayer}) at fixed rates and as fast as
 * possible, for at-least-once and exactly-once delivery and every combination of the swept settings (parallelism,
 * micro-batch size and time bound), each with a job of its own on fresh topics that first runs an unreported
 * warm-up step. Every event's time is its creation time, so the latency of an answer is the time from the event's
 * creation to the moment a {@code read_committed} consumer ({@link AnswerCollector}) got its recommendation; with
 * exactly-once that includes waiting for the checkpoint that commits it. After each step the harness waits until
 * every event is answered.
 *
 * <p>Two deployments ({@code --cluster}): {@code embedded}, everything in this JVM ({@link EmbeddedDeployment}:
 * {@code EmbeddedKafka} and a MiniCluster), where the CPU columns split this process by thread group; and
 * {@code local}, deploy/local's broker, JobManager and TaskManager in their own processes, the shaded job jar
 * submitted to them ({@link LocalClusterDeployment}), where this JVM only sends and reads and the CPU and RSS of
 * each process come from {@code /proc} ({@link StepMonitor}). Run by {@code deploy/loadtest.sh}.
 */
@Command(name = "loadtest", mixinStandardHelpOptions = true, sortOptions = false,
        description = "End-to-end load test: Kafka + the serving job on a Flink cluster (embedded or deploy/local) + replay at fixed rates.")
public final class LoadTest implements Callable<Integer> {

    static final String MAX = "max";

    /** Beyond two checkpoint intervals, how long a step waits after its drain for the group lag to reach 0. */
    static final Duration GROUP_LAG_SETTLE_LIMIT = Duration.ofSeconds(25);
    /** How long the operator's counters get to stop moving before a step reads them, and how often they are read. */
    static final Duration COUNTERS_SETTLE_LIMIT = Duration.ofSeconds(6);
    static final Duration COUNTERS_SETTLE_POLL = Duration.ofMillis(1_100);

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

    /** How long the warm-up's checkpoint requests may go on after its traffic, the job idle (about 20 ms each). */
    private static final Duration WARMUP_CHECKPOINTS_AFTER_TRAFFIC = Duration.ofSeconds(60);

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
        String machine = machine();
        say("loadtest: %s; started %s", machine, startedAt);
        Path modelDir = model != null ? model
                : LoadTestModel.prepare(trainPath, hidden, epochs, modelCache.resolve("diginetica-h" + hidden + "-e" + epochs),
                        line -> say("%s", line));
        List<Session> sessions = DatasetReaders.read(eventsPath).sortedByStartTime();
        say("replay source: %s, %,d sessions, %,d events (reused round-robin; each step has its own event and user ids)",
                eventsPath, sessions.size(), sessions.stream().mapToLong(Session::length).sum());

        List<JobSettings> jobs = jobs();
        int slots = jobs.stream().mapToInt(JobSettings::parallelism).max().orElseThrow();
        WarmupStep warm = WarmupStep.parse(warmupStep);
        List<StepResult> results = new ArrayList<>();
        SessionCursor cursor = new SessionCursor(sessions);
        try (Deployment deployment = deploy(slots, modelDir)) {
            try (Admin admin = LocalOps.admin(deployment.bootstrapServers())) {
                for (int i = 0; i < jobs.size(); i++) {
                    results.addAll(runJob(deployment, admin, modelDir, jobs.get(i), i + 1, warm, cursor));
                }
            }
        }
        Report report = new Report(startedAt, machine, settings(modelDir, slots), results);
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

    private Deployment deploy(int slots, Path modelDir) throws Exception {
        if (clusterMode.equals("embedded")) {
            return new EmbeddedDeployment(slots, jobArgs("127.0.0.1:9092", modelDir, jobs().get(0), 0), flinkConf);
        }
        Path repo = repoDir != null ? repoDir : defaultRepoDir();
        String envRunDir = System.getenv("STREAMREC_RUN_DIR");
        Path run = runDir != null ? runDir
                : envRunDir != null && !envRunDir.isBlank() ? Path.of(envRunDir) : repo.resolve("deploy/local/run/loadtest");
        say("local cluster: deploy/local/up.sh --no-jobs --free-ports with TM_SLOTS=%d, run directory %s", slots, run);
        LocalClusterDeployment d = LocalClusterDeployment.start(repo, run.toAbsolutePath(), slots, partitions, line -> say("%s", line));
        say("local cluster up: Kafka %s, Flink %s, processes %s", d.bootstrapServers(), d.webUi(), d.processes());
        return d;
    }

    static Path defaultRepoDir() {
        Path cwd = Path.of("").toAbsolutePath();
        return Files.isRegularFile(cwd.resolve("deploy/local/up.sh")) ? cwd : cwd.getParent();
    }

    private List<StepResult> runJob(Deployment deployment, Admin admin, Path modelDir, JobSettings settings, int index,
                                    WarmupStep warm, SessionCursor cursor) throws Exception {
        String tag = jobTag(settings.guarantee(), index);
        List<String> args = jobArgs(deployment.bootstrapServers(), modelDir, settings, index);
        RecommenderConfig config = RecommenderConfig.parse(args.toArray(String[]::new));
        deployment.createTopic(config.eventsTopic(), partitions, Map.of());
        deployment.createTopic(config.recommendationsTopic(), partitions, Map.of());
        deployment.createTopic(config.dlqTopic(), 1, Map.of());
        Deployment.Job job = deployment.submitServingJob(args, "streamrec-recommender (loadtest " + tag + ")");
        List<StepResult> results = new ArrayList<>();
        try {
            if (!job.awaitAllTasksRunning(Duration.ofSeconds(180))) {
                throw new IllegalStateException("the serving job's tasks did not all reach RUNNING: " + job.status());
            }
            say("%s: serving job %s running (%s), checkpoints every %d ms, web UI %s", tag, job.id(), settings,
                    checkpointInterval.toMillis(), deployment.webUi());
            Map<String, Object> producerSettings = new LinkedHashMap<>(ReplayTool.producerConfig(deployment.bootstrapServers(), Map.of()));
            producerSettings.put(ProducerConfig.CLIENT_ID_CONFIG, "streamrec-loadtest-replay");
            producerSettings.put(ProducerConfig.LINGER_MS_CONFIG, (int) producerLinger.toMillis());
            StepMonitor.GroupLag lag = new StepMonitor.GroupLag(admin, config.groupId(), config.eventsTopic());
            try (FlinkRest rest = new FlinkRest(deployment.webUi());
                 AnswerCollector answers = new AnswerCollector(deployment.bootstrapServers(), config.recommendationsTopic());
                 KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerSettings)) {
                answers.start();
                StepContext context = new StepContext(deployment, job, rest, settings, tag,
                        config.eventsTopic(), producer, answers, lag, cursor);
                if (warm != null) {
                    StepResult w;
                    int checkpointsInTraffic;
                    int checkpointsDone;
                    try (CheckpointWarmer warmer = CheckpointWarmer.start(context.rest(), JobID.fromHexString(job.id()), warmupCheckpoints,
                            line -> say("%s: %s", tag, line))) {
                        w = runStep(context, warm.rate(), warm.duration(), "warmup");
                        checkpointsInTraffic = warmer.completed();
                        checkpointsDone = warmer.finish(WARMUP_CHECKPOINTS_AFTER_TRAFFIC);
                    }
                    say("%s: warm-up step (not reported): %s events/s for %d s, sent %,d, answered %,d, p99 %d ms, "
                                    + "%d of %d requested checkpoints (%d during its traffic)", tag, w.rate(),
                            warm.duration().toSeconds(), w.sent(), w.answered(), w.visibleP99Ms(), checkpointsDone,
                            warmupCheckpoints, checkpointsInTraffic);
                    checkConsumer(answers);
                }
                for (String rate : rates) {
                    results.add(runStep(context, rate, duration, null));
                    checkConsumer(answers);
                }
            }
        } finally {
            job.cancel(Duration.ofSeconds(60));
        }
        return results;
    }

    private static void checkConsumer(AnswerCollector answers) {
        if (answers.failure() != null) {
            throw new IllegalStateException("the answer consumer failed", answers.failure());
        }
    }

    /** What every step of one job shares. */
    private record StepContext(Deployment deployment, Deployment.Job job, FlinkRest rest, JobSettings settings, String tag, String topic,
                               KafkaProducer<byte[], byte[]> producer, AnswerCollector answers, StepMonitor.GroupLag lag,
                               SessionCursor cursor) {
    }

    /** One step at {@code rate} for {@code duration}; {@code label} names an unreported step (the warm-up). */
    private StepResult runStep(StepContext c, String rate, Duration duration, String label) throws Exception {
        String guarantee = c.settings().guarantee();
        AnswerCollector answers = c.answers();
        boolean unpaced = rate.equalsIgnoreCase(MAX);
        double target = unpaced ? 0 : Double.parseDouble(rate);
        long limit = unpaced ? maxEvents : Math.round(target * duration.toMillis() / 1000.0);
        String prefix = c.tag() + "-" + (label != null ? label : unpaced ? MAX : rate.replace(".", "_"));
        List<Session> stepSessions = SessionInterleaving.interleaved(c.cursor().next(limit), interleave);
        answers.reserve((int) Math.min(limit, stepSessions.stream().mapToLong(Session::length).sum()));
        // Start the step from a collected heap, while no events flow: otherwise the step's sessions (about 12 MB for
        // 300,000 events) and what the warm-up left alive would be copied between survivor spaces by every young
        // collection of the step, and in embedded mode those pauses stop the job too (the GC age table of a 60 s step:
        // 40 MB of survivors, 45 ms pauses; BENCHMARKS.md, "Garbage collection in the load test's JVM").
        System.gc();

        // Read before the step's clock starts: it waits for the counters to settle (a second or more).
        Map<Integer, Map<String, Double>> countersAtStart = label != null ? null : operatorCounters(c);
        ProcessSampler sampler = new ProcessSampler();
        long startMillis = System.currentTimeMillis();
        answers.begin(prefix + "-", startMillis + warmup.toMillis());
        AtomicLong sent = new AtomicLong();
        Pacer pacer = unpaced ? Pacer.unpaced() : new TokenBucketPacer(target, TokenBucketPacer.defaultBurst(target), Ticker.SYSTEM);
        Replayer replayer = new Replayer(c.producer(), c.topic(), new ClickEventFactory(prefix, ReplayClock.wallClock()),
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
        if (label == null) {
            say("%s %s: sending %s for %d s ...", guarantee, prefix, unpaced ? "as fast as possible" : rate + " events/s",
                    duration.toSeconds());
        }
        ProcessSampler.Mark begin = sampler.mark();
        StepMonitor monitor = new StepMonitor(c.deployment().processes(), c.lag()::current).start();
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
            monitor.close();
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
            if (c.job().ended()) {
                monitor.close();
                throw new IllegalStateException("the serving job ended: " + c.job().status());
            }
            Thread.sleep(50);
        }
        // A moment more for duplicates that would follow the last answer.
        Thread.sleep(200);
        ProcessSampler.Mark end = sampler.mark();
        long endMillis = System.currentTimeMillis();
        monitor.stop();
        // Not for the warm-up: its offsets get committed as soon as the next step's traffic wakes the source up.
        long[] settled = label != null ? new long[] {c.lag().current(), -1} : awaitGroupLagZero(c.lag());
        CheckpointSummary checkpoints = label != null ? CheckpointSummary.NONE : checkpointsBetween(c, startMillis, endMillis);
        ScoringSummary scoring = ScoringSummary.UNKNOWN;
        if (countersAtStart != null) {
            Map<Integer, Map<String, Double>> countersAtEnd = operatorCounters(c);
            if (!countersAtStart.isEmpty() && !countersAtEnd.isEmpty()) {
                scoring = ScoringSummary.between(countersAtStart, countersAtEnd);
            }
        }
        AnswerCollector.Tally t = answers.tally();
        double sendSeconds = s.elapsedNanos() / 1e9;
        if (label == null && latencySeriesFile != null) {
            appendLatencySeries(latencySeriesFile, guarantee + " " + prefix, t, startMillis);
        }
        long[] visible = t.visibleLatencies();
        Arrays.sort(visible);
        long[] emit = t.emitLatencies();
        Arrays.sort(emit);
        long drainMs = t.lastAnswerMillis() == 0 ? -1 : Math.max(0, t.lastAnswerMillis() - sendEndMillis);
        double throughput = t.lastAnswerMillis() == 0 ? 0 : t.answered() * 1000.0 / Math.max(1, t.lastAnswerMillis() - startMillis);
        // Kept up: the answers trail the sends by no more than what the guarantee itself adds (a checkpoint for EOS).
        long allowedDrain = 1000 + (guarantee.equals("exactly-once") ? 2 * checkpointInterval.toMillis() : 0);
        JobSettings js = c.settings();
        StepResult r = new StepResult(startMillis, guarantee, js.parallelism(), js.batchMaxSize(), js.batchMaxDelay().toMillis(),
                unpaced ? MAX : rate, target, s.eventsSent(), t.answered(), t.duplicates(),
                t.fallback(), sendSeconds, s.eventsSent() / Math.max(1e-9, sendSeconds), throughput, drainMs,
                t.answered() == s.eventsSent() && drainMs >= 0 && drainMs <= allowedDrain,
                visible.length, percentile(visible, 0.50), percentile(visible, 0.95), percentile(visible, 0.99),
                visible.length == 0 ? -1 : visible[visible.length - 1], percentile(emit, 0.99), maxLag, monitor.maxLag(),
                settled[0], settled[1], checkpoints, scoring, peakRss, ProcessSampler.coresBetween(begin, end), monitor.usage(),
                loadAverage());
        if (label != null) {
            return r;
        }
        say("%s %s: sent %,d (%.0f/s), answered %,d (%,d duplicates), throughput %.0f/s, drain %d ms, latency p50/p95/p99/max "
                        + "%d/%d/%d/%d ms (emit p99 %d ms), in flight max %,d, group lag max %,d end %,d (0 after %d ms), "
                        + "%d checkpoints (longest synchronous part %d ms, alignment %d ms, end to end %d ms), %,d batches of "
                        + "%.1f rows on average, %.2f%% of item scores computed in full, CPU %.2f cores, RSS %.0f MiB; "
                        + "processes %s", guarantee, prefix,
                r.sent(), r.sendRate(), r.answered(), r.duplicates(), r.throughput(), r.drainMs(), r.visibleP50Ms(),
                r.visibleP95Ms(), r.visibleP99Ms(), r.visibleMaxMs(), r.emitP99Ms(), r.maxLag(), r.maxGroupLag(), r.finalGroupLag(),
                r.groupLagZeroMs(), checkpoints.count(), checkpoints.maxSyncMs(), checkpoints.maxAlignmentMs(),
                checkpoints.maxEndToEndMs(), scoring.batches(), scoring.meanBatchRows(),
                100 * scoring.itemsScoredInFullShare(), r.cores().get("total"), r.peakRssMib(), formatProcesses(r.processes()));
        return r;
    }

    /**
     * The checkpoints the job completed that were triggered during the step (from its start to the end of the drain),
     * from Flink's REST API; {@link CheckpointSummary#UNKNOWN} when it cannot be read.
     */
    private CheckpointSummary checkpointsBetween(StepContext c, long fromMillis, long toMillis) {
        try {
            List<FlinkRest.CheckpointStat> inStep = c.rest().completedCheckpoints(JobID.fromHexString(c.job().id()),
                    CheckpointSummary.triggeredBetween(fromMillis, toMillis));
            return CheckpointSummary.of(inStep, fromMillis, toMillis);
        } catch (Exception e) {
            say("could not read the checkpoint statistics of job %s: %s", c.job().id(), e);
            return CheckpointSummary.UNKNOWN;
        }
    }

    /**
     * The serving operator's {@link ScoringSummary#COUNTERS} per subtask once they have stopped moving (the job is idle
     * between steps, and the REST API serves values it fetched up to {@code metrics.fetcher.update-interval} ago, 1 s
     * on the embedded cluster and on deploy/local's); empty when they cannot be read.
     */
    private Map<Integer, Map<String, Double>> operatorCounters(StepContext c) {
        try {
            JobID job = JobID.fromHexString(c.job().id());
            Map<Integer, Map<String, Double>> last = c.rest().operatorMetrics(job, RecommenderJob.SERVING_OPERATOR, ScoringSummary.COUNTERS);
            long deadline = System.nanoTime() + COUNTERS_SETTLE_LIMIT.toNanos();
            while (System.nanoTime() < deadline) {
                Thread.sleep(COUNTERS_SETTLE_POLL.toMillis());
                Map<Integer, Map<String, Double>> now = c.rest().operatorMetrics(job, RecommenderJob.SERVING_OPERATOR, ScoringSummary.COUNTERS);
                if (now.equals(last)) {
                    return now;
                }
                last = now;
            }
            return last;
        } catch (Exception e) {
            say("could not read the serving operator's counters of job %s: %s", c.job().id(), e);
            return Map.of();
        }
    }

    /** One CSV line per second of event creation: step, second from the step's start, count, p50, p99, max, emit p99. */
    static List<String> latencySeries(String step, long[] created, long[] visible, long[] emit, long startMillis) {
        java.util.TreeMap<Long, List<long[]>> bySecond = new java.util.TreeMap<>();
        for (int i = 0; i < created.length; i++) {
            bySecond.computeIfAbsent((created[i] - startMillis) / 1000, x -> new ArrayList<>()).add(new long[] {visible[i], emit[i]});
        }
        List<String> lines = new ArrayList<>();
        for (var e : bySecond.entrySet()) {
            long[] v = e.getValue().stream().mapToLong(a -> a[0]).sorted().toArray();
            long[] m = e.getValue().stream().mapToLong(a -> a[1]).sorted().toArray();
            lines.add(String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%d,%d", step, e.getKey(), v.length, percentile(v, 0.5),
                    percentile(v, 0.99), v[v.length - 1], percentile(m, 0.99)));
        }
        return lines;
    }

    private static void appendLatencySeries(Path file, String step, AnswerCollector.Tally t, long startMillis) throws IOException {
        List<String> lines = new ArrayList<>();
        if (!Files.exists(file)) {
            lines.add("step,second,answers,p50_ms,p99_ms,max_ms,emit_p99_ms");
        }
        lines.addAll(latencySeries(step, t.createdMillis(), t.visibleLatencies(), t.emitLatencies(), startMillis));
        Files.write(file, lines, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return -1;
        }
        return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
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

    private static String jobTag(String guarantee, int index) {
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

    /**
     * How long an operator's view of the lag trails the answers: after the drain, the group's lag is read until it is
     * 0, for at most two checkpoint intervals plus {@link #GROUP_LAG_SETTLE_LIMIT}. The source commits offsets when a
     * checkpoint completes, but flink-connector-kafka 5.0 runs the commit on its fetcher thread after the current
     * {@code poll} returns, and an idle source polls for up to 10 s, so once the traffic stops the committed offsets
     * can trail by that much. Returns {lag when done, ms it took or -1 if it did not reach 0}.
     */
    private long[] awaitGroupLagZero(StepMonitor.GroupLag lag) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + 2 * checkpointInterval.toNanos() + GROUP_LAG_SETTLE_LIMIT.toNanos();
        long value = lag.current();
        while (value != 0 && System.nanoTime() < deadline) {
            Thread.sleep(StepMonitor.SAMPLE_MILLIS);
            value = lag.current();
        }
        return new long[] {value, value == 0 ? (System.nanoTime() - start) / 1_000_000 : -1};
    }

    static String formatProcesses(Map<String, ProcessUsage> processes) {
        StringBuilder b = new StringBuilder();
        processes.forEach((name, u) -> b.append(b.length() == 0 ? "" : ", ")
                .append(String.format(Locale.ROOT, "%s %.2f cores %.0f MiB", name, u.cores(), u.peakRssMib())));
        return b.toString();
    }

    private static String guaranteeFlag(String g) {
        if (!g.equals("at-least-once") && !g.equals("exactly-once")) {
            throw new IllegalArgumentException("--guarantees takes at-least-once and/or exactly-once, not " + g);
        }
        return g;
    }

    private Map<String, Object> settings(Path modelDir, int slots) {
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

    /** Process roles in table order: those of the standalone cluster, then this JVM. */
    static final List<String> PROCESS_ORDER = List.of("broker", "jobmanager", "taskmanager", "harness");

    private static String formatOrDash(double value, String format) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, format, value);
    }

    private static List<String> processNames(List<StepResult> results) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        results.forEach(r -> seen.addAll(r.processes().keySet()));
        return PROCESS_ORDER.stream().filter(seen::contains).toList();
    }

    private void printTable(List<StepResult> results) {
        List<String> procs = processNames(results);
        say("================ load test summary ================");
        StringBuilder head = new StringBuilder(String.format("%-13s %2s %5s %5s %-6s %9s %9s %9s %9s %6s %5s %6s %6s %6s %7s %8s %9s %9s %8s %7s %5s %7s %8s %5s %6s %6s",
                "guarantee", "p", "batch", "delay", "rate", "sent", "answered", "send/s", "answer/s", "drain", "kept", "p50", "p95",
                "p99", "max", "emit-p99", "in-flight", "lag-max", "lag-end", "lag0-ms", "ckpts", "sync-ms", "align-ms", "rows", "full%", "job"));
        for (String name : procs) {
            head.append(String.format(" %14s", name));
        }
        say("%s", head);
        for (StepResult r : results) {
            StringBuilder row = new StringBuilder(String.format("%-13s %2d %5d %5d %-6s %,9d %,9d %,9.0f %,9.0f %6d %5s %6d %6d %6d %7d %8d %,9d %,9d %,8d %7d %5d %7d %8d %5s %6s %6s",
                    r.guarantee(), r.parallelism(), r.batchMaxSize(), r.batchMaxDelayMs(), r.rate(), r.sent(), r.answered(),
                    r.sendRate(), r.throughput(), r.drainMs(), r.keptUp() ? "yes" : "NO", r.visibleP50Ms(), r.visibleP95Ms(),
                    r.visibleP99Ms(), r.visibleMaxMs(), r.emitP99Ms(), r.maxLag(), r.maxGroupLag(), r.finalGroupLag(),
                    r.groupLagZeroMs(), r.checkpoints().count(), r.checkpoints().maxSyncMs(), r.checkpoints().maxAlignmentMs(),
                    formatOrDash(r.scoring().meanBatchRows(), "%.1f"),
                    formatOrDash(100 * r.scoring().itemsScoredInFullShare(), "%.2f"), clusterMode.equals("embedded") ? String.format("%.2f", r.cores().get(ProcessSampler.FLINK_TASKS)) : "-"));
            for (String name : procs) {
                ProcessUsage u = r.processes().get(name);
                row.append(u == null ? String.format(" %14s", "-") : String.format(Locale.ROOT, " %6.2f c %5.0f M", u.cores(), u.peakRssMib()));
            }
            say("%s", row);
        }
        say("latencies in ms from event creation to a read_committed consumer; emit-p99: to the operator's emit; drain: ms"
                + " from the last send to the last answer; in-flight: most events sent but not answered; lag-max/lag-end:"
                + " the job's consumer-group lag on the events topic (moves only when a checkpoint commits offsets), largest"
                + " during the step and after the drain; lag0-ms: ms after the drain until that lag read 0 (-1: not within"
                + " two checkpoints + " + GROUP_LAG_SETTLE_LIMIT.toSeconds() + " s); ckpts: checkpoints triggered during the step;"
                + " sync-ms/align-ms: their longest synchronous part (the task stops processing records; with RocksDB it"
                + " waits for the memtable flush) and barrier alignment, from Flink's REST API (-1: none); rows: mean rows"
                + " per scoring micro-batch; full%%: share of the item scores computed in full (the exact pruning); job: cores of the Flink task threads in this JVM (embedded mode"
                + " only); per process: average cores (c) and peak RSS in MiB (M) during the step%s",
                clusterMode.equals("embedded") ? " (embedded: the harness process holds broker, Flink, replay and consumer)" : "");
        for (StepResult r : results) {
            if (!r.everyEventAnswered()) {
                say("PROBLEM: %s %s: %,d of %,d events answered, %,d duplicates", r.guarantee(), r.rate(), r.answered(),
                        r.sent(), r.duplicates());
            }
        }
    }

    private static void writeCsv(List<StepResult> results, Path file) throws IOException {
        List<String> procs = processNames(results);
        StringBuilder header = new StringBuilder("guarantee,parallelism,batch_max_size,batch_max_delay_ms,rate,sent,answered,"
                + "duplicates,fallback,send_rate,throughput,drain_ms,kept_up,timed,p50_ms,p95_ms,p99_ms,max_ms,emit_p99_ms,"
                + "max_in_flight,max_group_lag,final_group_lag,group_lag_zero_ms,checkpoints,checkpoint_sync_max_ms,"
                + "checkpoint_alignment_max_ms,checkpoint_end_to_end_max_ms,cores_total,cores_flink_tasks,cores_replay,cores_consumer,"
                + "cores_other_java,cores_gc_jit_native,peak_rss_mib,load_avg_1m,scoring_batches,mean_batch_rows,"
                + "items_scored_in_full_share,started_at_epoch_ms");
        for (String name : procs) {
            header.append(",cores_").append(name).append(",peak_rss_mib_").append(name);
        }
        List<String> lines = new ArrayList<>();
        lines.add(header.toString());
        for (StepResult r : results) {
            Map<String, Double> c = r.cores();
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                    "%s,%d,%d,%d,%s,%d,%d,%d,%d,%.1f,%.1f,%d,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.1f,%.2f,%d,%.2f,%.5f,%d",
                    r.guarantee(), r.parallelism(), r.batchMaxSize(), r.batchMaxDelayMs(), r.rate(), r.sent(), r.answered(),
                    r.duplicates(), r.fallback(), r.sendRate(), r.throughput(), r.drainMs(), r.keptUp(), r.timed(),
                    r.visibleP50Ms(), r.visibleP95Ms(), r.visibleP99Ms(), r.visibleMaxMs(), r.emitP99Ms(), r.maxLag(),
                    r.maxGroupLag(), r.finalGroupLag(), r.groupLagZeroMs(), r.checkpoints().count(),
                    r.checkpoints().maxSyncMs(), r.checkpoints().maxAlignmentMs(), r.checkpoints().maxEndToEndMs(), c.get("total"), c.get(ProcessSampler.FLINK_TASKS),
                    c.get(ProcessSampler.REPLAY), c.get(ProcessSampler.ANSWERS), c.get(ProcessSampler.OTHER_JAVA),
                    c.get(ProcessSampler.NON_JAVA), r.peakRssMib(), r.loadAverage1m(), r.scoring().batches(),
                    r.scoring().meanBatchRows(), r.scoring().itemsScoredInFullShare(), r.startedAtEpochMs()));
            for (String name : procs) {
                ProcessUsage u = r.processes().get(name);
                line.append(u == null ? ",," : String.format(Locale.ROOT, ",%.3f,%.1f", u.cores(), u.peakRssMib()));
            }
            lines.add(line.toString());
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
