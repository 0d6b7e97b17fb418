package org.streamrec.tools.loadtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.flink.api.common.JobID;
import org.streamrec.tools.flink.FlinkRest;
import org.streamrec.tools.ops.LocalOps;

/**
 * The standalone deployment of deploy/local, each part in its own process: {@code up.sh --no-jobs --free-ports}
 * starts the Kafka broker, the Flink JobManager and a TaskManager with {@code TM_SLOTS} slots in
 * {@code runDir}; serving jobs are the shaded job jar submitted by {@code submit.sh} (Flink's client, which uses the
 * REST API), cancelled through {@link FlinkRest}; {@code stop.sh} stops them all. PIDs come from the run
 * directory's {@code pids/}. The scripts are the same an operator uses, so the load test measures that deployment.
 */
final class LocalClusterDeployment implements Deployment {

    private static final Pattern JOB_ID = Pattern.compile("JobID ([0-9a-f]{32})");
    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(10);

    private final Path repoDir;
    private final Path runDir;
    private final Consumer<String> log;
    private final String bootstrapServers;
    private final String webUi;
    private final FlinkRest rest;
    private final Admin admin;
    private final Map<String, Long> processes = new LinkedHashMap<>();

    private LocalClusterDeployment(Path repoDir, Path runDir, Consumer<String> log) throws IOException {
        this.repoDir = repoDir;
        this.runDir = runDir;
        this.log = log;
        Properties ports = new Properties();
        try (var in = Files.newBufferedReader(runDir.resolve("ports.env"))) {
            ports.load(in);
        }
        bootstrapServers = "127.0.0.1:" + ports.getProperty("KAFKA_PORT");
        webUi = "http://127.0.0.1:" + ports.getProperty("FLINK_REST_PORT");
        rest = new FlinkRest(webUi);
        admin = LocalOps.admin(bootstrapServers);
        processes.put("broker", pid("kafka"));
        processes.put("jobmanager", pid("jobmanager"));
        processes.put("taskmanager", pid("taskmanager"));
        processes.put("harness", ProcessHandle.current().pid());
    }

    /**
     * Starts the deployment with {@code slots} task slots and {@code partitions} partitions for deploy/local's own
     * topics. The job jar must exist ({@code STREAMREC_NO_BUILD=1}: the harness runs from the very build that made
     * it, and a nested Maven build inside a running one would rewrite its jars).
     */
    static LocalClusterDeployment start(Path repoDir, Path runDir, int slots, int partitions, Consumer<String> log)
            throws Exception {
        Files.createDirectories(runDir);
        Map<String, String> env = Map.of("TM_SLOTS", String.valueOf(slots), "STREAMREC_NO_BUILD", "1");
        try {
            run(repoDir, runDir, env, log, "deploy/local/up.sh", "--no-jobs", "--free-ports", "--partitions",
                    String.valueOf(partitions));
            return new LocalClusterDeployment(repoDir, runDir, log);
        } catch (Exception e) {
            stop(repoDir, runDir, log);
            throw e;
        }
    }

    private long pid(String name) throws IOException {
        return Long.parseLong(Files.readString(runDir.resolve("pids").resolve(name + ".pid")).trim());
    }

    @Override
    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void createTopic(String name, int partitions, Map<String, String> configs) throws Exception {
        admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs))).all().get(30, TimeUnit.SECONDS);
    }

    @Override
    public Job submitServingJob(List<String> jobArgs, String name) throws Exception {
        List<String> args = new ArrayList<>(List.of("deploy/local/submit.sh", "org.streamrec.flink.serving.RecommenderJob"));
        args.addAll(jobArgs);
        List<String> output = run(repoDir, runDir, Map.of(), log, args.toArray(String[]::new));
        String id = output.stream().map(JOB_ID::matcher).filter(Matcher::find).map(m -> m.group(1)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no JobID in the output of submit.sh: " + output));
        JobID jobId = JobID.fromHexString(id);
        return new Job() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public boolean awaitAllTasksRunning(Duration timeout) throws Exception {
                long deadline = System.nanoTime() + timeout.toNanos();
                while (System.nanoTime() < deadline) {
                    for (FlinkRest.Job job : rest.jobs()) {
                        if (job.id().equals(jobId) && job.fullyRunning()) {
                            return true;
                        }
                    }
                    if (ended()) {
                        return false;
                    }
                    Thread.sleep(200);
                }
                return false;
            }

            @Override
            public boolean ended() throws Exception {
                return rest.status(jobId).isGloballyTerminalState();
            }

            @Override
            public String status() throws Exception {
                return rest.status(jobId).name();
            }

            @Override
            public void cancel(Duration timeout) throws Exception {
                if (!ended()) {
                    rest.cancel(jobId);
                }
                long deadline = System.nanoTime() + timeout.toNanos();
                while (!ended() && System.nanoTime() < deadline) {
                    Thread.sleep(200);
                }
            }
        };
    }

    @Override
    public Map<String, Long> processes() {
        return processes;
    }

    @Override
    public String webUi() {
        return webUi;
    }

    @Override
    public void close() throws Exception {
        admin.close(Duration.ofSeconds(10));
        rest.close();
        stop(repoDir, runDir, log);
    }

    private static void stop(Path repoDir, Path runDir, Consumer<String> log) throws Exception {
        run(repoDir, runDir, Map.of(), log, "deploy/local/stop.sh");
    }

    /** Runs a deploy/local script from the repository root, its output line by line to {@code log}; fails on exit != 0. */
    private static List<String> run(Path repoDir, Path runDir, Map<String, String> env, Consumer<String> log, String... command)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash"));
        cmd.addAll(List.of(command));
        ProcessBuilder builder = new ProcessBuilder(cmd).directory(repoDir.toFile()).redirectErrorStream(true);
        builder.environment().put("STREAMREC_RUN_DIR", runDir.toAbsolutePath().toString());
        builder.environment().putAll(env);
        // Maven variables of an enclosing build (the IT runs inside `mvnw verify`) must not reach the scripts.
        builder.environment().keySet().removeAll(List.of("MAVEN_PROJECTBASEDIR", "MAVEN_CMD_LINE_ARGS", "MAVEN_ARGS"));
        Process process = builder.start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                lines.add(line);
                log.accept(Path.of(command[0]).getFileName() + ": " + line);
            }
        }
        if (!process.waitFor(SCRIPT_TIMEOUT.toMinutes(), TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish within " + SCRIPT_TIMEOUT);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + process.exitValue()
                    + "; see " + runDir.resolve("logs"));
        }
        return lines;
    }
}
