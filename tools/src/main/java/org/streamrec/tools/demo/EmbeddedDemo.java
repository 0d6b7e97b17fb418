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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobStatus;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;
import org.streamrec.tools.dashboard.Dashboard;
import org.streamrec.tools.kafka.EmbeddedKafka;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.tools.replay.ClickEventFactory;
import org.streamrec.flink.config.DurationConverter;
import org.streamrec.tools.replay.Pacer;
import org.streamrec.tools.replay.ReplayClock;
import org.streamrec.tools.replay.ReplaySummary;
import org.streamrec.tools.replay.ReplayTool;
import org.streamrec.tools.replay.Replayer;
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
    private DemoLog log;
    private DemoPrinter printer;
    private Path trainedModelDir;
    private String modelDescription = "none";
    private String jobMetricsLine;
    private Dashboard liveDashboard;
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
        log = new DemoLog(out, System.nanoTime());
        printer = new DemoPrinter(log, k, samples);
        List<String> skipped = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        log.say("streamrec embedded demo: Kafka -> Flink serving job -> Kafka, on one machine");

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
        log.say("replay plan: %,d events of %,d sessions from %s (+%d malformed records), %s",
                plan.size(), slice.size(), events, malformed, rate > 0 ? String.format("%,.0f events/s", rate) : "as fast as possible");

        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            log.say("Kafka broker up at %s (KRaft, in this JVM)", kafka.bootstrapServers());
            kafka.createTopic(EVENTS, partitions);
            kafka.createTopic(RECOMMENDATIONS, partitions);
            kafka.createTopic(DLQ, 1);
            kafka.createTopic(MODEL_UPDATES, 1, Map.of("cleanup.policy", "compact"));
            log.say("topics: %s (%d partitions), %s (%d), %s (1), %s (1, compacted)",
                    EVENTS, partitions, RECOMMENDATIONS, partitions, DLQ, MODEL_UPDATES);

            String modelUri = prepareModel(data, skipped);
            ServingRun serving = startServing(kafka, modelUri, skipped);
            try {
                startDashboard(kafka, serving);
                if (serving != null && trainer) {
                    serving.startTrainer(kafka.bootstrapServers(), modelUri, publishEvery);
                }
                return replayAndReport(kafka, plan, factory, slice, serving, skipped, problems);
            } finally {
                if (liveDashboard != null) {
                    liveDashboard.close();
                }
                if (serving != null) {
                    serving.stop();
                }
            }
        } finally {
            log.say("stopped: broker and data directory removed");
            if (trainedModelDir != null) {
                if (keepModel) {
                    log.say("the trained model stays in %s (serve it again with --model %s)", trainedModelDir,
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
        List<String> sampleUsers = printer.sampleUsers(plan, factory);
        DemoReport.Training training = null;
        try (OutputMonitor monitor = new OutputMonitor(kafka.bootstrapServers(), RECOMMENDATIONS, DLQ, plan, k,
                Set.copyOf(sampleUsers))) {
            monitor.start();
            ReplaySummary replay = replay(kafka, factory, slice, serving, monitor);
            if (!replay.complete()) {
                problems.add("the replay did not complete: " + replay.describe());
            }
            Map<String, Long> topicCheck = EventsTopicCheck.classify(kafka.bootstrapServers(), EVENTS, Duration.ofSeconds(60));
            log.say("events topic read back: %s", topicCheck);
            checkEventsTopic(topicCheck, plan.size(), problems);

            OutputMonitor.Tally tally = null;
            if (serving != null) {
                tally = drain(monitor, serving, plan.size());
                jobMetricsLine = serving.jobMetrics(plan.size(), k);
                log.say("job metrics (REST API): %s", jobMetricsLine);
                printer.printSamples(plan, factory, sampleUsers, monitor);
                checkOutput(tally, plan.size(), problems);
                if (monitor.failure() != null) {
                    problems.add("the output monitor failed: " + monitor.failure());
                }
                training = serving.training(monitor, plan.size(), replayEndMillis, problems);
                lingerForDashboard();
                serving.stop();
            }
            DemoReport report = new DemoReport(plan.size(), malformed, modelDescription, replay, topicCheck, serving != null,
                    tally, serving != null ? serving.webUi() : null, List.copyOf(skipped), List.copyOf(problems),
                    training);
            printer.printSummary(report, jobMetricsLine);
            return report;
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
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
            log.say("model: serving the %s", modelDescription);
            return model.toAbsolutePath().toUri().toString();
        }
        Path trainPath = data.resolve(trainFile);
        if (!Files.isRegularFile(trainPath)) {
            skip(skipped, "bootstrap GRU4Rec training: the training file " + trainPath.toAbsolutePath() + " does not exist");
            return null;
        }
        trainedModelDir = Files.createTempDirectory("streamrec-demo-model-");
        Path snapshot = trainedModelDir.resolve("model-v1");
        BootstrapModel.Trained trained = BootstrapModel.train(trainPath, hidden, epochs, snapshot, line -> log.say("%s", line));
        modelDescription = String.format("GRU4Rec v%d trained here: hidden %d, %d epoch(s), %,d items, %.1f s, final loss %.4f",
                trained.version(), hidden, epochs, trained.items(), trained.seconds(),
                trained.epochLosses().length == 0 ? Double.NaN : trained.epochLosses()[trained.epochLosses().length - 1]);
        log.say("model: %s, snapshot %s", modelDescription, snapshot);
        return snapshot.toUri().toString();
    }

    /** A serving job running on a local cluster, with its scratch directory (RocksDB, checkpoints). */
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
        return ServingRun.start(config, webUiPort, parallelism + (trainer ? 1 : 0), log);
    }

    private void startDashboard(EmbeddedKafka kafka, ServingRun serving) throws IOException {
        if (!dashboard) {
            return;
        }
        liveDashboard = Dashboard.parse("--bootstrap-servers", kafka.bootstrapServers(),
                "--recommendations-topic", RECOMMENDATIONS, "--model-updates-topic", MODEL_UPDATES, "--events-topic", EVENTS,
                "--from-beginning",
                "--flink-rest", serving == null ? "none" : serving.webUi().toString(),
                "--port", String.valueOf(LocalFlinkCluster.isFree(dashboardPort) ? dashboardPort : 0), "-k", String.valueOf(k)).start();
        log.say("live dashboard at %s", liveDashboard.url());
    }

    private void lingerForDashboard() throws InterruptedException {
        if (liveDashboard != null && dashboardLinger.toMillis() > 0) {
            log.say("the job and the dashboard (%s) stay up for %s", liveDashboard.url(), dashboardLinger);
            Thread.sleep(dashboardLinger.toMillis());
        }
    }

    private ReplaySummary replay(EmbeddedKafka kafka, ClickEventFactory factory, List<Session> slice, ServingRun serving,
                                 OutputMonitor monitor) throws InterruptedException {
        Pacer pacer = rate > 0 ? new TokenBucketPacer(rate, TokenBucketPacer.defaultBurst(rate), Ticker.SYSTEM) : Pacer.unpaced();
        log.say("replaying to '%s' ...", EVENTS);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(ReplayTool.producerConfig(kafka.bootstrapServers(), Map.of()))) {
            Replayer replayer = new Replayer(producer, EVENTS, factory, AvroCodec.clickEvents(), pacer, Ticker.SYSTEM,
                    // Only cheap work here: the replay waits for this listener.
                    progressInterval, progress -> log.say("events in %,d (+%d malformed), %,.0f events/s%s", progress.eventsSent(),
                            progress.malformedSent(), progress.intervalRate(), serving == null ? "" : " | " + DemoPrinter.describe(monitor.tally())));
            replayer.onSend(event -> monitor.sent(event.getEventId(), System.currentTimeMillis()));
            ReplaySummary summary = replayer.run(slice, limit == null ? Long.MAX_VALUE : limit, malformed);
            replayEndMillis = System.currentTimeMillis();
            log.say("%s", summary.describe());
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
                log.say("all output in: %s", DemoPrinter.describe(t));
                return t;
            }
            JobStatus status = serving.status();
            if (status.isGloballyTerminalState()) {
                log.say("the serving job ended early (%s); output so far: %s", status, DemoPrinter.describe(t));
                return t;
            }
            if (System.nanoTime() - lastChangeNanos > drainTimeout.toNanos()) {
                log.say("no new output for %s; giving up waiting: %s", drainTimeout, DemoPrinter.describe(t));
                return t;
            }
            if (System.nanoTime() - lastPrint >= progressInterval.toNanos()) {
                log.say("waiting for output: %s", DemoPrinter.describe(t));
                lastPrint = System.nanoTime();
            }
            Thread.sleep(100);
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

    private void skip(List<String> skipped, String what) {
        skipped.add(what);
        log.say("SKIPPED: %s", what);
    }

}
