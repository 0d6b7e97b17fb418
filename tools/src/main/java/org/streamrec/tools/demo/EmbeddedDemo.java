package org.streamrec.tools.demo;

import static org.streamrec.flink.kafka.Topics.DLQ;
import static org.streamrec.flink.kafka.Topics.EVENTS;
import static org.streamrec.flink.kafka.Topics.MODEL_UPDATES;
import static org.streamrec.flink.kafka.Topics.RECOMMENDATIONS;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;
import org.streamrec.tools.flink.FlinkRest;
import org.streamrec.tools.dashboard.Dashboard;
import org.streamrec.tools.kafka.EmbeddedKafka;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.flink.serving.RecommenderJob;
import org.streamrec.tools.replay.ClickEventFactory;
import org.streamrec.flink.config.DurationConverter;
import org.streamrec.tools.replay.Pacer;
import org.streamrec.tools.replay.ReplayClock;
import org.streamrec.tools.replay.ReplaySummary;
import org.streamrec.tools.replay.ReplayTool;
import org.streamrec.tools.replay.Replayer;
import org.streamrec.tools.replay.SessionEvent;
import org.streamrec.tools.replay.Ticker;
import org.streamrec.tools.replay.TokenBucketPacer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole pipeline in one JVM, on embedded defaults: a Kafka broker, the four topics, a bootstrap GRU4Rec model
 * trained on the first part of the data, the serving job and the trainer job ({@link TrainerRun}) on a local Flink
 * cluster with its web UI, a replay of the rest (the rsc15-100k test events, with a few malformed records for the
 * dead-letter path) while the trainer publishes versions that the serving job swaps in, progress, sample
 * recommendations and a summary; then everything stops and the process exits by itself (0 when the run met its
 * expectations).
 *
 * <p>Stages that cannot run are skipped and named as skipped in the output and the summary; the demo never
 * pretends. Run by {@code deploy/demo.sh}; {@link #run()} is the same thing in-process, for tests.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Embedded end-to-end demo: Kafka + Flink serving and trainer jobs + replay of rsc15-100k test events.")
public final class EmbeddedDemo implements Callable<Integer> {

    private static final int SAMPLE_MIN_EVENTS = 5;
    private static final Duration JOB_METRICS_WAIT = Duration.ofSeconds(10);
    private static final int SAMPLE_MAX_EVENTS = 10;

    @Option(names = "--data-dir", description = "Shared data folder (default: -Dstreamrec.data.dir, else ../shared/data).")
    Path dataDir;

    @Option(names = "--events-file", defaultValue = "rsc15-100k/yoochoose-clicks-100k_test.txt",
            description = "Events to replay, relative to --data-dir (default: ${DEFAULT-VALUE}).")
    String eventsFile;

    @Option(names = "--train-file", defaultValue = "rsc15-100k/yoochoose-clicks-100k_train_full.txt",
            description = "Training sessions of the bootstrap model, relative to --data-dir (default: ${DEFAULT-VALUE}).")
    String trainFile;

    @Option(names = "--model", description = "Snapshot directory of a model to serve instead of training one.")
    Path model;

    @Option(names = "--keep-model", description = "Keep the trained snapshot (its path is printed) instead of deleting it at the end.")
    boolean keepModel;

    @Option(names = "--epochs", defaultValue = "5", description = "Bootstrap training epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--hidden", defaultValue = "100", description = "GRU hidden size of the bootstrap model (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--trainer", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run the trainer job next to the serving job: it trains the bootstrap model on the replayed events"
                    + " and publishes versions that the serving job swaps in; --no-trainer serves the bootstrap model frozen"
                    + " (default: ${DEFAULT-VALUE}).")
    boolean trainer;

    @Option(names = "--publish-every", defaultValue = "5s", converter = DurationConverter.class,
            description = "Trainer: checkpoint and publish a new version this often while events arrive (default: ${DEFAULT-VALUE}).")
    Duration publishEvery;

    @Option(names = "--sessions", description = "Replay only the first N test sessions (by start time).")
    Integer sessions;

    @Option(names = "--limit", description = "Replay at most this many events.")
    Long limit;

    @Option(names = "--rate", defaultValue = "1000",
            description = "Replay rate in events/s; 0 = as fast as possible (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--malformed", defaultValue = "10", description = "Malformed records to inject (default: ${DEFAULT-VALUE}).")
    int malformed;

    @Option(names = "--partitions", defaultValue = "2", description = "Partitions of the events and recommendations topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--parallelism", defaultValue = "2", description = "Serving job parallelism = task slots (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--web-ui-port", defaultValue = "8081",
            description = "Preferred Flink web UI port on 127.0.0.1; a free one is used if it is taken (default: ${DEFAULT-VALUE}).")
    int webUiPort;

    @Option(names = "--checkpoint-interval", defaultValue = "2s", converter = DurationConverter.class,
            description = "Serving job checkpoint interval: exactly-once output becomes visible at this pace (default: ${DEFAULT-VALUE}).")
    Duration checkpointInterval;

    @Option(names = "--drain-timeout", defaultValue = "60s", converter = DurationConverter.class,
            description = "After the replay, how long to wait without new output before giving up (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = "--progress-interval", defaultValue = "2s", converter = DurationConverter.class,
            description = "How often to print progress (default: ${DEFAULT-VALUE}).")
    Duration progressInterval;

    @Option(names = "--samples", defaultValue = "3", description = "Users whose latest recommendations are shown (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--dashboard", description = "Also start the live dashboard (org.streamrec.tools.dashboard.Dashboard) next to the pipeline; its URL is printed.")
    boolean dashboard;

    @Option(names = "--dashboard-port", defaultValue = "8090",
            description = "Preferred dashboard port on 127.0.0.1; a free one is used if it is taken (default: ${DEFAULT-VALUE}).")
    int dashboardPort;

    @Option(names = "--dashboard-linger", defaultValue = "0s", converter = DurationConverter.class,
            description = "With --dashboard: keep the job and the dashboard up this long after the output is in, to look at it (default: ${DEFAULT-VALUE}).")
    Duration dashboardLinger;

    @Option(names = "-k", defaultValue = "20", description = "Recommendations per event, and the cut-off of HR@k/MRR@k (default: ${DEFAULT-VALUE}).")
    int k;

    private PrintWriter out = new PrintWriter(System.out, true);
    private Path trainedModelDir;
    private String modelDescription = "none";
    private String jobMetricsLine;
    private long startNanos;
    private Dashboard liveDashboard;
    private TrainerRun trainerRun;
    private ModelUpdatesMonitor modelUpdates;
    private long replayEndMillis;

    public static void main(String[] args) {
        // The demo talks on stdout itself; broker and Flink internals log only warnings (see log4j2-demo.properties).
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:log4j2-demo.properties");
        }
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new EmbeddedDemo());
    }

    /** A demo whose messages go to {@code out}; options as parsed by {@link #commandLine()}. */
    public static EmbeddedDemo parse(PrintWriter out, String... args) {
        CommandLine cli = commandLine();
        cli.parseArgs(args);
        EmbeddedDemo demo = cli.getCommand();
        demo.out = out;
        return demo;
    }

    @Override
    public Integer call() throws Exception {
        return run().exitCode();
    }

    public DemoReport run() throws Exception {
        startNanos = System.nanoTime();
        List<String> skipped = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        say("streamrec embedded demo: Kafka -> Flink serving job -> Kafka, on one machine");

        Path data = dataDir != null ? dataDir
                : Path.of(System.getProperty("streamrec.data.dir", Path.of("..", "shared", "data").toString()));
        Path events = data.resolve(eventsFile);
        if (!Files.isRegularFile(events)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "the events file " + events.toAbsolutePath()
                    + " does not exist; point --data-dir at the shared data folder");
        }
        SessionDataset testData = DatasetReaders.read(events);
        List<Session> slice = ReplayTool.slice(testData, 0, sessions);
        ClickEventFactory factory = new ClickEventFactory(ReplayTool.datasetNameOf(events), ReplayClock.epochMillis());
        ReplayPlan plan = ReplayPlan.of(slice, limit == null ? Long.MAX_VALUE : limit, factory);
        say("replay plan: %,d events of %,d sessions from %s (+%d malformed records), %s",
                plan.size(), slice.size(), events, malformed, rate > 0 ? String.format("%,.0f events/s", rate) : "as fast as possible");

        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            say("Kafka broker up at %s (KRaft, in this JVM)", kafka.bootstrapServers());
            kafka.createTopic(EVENTS, partitions);
            kafka.createTopic(RECOMMENDATIONS, partitions);
            kafka.createTopic(DLQ, 1);
            kafka.createTopic(MODEL_UPDATES, 1, Map.of("cleanup.policy", "compact"));
            say("topics: %s (%d partitions), %s (%d), %s (1), %s (1, compacted)",
                    EVENTS, partitions, RECOMMENDATIONS, partitions, DLQ, MODEL_UPDATES);

            String modelUri = prepareModel(data, skipped);
            ServingRun serving = startServing(kafka, modelUri, skipped);
            try {
                startDashboard(kafka, serving);
                if (serving != null && trainer) {
                    startTrainer(kafka, serving, modelUri);
                }
                return replayAndReport(kafka, plan, factory, slice, serving, skipped, problems);
            } finally {
                if (liveDashboard != null) {
                    liveDashboard.close();
                }
                if (serving != null) {
                    stopServing(serving);
                }
            }
        } finally {
            say("stopped: broker and data directory removed");
            if (trainedModelDir != null) {
                if (keepModel) {
                    say("the trained model stays in %s (serve it again with --model %s)", trainedModelDir,
                            trainedModelDir.resolve("model-v1"));
                } else {
                    deleteRecursively(trainedModelDir);
                }
            }
        }
    }

    /** Replays, waits for the job's answers, checks them, prints samples and the summary. */
    private DemoReport replayAndReport(EmbeddedKafka kafka, ReplayPlan plan, ClickEventFactory factory, List<Session> slice,
                                       ServingRun serving, List<String> skipped, List<String> problems) throws Exception {
        List<String> sampleUsers = sampleUsers(plan, factory);
        DemoReport.Training training = null;
        try (OutputMonitor monitor = new OutputMonitor(kafka.bootstrapServers(), RECOMMENDATIONS, DLQ, plan, k,
                Set.copyOf(sampleUsers))) {
            monitor.start();
            ReplaySummary replay = replay(kafka, factory, slice, serving, monitor);
            if (!replay.complete()) {
                problems.add("the replay did not complete: " + replay.describe());
            }
            Map<String, Long> topicCheck = EventsTopicCheck.classify(kafka.bootstrapServers(), EVENTS, Duration.ofSeconds(60));
            say("events topic read back: %s", topicCheck);
            checkEventsTopic(topicCheck, plan.size(), problems);

            OutputMonitor.Tally tally = null;
            if (serving != null) {
                tally = drain(monitor, serving, plan.size());
                jobMetricsLine = jobMetrics(serving, plan.size());
                say("job metrics (REST API): %s", jobMetricsLine);
                printSamples(plan, factory, sampleUsers, monitor);
                checkOutput(tally, plan.size(), problems);
                if (monitor.failure() != null) {
                    problems.add("the output monitor failed: " + monitor.failure());
                }
                training = training(monitor, plan.size(), problems);
                lingerForDashboard();
                stopServing(serving);
            }
            DemoReport report = new DemoReport(plan.size(), malformed, modelDescription, replay, topicCheck, serving != null,
                    tally, serving != null ? serving.cluster.webUi() : null, List.copyOf(skipped), List.copyOf(problems),
                    training);
            printSummary(report);
            return report;
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The model the serving job starts with, as a URI, or null (with the reason in {@code skipped}). */
    private String prepareModel(Path data, List<String> skipped) throws IOException {
        if (model != null) {
            if (!Files.isDirectory(model)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--model " + model + " is not a directory");
            }
            modelDescription = "snapshot given with --model: " + model.toAbsolutePath();
            say("model: serving the %s", modelDescription);
            return model.toAbsolutePath().toUri().toString();
        }
        Path trainPath = data.resolve(trainFile);
        if (!Files.isRegularFile(trainPath)) {
            skip(skipped, "bootstrap GRU4Rec training: the training file " + trainPath.toAbsolutePath() + " does not exist");
            return null;
        }
        trainedModelDir = Files.createTempDirectory("streamrec-demo-model-");
        Path snapshot = trainedModelDir.resolve("model-v1");
        BootstrapModel.Trained trained = BootstrapModel.train(trainPath, hidden, epochs, snapshot, line -> say("%s", line));
        modelDescription = String.format("GRU4Rec v%d trained here: hidden %d, %d epoch(s), %,d items, %.1f s, final loss %.4f",
                trained.version(), hidden, epochs, trained.items(), trained.seconds(),
                trained.epochLosses().length == 0 ? Double.NaN : trained.epochLosses()[trained.epochLosses().length - 1]);
        say("model: %s, snapshot %s", modelDescription, snapshot);
        return snapshot.toUri().toString();
    }

    /** A serving job running on a local cluster, with its scratch directory (RocksDB, checkpoints). */
    private record ServingRun(LocalFlinkCluster cluster, JobID job, Path flinkDir) {
    }

    private ServingRun startServing(EmbeddedKafka kafka, String modelUri, List<String> skipped) throws Exception {
        if (modelUri == null) {
            skip(skipped, "serving job on a local Flink cluster with web UI: there is no model to serve; no recommendations,"
                    + " dead letters or online HR@" + k + "/MRR@" + k + " this run");
            return null;
        }
        RecommenderConfig config = RecommenderConfig.parse(
                "--bootstrap-servers", kafka.bootstrapServers(),
                "--events-topic", EVENTS, "--recommendations-topic", RECOMMENDATIONS, "--dlq-topic", DLQ,
                "--model-updates-topic", MODEL_UPDATES,
                "--model-uri", modelUri,
                "--k", String.valueOf(k),
                "--parallelism", String.valueOf(parallelism),
                "--checkpoint-interval", checkpointInterval.toMillis() + " ms",
                "--transactional-id-prefix", "streamrec-demo",
                // Below the embedded broker's transaction.max.timeout.ms (1 h).
                "--transaction-timeout", "5 min");
        Path flinkDir = Files.createTempDirectory("streamrec-demo-flink-");
        Configuration flink = RecommenderJob.flinkConfiguration(config);
        flink.set(RocksDBOptions.LOCAL_DIRECTORIES, flinkDir.resolve("rocksdb").toString());
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, flinkDir.resolve("checkpoints").toUri().toString());
        LocalFlinkCluster cluster = LocalFlinkCluster.start(flink, webUiPort, parallelism + (trainer ? 1 : 0));
        say("Flink cluster up, web UI at %s%s", cluster.webUi(),
                cluster.webUi().getPort() == webUiPort ? "" : " (port " + webUiPort + " was taken)");
        try {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
            RecommenderJob.onKafka(config, false).build(env);
            JobID job = cluster.submit(env, "streamrec-recommender (demo)");
            if (!cluster.awaitAllTasksRunning(job, Duration.ofSeconds(120))) {
                throw new IllegalStateException("the serving job's tasks did not all reach RUNNING; job status "
                        + cluster.status(job));
            }
            say("serving job %s running (all tasks, model loaded): parallelism %d, RocksDB state, exactly-once sinks"
                    + " committing at checkpoints every %,d ms", job, parallelism, checkpointInterval.toMillis());
            return new ServingRun(cluster, job, flinkDir);
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
    }

    private void startDashboard(EmbeddedKafka kafka, ServingRun serving) throws IOException {
        if (!dashboard) {
            return;
        }
        liveDashboard = Dashboard.parse("--bootstrap-servers", kafka.bootstrapServers(),
                "--recommendations-topic", RECOMMENDATIONS, "--model-updates-topic", MODEL_UPDATES, "--events-topic", EVENTS,
                "--from-beginning",
                "--flink-rest", serving == null ? "none" : serving.cluster.webUi().toString(),
                "--port", String.valueOf(LocalFlinkCluster.isFree(dashboardPort) ? dashboardPort : 0), "-k", String.valueOf(k)).start();
        say("live dashboard at %s", liveDashboard.url());
    }

    private void lingerForDashboard() throws InterruptedException {
        if (liveDashboard != null && dashboardLinger.toMillis() > 0) {
            say("the job and the dashboard (%s) stay up for %s", liveDashboard.url(), dashboardLinger);
            Thread.sleep(dashboardLinger.toMillis());
        }
    }

    /** The trainer job on the serving job's cluster, from the same bootstrap snapshot, publishing to model-updates. */
    private void startTrainer(EmbeddedKafka kafka, ServingRun serving, String modelUri) throws Exception {
        modelUpdates = new ModelUpdatesMonitor(kafka.bootstrapServers(), MODEL_UPDATES).start();
        String every = publishEvery.toMillis() + " ms";
        trainerRun = TrainerRun.start(serving.cluster, kafka.bootstrapServers(), EVENTS, MODEL_UPDATES, modelUri,
                List.of("--publish-every", every, "--checkpoint-interval", every));
        say("trainer job %s running: trains the bootstrap model on the replayed events, publishes a version every %,d ms"
                + " (at checkpoints) to '%s'", trainerRun.job(), publishEvery.toMillis(), MODEL_UPDATES);
    }

    /** What the trainer published and which versions answered on the output; null when the trainer did not run. */
    private DemoReport.Training training(OutputMonitor monitor, long plannedEvents, List<String> problems)
            throws InterruptedException {
        if (trainerRun == null) {
            return null;
        }
        // The trainer publishes at its checkpoints; give it time to publish a version trained on every replayed event.
        long deadline = System.nanoTime() + Math.max(30_000, 3 * publishEvery.toMillis()) * 1_000_000L;
        List<ModelUpdatesMonitor.Seen> announced = modelUpdates.seen();
        while ((announced.isEmpty() || announced.get(announced.size() - 1).metric("eventsConsumed") < plannedEvents)
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
            announced = modelUpdates.seen();
        }
        DemoReport.Training t = new DemoReport.Training(announced.stream().map(ModelUpdatesMonitor.Seen::version).toList(),
                announced.isEmpty() ? 0 : (long) announced.get(announced.size() - 1).metric("eventsTrained"),
                announced.isEmpty() ? Double.NaN : announced.get(announced.size() - 1).metric("trainingLoss"),
                monitor.firstEmitMillisByModelVersion());
        if (announced.isEmpty()) {
            problems.add("the trainer published no model version");
        } else if (t.swapsSeen() == 0 && announced.get(0).receivedMillis() < replayEndMillis) {
            problems.add("version " + announced.get(0).version() + " was announced during the replay, but no"
                    + " recommendation carries a version above the bootstrap model's");
        }
        return t;
    }

    private boolean servingStopped;

    private void stopServing(ServingRun serving) throws Exception {
        if (servingStopped) {
            return;
        }
        servingStopped = true;
        try {
            if (trainerRun != null) {
                try {
                    trainerRun.stop();
                    say("trainer job stopped");
                } finally {
                    modelUpdates.close();
                }
            }
            JobStatus status = serving.cluster.cancel(serving.job, Duration.ofSeconds(60));
            say("serving job %s", status.name().toLowerCase());
        } finally {
            serving.cluster.close();
            deleteRecursively(serving.flinkDir);
            say("Flink cluster stopped");
        }
    }

    /**
     * The serving job's own counters and prequential accuracy, read through the REST API while it runs. The REST
     * endpoint serves metrics it fetched from the task managers a moment ago, so this polls until they show every
     * planned event (or a few seconds pass).
     */
    private String jobMetrics(ServingRun serving, long expectedEvents) {
        try {
            FlinkRest rest = serving.cluster.rest();
            List<String> names = List.of("eventsIn", "recommendationsOut", "fallbackRecommendationsOut",
                    "prequentialPredictions", "prequentialHitRate", "prequentialMrr", "modelVersion",
                    "itemsScoredInFullShare");
            Map<Integer, Map<String, Double>> op = rest.operatorMetrics(serving.job, RecommenderJob.SERVING_OPERATOR, names);
            long deadline = System.nanoTime() + JOB_METRICS_WAIT.toNanos();
            while (FlinkRest.sum(op, "recommendationsOut") < expectedEvents && System.nanoTime() < deadline) {
                Thread.sleep(250);
                op = rest.operatorMetrics(serving.job, RecommenderJob.SERVING_OPERATOR, names);
            }
            Map<Integer, Map<String, Double>> decode = rest.operatorMetrics(serving.job, "decode-and-validate", List.of("deadLetters"));
            return String.format("events in %,.0f, recommendations out %,.0f (%,.0f fallback), dead letters %,.0f,"
                            + " prequential HR@%d %.4f MRR@%d %.4f over %,.0f predictions, model version(s) %s,"
                            + " item scores computed in full %.1f%%",
                    FlinkRest.sum(op, "eventsIn"), FlinkRest.sum(op, "recommendationsOut"),
                    FlinkRest.sum(op, "fallbackRecommendationsOut"), FlinkRest.sum(decode, "deadLetters"),
                    k, FlinkRest.weightedMean(op, "prequentialHitRate", "prequentialPredictions"),
                    k, FlinkRest.weightedMean(op, "prequentialMrr", "prequentialPredictions"),
                    FlinkRest.sum(op, "prequentialPredictions"),
                    op.values().stream().map(m -> String.valueOf(m.getOrDefault("modelVersion", Double.NaN).longValue()))
                            .distinct().toList(),
                    // per subtask, since its current model loaded; their mean is enough for a glance
                    100 * op.values().stream().mapToDouble(m -> m.getOrDefault("itemsScoredInFullShare", Double.NaN))
                            .average().orElse(Double.NaN));
        } catch (Exception e) {
            return "unavailable (" + e + ")";
        }
    }

    private ReplaySummary replay(EmbeddedKafka kafka, ClickEventFactory factory, List<Session> slice, ServingRun serving,
                                 OutputMonitor monitor) throws InterruptedException {
        Pacer pacer = rate > 0 ? new TokenBucketPacer(rate, TokenBucketPacer.defaultBurst(rate), Ticker.SYSTEM) : Pacer.unpaced();
        say("replaying to '%s' ...", EVENTS);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(ReplayTool.producerConfig(kafka.bootstrapServers(), Map.of()))) {
            Replayer replayer = new Replayer(producer, EVENTS, factory, AvroCodec.clickEvents(), pacer, Ticker.SYSTEM,
                    // Only cheap work here: the replay waits for this listener.
                    progressInterval, progress -> say("events in %,d (+%d malformed), %,.0f events/s%s", progress.eventsSent(),
                            progress.malformedSent(), progress.intervalRate(), serving == null ? "" : " | " + describe(monitor.tally())));
            replayer.onSend(event -> monitor.sent(event.getEventId(), System.currentTimeMillis()));
            ReplaySummary summary = replayer.run(slice, limit == null ? Long.MAX_VALUE : limit, malformed);
            replayEndMillis = System.currentTimeMillis();
            say("%s", summary.describe());
            return summary;
        }
    }

    /** Waits until every replayed event is answered and every malformed record dead-lettered, or output stalls. */
    private OutputMonitor.Tally drain(OutputMonitor monitor, ServingRun serving, long expected) throws Exception {
        long lastChangeNanos = System.nanoTime();
        long lastSeen = -1;
        long lastPrint = System.nanoTime();
        while (true) {
            OutputMonitor.Tally t = monitor.tally();
            long seen = t.recommendations() + t.deadLetters();
            if (seen != lastSeen) {
                lastSeen = seen;
                lastChangeNanos = System.nanoTime();
            }
            if (t.distinctAnswered() >= expected && t.deadLetters() >= malformed) {
                say("all output in: %s", describe(t));
                return t;
            }
            JobStatus status = serving.cluster.status(serving.job);
            if (status.isGloballyTerminalState()) {
                say("the serving job ended early (%s); output so far: %s", status, describe(t));
                return t;
            }
            if (System.nanoTime() - lastChangeNanos > drainTimeout.toNanos()) {
                say("no new output for %s; giving up waiting: %s", drainTimeout, describe(t));
                return t;
            }
            if (System.nanoTime() - lastPrint >= progressInterval.toNanos()) {
                say("waiting for output: %s", describe(t));
                lastPrint = System.nanoTime();
            }
            Thread.sleep(100);
        }
    }

    private String describe(OutputMonitor.Tally t) {
        return String.format("committed: recommendations %,d, DLQ %,d | online HR@%d %.4f MRR@%d %.4f over %,d predictions",
                t.distinctAnswered(), t.deadLetters(), t.k(), t.hitRate(), t.k(), t.mrr(), t.predictions());
    }

    /** A few users whose whole session is short enough to print, in replay order. */
    private List<String> sampleUsers(ReplayPlan plan, ClickEventFactory ids) {
        Map<String, Integer> planned = new LinkedHashMap<>();
        for (SessionEvent e : plan.events()) {
            planned.merge(ids.userId(e.session()), 1, Integer::sum);
        }
        return planned.entrySet().stream()
                .filter(entry -> entry.getValue() >= SAMPLE_MIN_EVENTS && entry.getValue() <= SAMPLE_MAX_EVENTS)
                .limit(samples).map(Map.Entry::getKey).toList();
    }

    /** Each sample user's clicks, whether each was in the list the previous click produced, and the lists. */
    private void printSamples(ReplayPlan plan, ClickEventFactory ids, List<String> users, OutputMonitor monitor) {
        for (String user : users) {
            List<SessionEvent> events = plan.events().stream().filter(e -> ids.userId(e.session()).equals(user)).toList();
            say("sample: user %s, session %s, %d clicks; each click against the list the previous click produced (top 5 shown)",
                    user, events.get(0).session().sessionId(), events.size());
            Recommendation previous = null;
            for (SessionEvent e : events) {
                String item = e.itemId();
                String judged = "";
                if (previous != null) {
                    int rank = previous.getItems().stream().map(RecommendedItem::getItemId).toList().indexOf(item) + 1;
                    judged = rank > 0 && rank <= k ? "(was #" + rank + ")" : "(missed)";
                }
                Recommendation answer = monitor.answerTo(ids.eventId(e.session(), e.position()));
                String top = answer == null ? "(no answer)" : answer.getItems().stream().limit(5)
                        .map(RecommendedItem::getItemId).collect(Collectors.joining(" "))
                        + String.format("  [%s, v%d]", answer.getStrategy(), answer.getModelVersion());
                say("  %2d. clicked %-10s %-10s -> recommends %s", e.position() + 1, item, judged, top);
                previous = answer;
            }
        }
    }

    private void checkEventsTopic(Map<String, Long> topic, long planned, List<String> problems) {
        long valid = topic.getOrDefault(EventsTopicCheck.VALID, 0L);
        long invalid = topic.values().stream().mapToLong(Long::longValue).sum() - valid;
        if (valid != planned || invalid != malformed) {
            problems.add(String.format("the events topic holds %,d valid and %,d malformed records, expected %,d and %,d",
                    valid, invalid, planned, malformed));
        }
    }

    private void checkOutput(OutputMonitor.Tally t, long planned, List<String> problems) {
        if (t.distinctAnswered() != planned) {
            problems.add(String.format("%,d of %,d replayed events were answered", t.distinctAnswered(), planned));
        }
        if (t.duplicates() > 0) {
            problems.add(String.format("%,d recommendations were published twice", t.duplicates()));
        }
        if (t.unknownTriggers() > 0) {
            problems.add(String.format("%,d recommendations answer events this demo did not send", t.unknownTriggers()));
        }
        if (t.deadLetters() != malformed) {
            problems.add(String.format("%,d dead letters for %,d malformed records", t.deadLetters(), malformed));
        }
        if (t.undecodable() > 0) {
            problems.add(String.format("%,d output records could not be decoded", t.undecodable()));
        }
    }

    private void printSummary(DemoReport report) {
        say("================ summary ================");
        say("replayed:        %,d events of %,d sessions, %,d malformed records, in %.1f s",
                report.replay().eventsSent(), report.replay().sessions(), report.replay().malformedSent(), report.replay().elapsedSeconds());
        say("events topic:    %s", report.eventsTopic());
        say("model:           %s", report.model());
        if (report.servingRan()) {
            OutputMonitor.Tally t = report.output();
            say("Flink web UI:    %s (until the job was cancelled)", report.webUi());
            say("recommendations: %,d for %,d replayed events (%,d fallback, %,d duplicates)",
                    t.distinctAnswered(), report.plannedEvents(), t.fallback(), t.duplicates());
            say("dead letters:    %,d for %,d malformed records %s", t.deadLetters(), report.malformed(), t.deadLettersByCode());
            say("online HR@%d:    %.4f   MRR@%d: %.4f   over %,d predictions (from the output: next event of the same session)",
                    t.k(), t.hitRate(), t.k(), t.mrr(), t.predictions());
            say("job metrics:     %s", jobMetricsLine);
            DemoReport.Training training = report.training();
            if (training != null) {
                say("trainer:         published %d version(s) %s; last: %,d pairs trained, loss %.4f",
                        training.versionsPublished().size(), training.versionsPublished(), training.pairsTrained(),
                        training.lastLoss());
                say("model swaps:     %d seen on the output; first answer by each version: %s", training.swapsSeen(),
                        training.firstEmitMillisByModelVersion().entrySet().stream()
                                .map(e -> String.format("v%d at %s", e.getKey(), java.time.Instant.ofEpochMilli(e.getValue())))
                                .collect(Collectors.joining(", ")));
            }
            say("latency:         send -> emitted by the job: %s; send -> visible to a read_committed consumer: %s"
                    + " (includes waiting for the checkpoint that commits it)", t.sendToEmit(), t.sendToVisible());
        }
        for (String s : report.skipped()) {
            say("SKIPPED:         %s", s);
        }
        for (String p : report.problems()) {
            say("PROBLEM:         %s", p);
        }
        say(report.succeeded() ? "result:          OK%s" : "result:          FAILED%s",
                report.skipped().isEmpty() ? "" : String.format(" (with %d stage(s) skipped, see above)", report.skipped().size()));
    }

    private void skip(List<String> skipped, String what) {
        skipped.add(what);
        say("SKIPPED: %s", what);
    }

    private void say(String format, Object... args) {
        out.printf("[demo %6.1fs] %s%n", (System.nanoTime() - startNanos) / 1e9, String.format(format, args));
        out.flush();
    }
}
