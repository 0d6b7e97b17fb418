package org.streamrec.tools.loadtest;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.Session;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.tools.flink.FlinkRest;
import org.streamrec.tools.loadtest.LoadTestOptions.JobSettings;
import org.streamrec.tools.loadtest.LoadTestOptions.WarmupStep;
import org.streamrec.tools.ops.LocalOps;
import org.streamrec.tools.replay.ReplayTool;
import org.streamrec.tools.replay.Replayer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

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

    /** How long the warm-up's checkpoint requests may go on after its traffic, the job idle (about 20 ms each). */
    private static final Duration WARMUP_CHECKPOINTS_AFTER_TRAFFIC = Duration.ofSeconds(60);

    @Mixin
    LoadTestOptions options = new LoadTestOptions();

    private LoadTestLog log = new LoadTestLog(new PrintWriter(System.out, true));

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
        test.log = new LoadTestLog(out);
        return test;
    }

    @Override
    public Integer call() throws Exception {
        return run().steps().stream().allMatch(StepResult::everyEventAnswered) ? 0 : 1;
    }

    public Report run() throws Exception {
        String startedAt = Instant.now().toString();
        Path data = options.dataDir != null ? options.dataDir
                : Path.of(System.getProperty("streamrec.data.dir", Path.of("..", "shared", "data").toString()));
        Path eventsPath = data.resolve(options.eventsFile);
        Path trainPath = data.resolve(options.trainFile);
        for (Path p : List.of(eventsPath, trainPath)) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException(p.toAbsolutePath() + " does not exist; point --data-dir at the shared data folder");
            }
        }
        options.validate();
        String machine = Machine.description();
        log.say("loadtest: %s; started %s", machine, startedAt);
        Path modelDir = options.model != null ? options.model
                : LoadTestModel.prepare(trainPath, options.hidden, options.epochs,
                        options.modelCache.resolve("diginetica-h" + options.hidden + "-e" + options.epochs),
                        line -> log.say("%s", line));
        List<Session> sessions = DatasetReaders.read(eventsPath).sortedByStartTime();
        log.say("replay source: %s, %,d sessions, %,d events (reused round-robin; each step has its own event and user ids)",
                eventsPath, sessions.size(), sessions.stream().mapToLong(Session::length).sum());

        List<JobSettings> jobs = options.jobs();
        int slots = jobs.stream().mapToInt(JobSettings::parallelism).max().orElseThrow();
        WarmupStep warm = WarmupStep.parse(options.warmupStep);
        List<StepResult> results = new ArrayList<>();
        SessionCursor cursor = new SessionCursor(sessions);
        try (Deployment deployment = deploy(slots, modelDir)) {
            try (Admin admin = LocalOps.admin(deployment.bootstrapServers())) {
                for (int i = 0; i < jobs.size(); i++) {
                    results.addAll(runJob(deployment, admin, modelDir, jobs.get(i), i + 1, warm, cursor));
                }
            }
        }
        Report report = new Report(startedAt, machine, options.settings(modelDir, slots), results);
        new LoadTestReport(log, options.clusterMode).printTable(results);
        if (options.jsonFile != null) {
            LoadTestReport.writeJson(report, options.jsonFile);
            log.say("results written to %s", options.jsonFile);
        }
        if (options.csvFile != null) {
            LoadTestReport.writeCsv(results, options.csvFile);
            log.say("results written to %s", options.csvFile);
        }
        return report;
    }

    private Deployment deploy(int slots, Path modelDir) throws Exception {
        if (options.clusterMode.equals("embedded")) {
            return new EmbeddedDeployment(slots, options.jobArgs("127.0.0.1:9092", modelDir, options.jobs().get(0), 0), options.flinkConf);
        }
        Path repo = options.repoDir != null ? options.repoDir : defaultRepoDir();
        String envRunDir = System.getenv("STREAMREC_RUN_DIR");
        Path run = options.runDir != null ? options.runDir
                : envRunDir != null && !envRunDir.isBlank() ? Path.of(envRunDir) : repo.resolve("deploy/local/run/loadtest");
        log.say("local cluster: deploy/local/up.sh --no-jobs --free-ports with TM_SLOTS=%d, run directory %s", slots, run);
        LocalClusterDeployment d = LocalClusterDeployment.start(repo, run.toAbsolutePath(), slots, options.partitions,
                line -> log.say("%s", line));
        log.say("local cluster up: Kafka %s, Flink %s, processes %s", d.bootstrapServers(), d.webUi(), d.processes());
        return d;
    }

    static Path defaultRepoDir() {
        Path cwd = Path.of("").toAbsolutePath();
        return Files.isRegularFile(cwd.resolve("deploy/local/up.sh")) ? cwd : cwd.getParent();
    }

    private List<StepResult> runJob(Deployment deployment, Admin admin, Path modelDir, JobSettings settings, int index,
                                    WarmupStep warm, SessionCursor cursor) throws Exception {
        String tag = LoadTestOptions.jobTag(settings.guarantee(), index);
        List<String> args = options.jobArgs(deployment.bootstrapServers(), modelDir, settings, index);
        RecommenderConfig config = RecommenderConfig.parse(args.toArray(String[]::new));
        deployment.createTopic(config.eventsTopic(), options.partitions, Map.of());
        deployment.createTopic(config.recommendationsTopic(), options.partitions, Map.of());
        deployment.createTopic(config.dlqTopic(), 1, Map.of());
        Deployment.Job job = deployment.submitServingJob(args, "streamrec-recommender (loadtest " + tag + ")");
        List<StepResult> results = new ArrayList<>();
        StepRunner steps = new StepRunner(options, log);
        try {
            if (!job.awaitAllTasksRunning(Duration.ofSeconds(180))) {
                throw new IllegalStateException("the serving job's tasks did not all reach RUNNING: " + job.status());
            }
            log.say("%s: serving job %s running (%s), checkpoints every %d ms, web UI %s", tag, job.id(), settings,
                    options.checkpointInterval.toMillis(), deployment.webUi());
            Map<String, Object> producerSettings = new LinkedHashMap<>(ReplayTool.producerConfig(deployment.bootstrapServers(), Map.of()));
            producerSettings.put(ProducerConfig.CLIENT_ID_CONFIG, "streamrec-loadtest-replay");
            producerSettings.put(ProducerConfig.LINGER_MS_CONFIG, (int) options.producerLinger.toMillis());
            StepMonitor.GroupLag lag = new StepMonitor.GroupLag(admin, config.groupId(), config.eventsTopic());
            try (FlinkRest rest = new FlinkRest(deployment.webUi());
                 AnswerCollector answers = new AnswerCollector(deployment.bootstrapServers(), config.recommendationsTopic());
                 KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerSettings)) {
                answers.start();
                StepRunner.StepContext context = new StepRunner.StepContext(deployment, job, rest, settings, tag,
                        config.eventsTopic(), producer, answers, lag, cursor);
                if (warm != null) {
                    StepResult w;
                    int checkpointsInTraffic;
                    int checkpointsDone;
                    try (CheckpointWarmer warmer = CheckpointWarmer.start(context.rest(), JobID.fromHexString(job.id()),
                            options.warmupCheckpoints, line -> log.say("%s: %s", tag, line))) {
                        w = steps.runStep(context, warm.rate(), warm.duration(), "warmup");
                        checkpointsInTraffic = warmer.completed();
                        checkpointsDone = warmer.finish(WARMUP_CHECKPOINTS_AFTER_TRAFFIC);
                    }
                    log.say("%s: warm-up step (not reported): %s events/s for %d s, sent %,d, answered %,d, p99 %d ms, "
                                    + "%d of %d requested checkpoints (%d during its traffic)", tag, w.rate(),
                            warm.duration().toSeconds(), w.sent(), w.answered(), w.visibleP99Ms(), checkpointsDone,
                            options.warmupCheckpoints, checkpointsInTraffic);
                    checkConsumer(answers);
                }
                for (String rate : options.rates) {
                    results.add(steps.runStep(context, rate, options.duration, null));
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

}
