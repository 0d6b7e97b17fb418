package org.streamrec.tools.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.taskexecutor.TaskManagerRunner;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.streamrec.tools.flink.FlinkRest;
import org.streamrec.tools.kafka.EmbeddedKafka;

/**
 * A real Flink standalone session cluster for tests: one JobManager ({@link StandaloneSessionClusterEntrypoint}) and
 * TaskManagers ({@link TaskManagerRunner}), each its own JVM forked from this test's classpath, so a TaskManager can
 * be killed with SIGKILL ({@link Process#destroyForcibly()} on Linux) while the JobManager and the test keep running.
 * A MiniCluster cannot do that: its TaskManagers are threads of the test JVM.
 *
 * <p>It starts the JVMs the way Flink's {@code jobmanager.sh}/{@code taskmanager.sh} do (docs/ARCHITECTURE.md, "Platform facts"): the memory
 * JVM flags and {@code -D} dynamic properties that {@code BashJavaUtils GET_JM_RESOURCE_PARAMS/GET_TM_RESOURCE_PARAMS}
 * print are computed here in-process by the same Flink utilities, plus the Java 17 {@code --add-opens} flags this JVM
 * was started with. Jobs are submitted through the REST API ({@link #remoteEnvironment}); the job's classes need no
 * jar because the cluster JVMs have the test classpath. Ports are picked free on 127.0.0.1; everything the cluster
 * writes (configuration, logs, temporary files) stays under the given directory.
 *
 * <p>The deploy/local scripts start the same classes for users; this fixture is the Java, test-only counterpart.
 */
public final class StandaloneFlinkCluster implements AutoCloseable {

    private static final String HOST = "127.0.0.1";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path dir;
    private final Path confDir;
    private final int restPort;
    private final Configuration configuration;
    private final String classpath;
    private final List<String> moduleFlags;
    private final FlinkRest rest;
    private Process jobManager;
    private final List<Process> taskManagers = new ArrayList<>();
    private int taskManagersStarted;

    private StandaloneFlinkCluster(Path dir, Map<String, String> settings) throws IOException {
        this.dir = dir;
        this.confDir = Files.createDirectories(dir.resolve("conf"));
        Files.createDirectories(dir.resolve("log"));
        Files.createDirectories(dir.resolve("tmp"));
        int[] ports = EmbeddedKafka.freePorts(2);
        this.restPort = ports[0];
        this.rest = new FlinkRest(URI.create("http://" + HOST + ":" + restPort));
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("jobmanager.rpc.address", HOST);
        conf.put("jobmanager.bind-host", HOST);
        conf.put("jobmanager.rpc.port", String.valueOf(ports[1]));
        conf.put("rest.address", HOST);
        conf.put("rest.bind-address", HOST);
        conf.put("rest.port", String.valueOf(restPort));
        conf.put("taskmanager.host", HOST);
        conf.put("taskmanager.bind-host", HOST);
        conf.put("taskmanager.numberOfTaskSlots", "2");
        conf.put("jobmanager.memory.process.size", "768m");
        conf.put("taskmanager.memory.process.size", "1280m");
        // A killed TaskManager is noticed through missed heartbeats; Flink's defaults (10 s interval, 50 s timeout)
        // would make every failover test wait most of a minute.
        conf.put("heartbeat.interval", "1000");
        conf.put("heartbeat.timeout", "8000");
        conf.put("io.tmp.dirs", dir.resolve("tmp").toString());
        conf.put("web.tmpdir", dir.resolve("tmp").toString());
        conf.putAll(settings);
        StringBuilder yaml = new StringBuilder();
        conf.forEach((k, v) -> yaml.append(k).append(": ").append(v).append('\n'));
        Files.writeString(confDir.resolve(GlobalConfiguration.FLINK_CONF_FILENAME), yaml);
        Files.writeString(confDir.resolve("log4j.properties"), LOG4J);
        this.configuration = GlobalConfiguration.loadConfiguration(confDir.toString());
        this.classpath = testClasspath();
        this.moduleFlags = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("--add-modules"))
                .toList();
    }

    /**
     * Starts the JobManager and {@code taskManagers} TaskManagers (2 slots each unless {@code settings} say
     * otherwise) and returns once the REST API reports them all registered.
     *
     * @param settings Flink configuration entries added to (or replacing) this fixture's defaults
     */
    public static StandaloneFlinkCluster start(Path dir, int taskManagers, Map<String, String> settings)
            throws IOException, InterruptedException {
        StandaloneFlinkCluster cluster = new StandaloneFlinkCluster(dir, settings);
        try {
            cluster.startJobManager();
            for (int i = 0; i < taskManagers; i++) {
                cluster.startTaskManager();
            }
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void startJobManager() throws IOException, InterruptedException {
        JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(configuration);
        jobManager = fork("jobmanager", StandaloneSessionClusterEntrypoint.class,
                JobManagerProcessUtils.generateJvmParametersStr(spec, configuration),
                JobManagerProcessUtils.generateDynamicConfigsStr(spec));
        awaitRest("the JobManager's REST API", rest -> rest.slots() != null);
    }

    /** Starts one more TaskManager JVM and waits until it has registered with the JobManager. */
    public Process startTaskManager() throws IOException, InterruptedException {
        // By id, not by count: a killed TaskManager stays registered until its heartbeat times out.
        java.util.Set<String> before = taskManagerIds();
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(configuration);
        Process tm = fork("taskmanager-" + (++taskManagersStarted), TaskManagerRunner.class,
                ProcessMemoryUtils.generateJvmParametersStr(spec),
                TaskExecutorProcessUtils.generateDynamicConfigsStr(spec));
        taskManagers.add(tm);
        awaitRest("TaskManager " + taskManagersStarted + " to register", rest -> !before.containsAll(rest.taskManagerIds()));
        return tm;
    }

    /** SIGKILLs the TaskManager (no shutdown hooks, no goodbye to the JobManager) and waits until it is gone. */
    public void killTaskManager(Process tm) throws InterruptedException {
        tm.destroyForcibly().waitFor();
        taskManagers.remove(tm);
    }

    public List<Process> taskManagers() {
        return List.copyOf(taskManagers);
    }

    public int restPort() {
        return restPort;
    }

    /** Where the JobManager and TaskManager logs go ({@code <name>.log}, {@code <name>.out}). */
    public Path logDir() {
        return dir.resolve("log");
    }

    /** An environment whose {@code execute}/{@code executeAsync} submits to this cluster through its REST API. */
    public StreamExecutionEnvironment remoteEnvironment(Configuration jobConfiguration) {
        return StreamExecutionEnvironment.createRemoteEnvironment(HOST, restPort, jobConfiguration);
    }

    /** TaskManagers the JobManager currently counts as registered (a killed one stays until its heartbeat times out). */
    public int registeredTaskManagers() {
        try {
            return rest.slots().taskManagers();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private java.util.Set<String> taskManagerIds() throws IOException, InterruptedException {
        return rest.taskManagerIds();
    }

    /** The JobManager's REST API, through the tools' client; closed with the cluster. */
    public FlinkRest rest() {
        return rest;
    }

    @FunctionalInterface
    private interface RestCondition {
        boolean holds(FlinkRest rest) throws IOException, InterruptedException;
    }

    private void awaitRest(String what, RestCondition condition) throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            checkAlive();
            try {
                if (condition.holds(rest)) {
                    return;
                }
            } catch (IOException | RuntimeException e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Timed out after " + START_TIMEOUT + " waiting for " + what
                + "; logs in " + logDir(), last);
    }

    private void checkAlive() {
        if (jobManager != null && !jobManager.isAlive()) {
            throw new IllegalStateException("The JobManager exited with " + jobManager.exitValue() + "; see " + logDir());
        }
    }

    private Process fork(String name, Class<?> main, String memoryJvmParams, String dynamicConfigs) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(split(memoryJvmParams));
        command.addAll(moduleFlags);
        command.add("-Dlog.file=" + logDir().resolve(name + ".log"));
        command.add("-Dlog4j.configurationFile=" + confDir.resolve("log4j.properties").toUri());
        command.add("-cp");
        command.add(classpath);
        command.add(main.getName());
        command.add("--configDir");
        command.add(confDir.toString());
        command.addAll(split(dynamicConfigs));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logDir().resolve(name + ".out").toFile());
        // One BLAS thread per JVM, as in the tests themselves (docs/ARCHITECTURE.md, "Platform facts").
        builder.environment().put("OMP_NUM_THREADS", "1");
        return builder.start();
    }

    private static List<String> split(String params) {
        return Arrays.stream(params.trim().split("\\s+")).filter(s -> !s.isEmpty()).collect(Collectors.toList());
    }

    /**
     * Surefire and Failsafe run the tests from a manifest-only jar whose {@code java.class.path} is just that jar;
     * they put the real test classpath in {@code surefire.test.class.path}.
     */
    private static String testClasspath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    /** Stops every JVM it started: TaskManagers first, then the JobManager (SIGTERM, then SIGKILL after 10 s). */
    @Override
    public void close() {
        rest.close();
        for (Process tm : taskManagers) {
            stop(tm);
        }
        taskManagers.clear();
        if (jobManager != null) {
            stop(jobManager);
        }
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** File logging for the cluster JVMs: INFO for the runtime's failover and checkpoint story, WARN elsewhere. */
    private static final String LOG4J = String.join("\n",
            "rootLogger.level = WARN",
            "rootLogger.appenderRef.file.ref = File",
            "appender.file.type = File",
            "appender.file.name = File",
            "appender.file.fileName = ${sys:log.file}",
            "appender.file.layout.type = PatternLayout",
            "appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-40.40c{1.} [%t] %m%n",
            "logger.streamrec.name = org.streamrec",
            "logger.streamrec.level = INFO",
            "logger.checkpoint.name = org.apache.flink.runtime.checkpoint.CheckpointCoordinator",
            "logger.checkpoint.level = INFO",
            "logger.executiongraph.name = org.apache.flink.runtime.executiongraph",
            "logger.executiongraph.level = INFO",
            "logger.jobmaster.name = org.apache.flink.runtime.jobmaster",
            "logger.jobmaster.level = INFO",
            "logger.taskexecutor.name = org.apache.flink.runtime.taskexecutor.TaskExecutor",
            "logger.taskexecutor.level = INFO",
            "logger.rm.name = org.apache.flink.runtime.resourcemanager",
            "logger.rm.level = INFO",
            "");
}
