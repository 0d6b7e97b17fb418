package org.streamrec.tools.demo;

import static org.streamrec.flink.kafka.Topics.DLQ;
import static org.streamrec.flink.kafka.Topics.EVENTS;
import static org.streamrec.flink.kafka.Topics.MODEL_UPDATES;
import static org.streamrec.flink.kafka.Topics.RECOMMENDATIONS;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;
import org.streamrec.tools.kafka.EmbeddedKafka;
import org.streamrec.tools.replay.ClickEventFactory;
import org.streamrec.flink.config.DurationConverter;
import org.streamrec.tools.replay.ReplayClock;
import org.streamrec.tools.replay.ReplaySummary;
import org.streamrec.tools.replay.ReplayTool;
import org.streamrec.tools.replay.Replayer;
import org.streamrec.tools.replay.SessionInterleaving;
import org.streamrec.tools.replay.Ticker;
import org.streamrec.tools.replay.TokenBucketPacer;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.flink.serving.RecommenderJob;
import org.streamrec.model.Gru4RecParams;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The streaming benchmark of issue #5 on diginetica: a bootstrap GRU4Rec trained on the first half of the training
 * sessions (time order), then the rest of the training sessions plus the test sessions streamed through the real
 * pipeline (embedded Kafka, the serving job on a local Flink cluster), once with the trainer job running next to it
 * and once with the bootstrap model frozen, on the same events at the same rate.
 *
 * <p>Per run it reports the prequential HR@k / MRR@k computed from the committed output (each recommendation against
 * the next item of its session, {@link OnlineAccuracy}), the versions published and swapped in, model freshness (for
 * every streamed event: the time from its send to the first recommendation carrying the first version trained on it;
 * a version is trained on every event up to its announcement's {@code maxEventTimeMillis}, which identifies the event
 * because the stream is in event-time order on one partition), and the trainer's throughput (pairs trained per second
 * of training compute, from its announcements, against the replay rate).
 *
 * <p>{@code --scale} takes the first fraction of the training and test sessions, so that a run fits a shared machine;
 * 1 is the whole protocol. Run by {@code deploy/trainer-benchmark.sh}.
 */
@Command(name = "trainer-benchmark", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Diginetica: bootstrap on the first half of the training sessions, stream the rest plus the test "
                + "sessions through Kafka + the serving job, with the trainer running and with the model frozen.")
public final class TrainerBenchmark implements Callable<Integer> {


    @Option(names = "--data-dir", description = "Shared data folder (default: -Dstreamrec.data.dir, else ../shared/data).")
    Path dataDir;

    @Option(names = "--scale", defaultValue = "1.0",
            description = "Fraction of diginetica's training and test sessions used, from the start in time order; 1 = "
                    + "the full protocol (default: ${DEFAULT-VALUE}).")
    double scale;

    @Option(names = "--bootstrap-fraction", defaultValue = "0.5",
            description = "Share of the (scaled) training sessions the bootstrap model is trained on (default: ${DEFAULT-VALUE}).")
    double bootstrapFraction;

    @Option(names = "--params", defaultValue = "diginetica-bprmax",
            description = "Bootstrap GRU4Rec parameters: file or built-in name (default: ${DEFAULT-VALUE}).")
    String params;

    @Option(names = "--hidden", defaultValue = "100", description = "GRU hidden size (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--epochs", defaultValue = "1", description = "Bootstrap training epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--model", description = "Use this bootstrap snapshot (saved by an earlier run with --save-model) "
            + "instead of training one; it must match --scale and --bootstrap-fraction.")
    Path model;

    @Option(names = "--save-model", description = "Keep the trained bootstrap snapshot in this directory.")
    Path saveModel;

    @Option(names = "--rate", defaultValue = "300", description = "Replay rate, events/s (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--interleave", defaultValue = "0",
            description = "Streamed sessions in progress at once (0: the files' order, one session after another). "
                    + "Diginetica's files list sessions one after another, so one user clicks back to back and the "
                    + "serving job answers in micro-batches of one (a few hundred events/s); interleaving lets it "
                    + "batch like live traffic. Each session keeps its order; keep it under 1,800 so that a session's "
                    + "clicks stay within the 30 min session gap on the replay's 1 s ordinal clock (default: ${DEFAULT-VALUE}).")
    int interleave;

    @Option(names = "--runs", split = ",", defaultValue = "trainer,frozen",
            description = "Which runs, in order: trainer, frozen (default: ${DEFAULT-VALUE}).")
    List<String> runs;

    @Option(names = "--trainer-arg", description = "Extra trainer job flag (repeatable, e.g. --trainer-arg=--publish-every="
            + "--trainer-arg=\"30 s\"); without any, the trainer runs in its default configuration.")
    List<String> trainerArgs = new ArrayList<>();

    @Option(names = "--serving-checkpoint-interval", defaultValue = "2s", converter = DurationConverter.class,
            description = "Serving job checkpoint interval: its exactly-once output commits at this pace (default: ${DEFAULT-VALUE}).")
    Duration servingCheckpointInterval;

    @Option(names = "--drain-timeout", defaultValue = "120s", converter = DurationConverter.class,
            description = "After the replay, how long to wait without new output (default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = "-k", defaultValue = "20", description = "Cut-off of HR@k / MRR@k (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--json", description = "Also write the results as JSON to this file.")
    Path json;

    private PrintWriter out = new PrintWriter(System.out, true);
    private long startNanos;

    public static void main(String[] args) {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:log4j2-demo.properties");
        }
        System.exit(new CommandLine(new TrainerBenchmark()).execute(args));
    }

    /** Freshness percentiles in seconds over the events a served version covered. */
    public record Freshness(long events, long notServed, double p50, double p90, double max, double meanToSnapshot,
                            double meanSnapshotToServed) {
    }

    /** One run's results. */
    public record RunResult(String run, long events, double replaySeconds, double achievedRate, long answered,
                            long predictions, double hitRate, double mrr, List<Long> versionsPublished,
                            Map<Long, Long> firstEmitMillisByVersion, Freshness freshness, double pairsTrained,
                            double trainSeconds, double trainerPairsPerSecond, double eventsConsumedAtLastVersion,
                            double wallSeconds) {
    }

    @Override
    public Integer call() throws Exception {
        startNanos = System.nanoTime();
        Path data = dataDir != null ? dataDir
                : Path.of(System.getProperty("streamrec.data.dir", Path.of("..", "shared", "data").toString()));
        Path trainFile = data.resolve("diginetica/diginetica_train.tsv.gz");
        Path testFile = data.resolve("diginetica/diginetica_test.tsv.gz");
        SessionDataset train = DatasetReaders.read(trainFile);
        SessionDataset test = DatasetReaders.read(testFile);
        List<Session> trainSessions = train.sortedByStartTime();
        List<Session> testSessions = test.sortedByStartTime();
        int trainUsed = (int) Math.round(scale * trainSessions.size());
        int bootstrapCount = (int) Math.round(bootstrapFraction * trainUsed);
        List<Session> bootstrap = trainSessions.subList(0, bootstrapCount);
        List<Session> stream = new ArrayList<>(trainSessions.subList(bootstrapCount, trainUsed));
        stream.addAll(testSessions.subList(0, (int) Math.round(scale * testSessions.size())));
        stream = SessionInterleaving.interleaved(stream, interleave);
        ClickEventFactory factory = new ClickEventFactory("diginetica",
                ReplayClock.forFormat(DatasetReaders.detect(trainFile), ReplayClock.DEFAULT_SYNTHETIC_START,
                        ReplayClock.DEFAULT_ORDINAL_STEP));
        ReplayPlan plan = ReplayPlan.of(stream, Long.MAX_VALUE, factory);
        say("scale %.3f: bootstrap on %,d training sessions (%,d events); stream %,d sessions (%,d training + %,d test), "
                        + "%,d events at %,.0f events/s", scale, bootstrap.size(), events(bootstrap), stream.size(),
                trainUsed - bootstrapCount, stream.size() - (trainUsed - bootstrapCount), plan.size(), rate);

        Path snapshot;
        Path scratchModel = null;
        if (model != null) {
            snapshot = model;
            say("bootstrap model: %s", snapshot.toAbsolutePath());
        } else {
            scratchModel = saveModel != null ? saveModel : Files.createTempDirectory("streamrec-bench-model-");
            snapshot = scratchModel.resolve("bootstrap-v1");
            Gru4RecParams p = (Files.isRegularFile(Path.of(params)) ? Gru4RecParams.load(Path.of(params))
                    : Gru4RecParams.builtIn(params)).with("layers", String.valueOf(hidden))
                    .with("n_epochs", String.valueOf(epochs));
            BootstrapModel.Trained trained = BootstrapModel.train(new SessionDataset(bootstrap, train.report()), p,
                    snapshot, true, line -> say("%s", line));
            say("bootstrap model: %s, hidden %d, %d epoch(s), %,d items, %.1f s -> %s", params, hidden, epochs,
                    trained.items(), trained.seconds(), snapshot);
        }

        List<RunResult> results = new ArrayList<>();
        try {
            for (String run : runs) {
                if (!run.equals("trainer") && !run.equals("frozen")) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "unknown run '" + run + "'");
                }
                results.add(runOnce(run, snapshot.toUri().toString(), plan, factory, stream));
            }
        } finally {
            if (scratchModel != null && saveModel == null) {
                TrainerRun.deleteRecursively(scratchModel);
            }
        }
        printResults(results);
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("scale", scale);
            doc.put("bootstrapSessions", bootstrap.size());
            doc.put("streamEvents", plan.size());
            doc.put("rate", rate);
            doc.put("interleave", interleave);
            doc.put("params", params);
            doc.put("hidden", hidden);
            doc.put("epochs", epochs);
            doc.put("trainerArgs", trainerArgs);
            doc.put("runs", results);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), doc);
            say("results written to %s", json);
        }
        return 0;
    }

    private RunResult runOnce(String run, String modelUri, ReplayPlan plan, ClickEventFactory factory,
                              List<Session> stream) throws Exception {
        long runStart = System.nanoTime();
        say("---- run '%s' ----", run);
        boolean withTrainer = run.equals("trainer");
        Path flinkDir = Files.createTempDirectory("streamrec-bench-flink-");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            // One partition: the stream stays in event-time order end to end, which the freshness measurement uses.
            kafka.createTopic(EVENTS, 1);
            kafka.createTopic(RECOMMENDATIONS, 1);
            kafka.createTopic(DLQ, 1);
            kafka.createTopic(MODEL_UPDATES, 1, Map.of("cleanup.policy", "compact"));
            RecommenderConfig serving = RecommenderConfig.parse(
                    "--bootstrap-servers", kafka.bootstrapServers(), "--events-topic", EVENTS,
                    "--recommendations-topic", RECOMMENDATIONS, "--dlq-topic", DLQ, "--model-updates-topic", MODEL_UPDATES,
                    "--model-uri", modelUri, "--k", String.valueOf(k), "--parallelism", "1",
                    "--checkpoint-interval", servingCheckpointInterval.toMillis() + " ms",
                    "--transactional-id-prefix", "streamrec-bench", "--transaction-timeout", "5 min");
            Configuration flink = RecommenderJob.flinkConfiguration(serving);
            flink.set(RocksDBOptions.LOCAL_DIRECTORIES, flinkDir.resolve("rocksdb").toString());
            flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, flinkDir.resolve("checkpoints").toUri().toString());
            try (LocalFlinkCluster cluster = LocalFlinkCluster.start(flink, 0, 2);
                 OutputMonitor monitor = new OutputMonitor(kafka.bootstrapServers(), RECOMMENDATIONS, DLQ, plan, k, Set.of());
                 ModelUpdatesMonitor updates = new ModelUpdatesMonitor(kafka.bootstrapServers(), MODEL_UPDATES).start()) {
                StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
                RecommenderJob.onKafka(serving, false).build(env);
                JobID servingJob = cluster.submit(env, "streamrec-recommender (benchmark)");
                if (!cluster.awaitAllTasksRunning(servingJob, Duration.ofSeconds(180))) {
                    throw new IllegalStateException("the serving job did not start: " + cluster.status(servingJob));
                }
                TrainerRun trainer = withTrainer ? TrainerRun.start(cluster, kafka.bootstrapServers(), EVENTS,
                        MODEL_UPDATES, modelUri, trainerArgs) : null;
                say("serving job running%s", withTrainer ? ", trainer job running (" + trainer.config().publishEvery()
                        + " publication, " + trainer.config().checkpointInterval() + " checkpoints)" : ", model frozen");
                monitor.start();
                long[] sentMillis = new long[plan.size()];
                long[] eventTimes = new long[plan.size()];
                int[] sent = {0};
                ReplaySummary replay;
                try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                        ReplayTool.producerConfig(kafka.bootstrapServers(), Map.of()))) {
                    Replayer replayer = new Replayer(producer, EVENTS, factory, AvroCodec.clickEvents(),
                            new TokenBucketPacer(rate, TokenBucketPacer.defaultBurst(rate), Ticker.SYSTEM), Ticker.SYSTEM,
                            Duration.ofSeconds(10), progress -> say("sent %,d, %,.0f events/s | %s", progress.eventsSent(),
                                    progress.intervalRate(), describe(monitor.tally(), updates)));
                    replayer.onSend((ClickEvent e) -> {
                        sentMillis[sent[0]] = System.currentTimeMillis();
                        eventTimes[sent[0]++] = e.getEventTime().toEpochMilli();
                    });
                    replay = replayer.run(stream, Long.MAX_VALUE, 0);
                }
                say("%s", replay.describe());
                OutputMonitor.Tally tally = drain(monitor, updates, plan.size());
                List<ModelUpdatesMonitor.Seen> announced = updates.seen();
                TreeMap<Long, Long> firstEmit = monitor.firstEmitMillisByModelVersion();
                if (trainer != null) {
                    trainer.stop();
                }
                cluster.cancel(servingJob, Duration.ofSeconds(60));
                ModelUpdatesMonitor.Seen last = announced.isEmpty() ? null : announced.get(announced.size() - 1);
                double pairs = last == null ? 0 : last.metric("eventsTrained");
                double trainSeconds = last == null ? 0 : last.metric("trainSeconds");
                RunResult result = new RunResult(run, plan.size(), replay.elapsedSeconds(),
                        replay.eventsSent() / replay.elapsedSeconds(), tally.distinctAnswered(), tally.predictions(),
                        tally.hitRate(), tally.mrr(), announced.stream().map(ModelUpdatesMonitor.Seen::version).toList(),
                        firstEmit, freshness(announced, firstEmit, sentMillis, eventTimes, sent[0]), pairs, trainSeconds,
                        trainSeconds > 0 ? pairs / trainSeconds : Double.NaN,
                        last == null ? 0 : last.metric("eventsConsumed"), (System.nanoTime() - runStart) / 1e9);
                say("run '%s': %s", run, result);
                return result;
            }
        } finally {
            TrainerRun.deleteRecursively(flinkDir);
        }
    }

    /**
     * For each sent event: the first announced version whose newest trained event time is at or after the event's,
     * and the first recommendation carrying that version or a newer one.
     */
    static Freshness freshness(List<ModelUpdatesMonitor.Seen> announced, Map<Long, Long> firstEmitByVersion,
                               long[] sentMillis, long[] eventTimes, int count) {
        // Served-at of version v: the first emit of any version >= v.
        TreeMap<Long, Long> servedFrom = new TreeMap<>();
        long earliest = Long.MAX_VALUE;
        for (Map.Entry<Long, Long> e : new TreeMap<>(firstEmitByVersion).descendingMap().entrySet()) {
            earliest = Math.min(earliest, e.getValue());
            servedFrom.put(e.getKey(), earliest);
        }
        double[] total = new double[count];
        int n = 0;
        long notServed = 0;
        double toSnapshot = 0;
        double snapshotToServed = 0;
        int a = 0;
        for (int i = 0; i < count; i++) {
            while (a < announced.size() && announced.get(a).metric("maxEventTimeMillis") < eventTimes[i]) {
                a++;
            }
            if (a == announced.size()) {
                notServed++;
                continue;
            }
            ModelUpdatesMonitor.Seen version = announced.get(a);
            Map.Entry<Long, Long> served = servedFrom.ceilingEntry(version.version());
            if (served == null) {
                notServed++;
                continue;
            }
            long created = version.announcement().getCreatedTime().toEpochMilli();
            total[n++] = (served.getValue() - sentMillis[i]) / 1000.0;
            toSnapshot += (created - sentMillis[i]) / 1000.0;
            snapshotToServed += (served.getValue() - created) / 1000.0;
        }
        if (n == 0) {
            return new Freshness(0, notServed, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double[] sorted = Arrays.copyOf(total, n);
        Arrays.sort(sorted);
        return new Freshness(n, notServed, sorted[(n - 1) / 2], sorted[(int) Math.ceil(0.9 * n) - 1], sorted[n - 1],
                toSnapshot / n, snapshotToServed / n);
    }

    private OutputMonitor.Tally drain(OutputMonitor monitor, ModelUpdatesMonitor updates, long expected)
            throws InterruptedException {
        long lastChange = System.nanoTime();
        long lastSeen = -1;
        long lastPrint = System.nanoTime();
        while (true) {
            OutputMonitor.Tally t = monitor.tally();
            if (t.distinctAnswered() != lastSeen) {
                lastSeen = t.distinctAnswered();
                lastChange = System.nanoTime();
            }
            if (t.distinctAnswered() >= expected) {
                say("all output in: %s", describe(t, updates));
                return t;
            }
            if (System.nanoTime() - lastChange > drainTimeout.toNanos()) {
                say("no new output for %s; giving up: %s", drainTimeout, describe(t, updates));
                return t;
            }
            if (System.nanoTime() - lastPrint > 10_000_000_000L) {
                say("draining: %s", describe(t, updates));
                lastPrint = System.nanoTime();
            }
            Thread.sleep(200);
        }
    }

    private String describe(OutputMonitor.Tally t, ModelUpdatesMonitor updates) {
        List<ModelUpdatesMonitor.Seen> seen = updates.seen();
        return String.format("answered %,d, HR@%d %.4f MRR@%d %.4f over %,d | versions announced %d%s", t.distinctAnswered(),
                k, t.hitRate(), k, t.mrr(), t.predictions(), seen.size(),
                seen.isEmpty() ? "" : String.format(" (last v%d, %,.0f pairs trained)", seen.get(seen.size() - 1).version(),
                        seen.get(seen.size() - 1).metric("eventsTrained")));
    }

    private void printResults(List<RunResult> results) {
        say("================ results (scale %.3f, %,.0f events/s requested) ================", scale, rate);
        for (RunResult r : results) {
            say("%-8s events %,d in %.1f s (%,.0f events/s sent), answered %,d | HR@%d %.4f  MRR@%d %.4f over %,d predictions",
                    r.run(), r.events(), r.replaySeconds(), r.achievedRate(), r.answered(), k, r.hitRate(), k, r.mrr(),
                    r.predictions());
            if (r.run().equals("trainer")) {
                Freshness f = r.freshness();
                say("         versions published %d, versions answering on the output %s", r.versionsPublished().size(),
                        r.firstEmitMillisByVersion().keySet());
                say("         freshness (send -> first answer by a version trained on it) over %,d events: p50 %.1f s, "
                                + "p90 %.1f s, max %.1f s; mean send -> snapshot %.1f s, snapshot -> served %.1f s; "
                                + "%,d events not served by a newer version before the stream ended",
                        f.events(), f.p50(), f.p90(), f.max(), f.meanToSnapshot(), f.meanSnapshotToServed(), f.notServed());
                say("         trainer: %,.0f pairs in %.1f s of training compute = %,.0f pairs/s (replay %,.0f events/s); "
                        + "events consumed by the last version %,.0f of %,d", r.pairsTrained(), r.trainSeconds(),
                        r.trainerPairsPerSecond(), r.achievedRate(), r.eventsConsumedAtLastVersion(), r.events());
            }
        }
    }

    private static long events(List<Session> sessions) {
        return sessions.stream().mapToLong(Session::length).sum();
    }

    private void say(String format, Object... args) {
        out.printf("[bench %7.1fs] %s%n", (System.nanoTime() - startNanos) / 1e9, String.format(format, args));
        out.flush();
    }
}
