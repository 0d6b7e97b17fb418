package org.streamrec.tools.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka 4.x broker (KRaft combined mode: broker and controller in one node) running inside
 * this JVM on 127.0.0.1, with a fresh data directory that {@link #close()} deletes. Used by the integration tests
 * and by the embedded local demo, so nothing here may depend on test libraries.
 *
 * <p>Why {@link KafkaRaftServer} and not {@code KafkaClusterTestKit} from {@code kafka-test-common-runtime}: the
 * test kit jar puts JUnit (platform launcher and engine) on the compile classpath, ships its own root
 * {@code log4j2.yaml} that competes with the application's logging configuration, registers a JUnit extension
 * through {@code META-INF/services} and replaces the broker's fatal-fault handling with test fault handlers. For
 * main code that is test baggage. {@code KafkaRaftServer} is the very server class that {@code kafka.Kafka} (the
 * production {@code kafka-server-start.sh} entry point) starts, and {@link Formatter} is what
 * {@code kafka-storage.sh format} runs; together they are the production start-up path, in-process.
 *
 * <p>Caveat inherited from that path: the broker handles a fatal fault (e.g. its data directory vanishing) the
 * way a broker process does, by terminating the process, here the JVM that embeds it.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    private static final int NODE_ID = 1;
    private static final String HOST = "127.0.0.1";
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    /** Ports are chosen free before the broker binds them; another process may take one in between. */
    private static final int START_ATTEMPTS = 3;
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Broker settings for a one-node cluster. The internal topics default to replication factor 3 and 50
     * partitions, which a single node cannot satisfy or creates slowly. Transactions (Flink's exactly-once
     * KafkaSink) need the transaction state log to be creatable with one replica, and a transaction timeout
     * ceiling well above the sink's {@code transaction.timeout.ms} (docs/ARCHITECTURE.md, "Platform facts").
     */
    static Map<String, String> defaultBrokerSettings() {
        Map<String, String> settings = new HashMap<>();
        settings.put("num.partitions", "1");
        settings.put("default.replication.factor", "1");
        settings.put("min.insync.replicas", "1");
        settings.put("offsets.topic.replication.factor", "1");
        settings.put("offsets.topic.num.partitions", "4");
        settings.put("transaction.state.log.replication.factor", "1");
        settings.put("transaction.state.log.min.isr", "1");
        settings.put("transaction.state.log.num.partitions", "4");
        settings.put("share.coordinator.state.topic.replication.factor", "1");
        settings.put("share.coordinator.state.topic.min.isr", "1");
        settings.put("transaction.max.timeout.ms", String.valueOf(Duration.ofHours(1).toMillis()));
        settings.put("group.initial.rebalance.delay.ms", "0");
        // Topics are created explicitly with their partition count and configs; a typo must fail, not create a topic.
        settings.put("auto.create.topics.enable", "false");
        // The log cleaner (needed for compacted topics such as model-updates) reserves 128 MB by default.
        settings.put("log.cleaner.dedupe.buffer.size", String.valueOf(8L * 1024 * 1024));
        // A 2-core machine shared with Flink: the defaults (3 network, 8 I/O threads) only add contention.
        settings.put("num.network.threads", "2");
        settings.put("num.io.threads", "2");
        return settings;
    }

    private final Path dataDir;
    private final KafkaConfig config;
    /** The running server; null between {@link #stopBroker()} and {@link #startBroker()}. */
    private KafkaRaftServer server;
    private final String bootstrapServers;
    private final Admin admin;
    private boolean closed;

    private EmbeddedKafka(Path dataDir, KafkaConfig config, KafkaRaftServer server, String bootstrapServers,
                          Admin admin) {
        this.dataDir = dataDir;
        this.config = config;
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.admin = admin;
    }

    /** Starts a broker with {@link #defaultBrokerSettings()}; returns once it accepts client requests. */
    public static EmbeddedKafka start() {
        return start(Map.of());
    }

    /**
     * Starts a broker whose settings are {@link #defaultBrokerSettings()} overridden by {@code brokerOverrides};
     * returns once it accepts client requests. The node id, roles, listeners, quorum and directories are not
     * overridable: this class chooses them.
     */
    public static EmbeddedKafka start(Map<String, String> brokerOverrides) {
        RuntimeException lastFailure = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            try {
                return startOnce(brokerOverrides);
            } catch (PortTakenException e) {
                LOG.warn("Embedded Kafka start attempt {} lost a port race, retrying with new ports", attempt, e);
                lastFailure = e;
            }
        }
        throw lastFailure;
    }

    private static EmbeddedKafka startOnce(Map<String, String> brokerOverrides) {
        long startNanos = System.nanoTime();
        Path dataDir = createTempDir();
        KafkaRaftServer server = null;
        Admin admin = null;
        try {
            int[] ports = freePorts(2);
            int brokerPort = ports[0];
            int controllerPort = ports[1];
            Path logDir = dataDir.resolve("log");
            Properties props = new Properties();
            props.putAll(defaultBrokerSettings());
            props.putAll(brokerOverrides);
            props.put("process.roles", "broker,controller");
            props.put("node.id", String.valueOf(NODE_ID));
            props.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
            props.put("listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort + ","
                    + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
            props.put("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort);
            props.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
            props.put("controller.listener.names", CONTROLLER_LISTENER);
            props.put("inter.broker.listener.name", BROKER_LISTENER);
            props.put("log.dirs", logDir.toString());
            props.put("metadata.log.dir", logDir.toString());
            KafkaConfig config = new KafkaConfig(props, false);

            format(logDir);
            server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();

            String bootstrapServers = HOST + ":" + brokerPort;
            admin = Admin.create(Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                    AdminClientConfig.CLIENT_ID_CONFIG, "embedded-kafka-admin"));
            awaitBrokerRegistered(admin);
            long brokerUpNanos = System.nanoTime();
            createOffsetsTopic(admin);
            LOG.info("Embedded Kafka {} started in {} ms (broker up after {} ms), data in {}", bootstrapServers,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
                    TimeUnit.NANOSECONDS.toMillis(brokerUpNanos - startNanos), dataDir);
            return new EmbeddedKafka(dataDir, config, server, bootstrapServers, admin);
        } catch (Throwable e) {
            stopQuietly(server, admin, dataDir);
            if (hasCause(e, BindException.class)) {
                throw new PortTakenException(e);
            }
            throw e;
        }
    }

    /**
     * What {@code kafka-storage.sh format -t <cluster id> -c server.properties} does for a node of a static quorum
     * ({@code controller.quorum.voters}): writes meta.properties and the bootstrap metadata into the empty dir.
     */
    private static void format(Path logDir) {
        try {
            new Formatter()
                    .setClusterId(Uuid.randomUuid().toString())
                    .setNodeId(NODE_ID)
                    .setDirectories(List.of(logDir.toString()))
                    .setMetadataLogDirectory(logDir.toString())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .run();
        } catch (Exception e) {
            throw new IllegalStateException("Formatting the embedded Kafka storage in " + logDir + " failed", e);
        }
    }

    private static void awaitBrokerRegistered(Admin admin) {
        long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
        while (true) {
            try {
                if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Embedded Kafka did not answer within " + ADMIN_TIMEOUT, e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for the embedded Kafka", e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Embedded Kafka registered no broker within " + ADMIN_TIMEOUT);
            }
            sleep(Duration.ofMillis(50));
        }
    }

    /**
     * The broker creates {@code __consumer_offsets} only when a group first looks for its coordinator, and until
     * that finishes offset commits fail (Flink's KafkaSource logs each failed commit at checkpoints). Asking for a
     * group's offsets once creates the topic up front; the admin client retries until the coordinator is ready.
     */
    private static void createOffsetsTopic(Admin admin) {
        try {
            admin.listConsumerGroupOffsets("embedded-kafka-startup").partitionsToOffsetAndMetadata()
                    .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("The embedded Kafka's group coordinator did not become available", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the group coordinator", e);
        }
    }

    /** {@code host:port} of the broker listener, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * Creates a topic with one replica and waits until every partition has a leader, so that producers and
     * assigned consumers can use it at once. {@code configs} are topic-level settings, e.g.
     * {@code cleanup.policy=compact} for {@code model-updates}.
     */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        NewTopic topic = new NewTopic(name, partitions, (short) 1).configs(configs);
        try {
            admin.createTopics(List.of(topic)).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            awaitLeaders(name, partitions);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Creating topic " + name + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topic " + name, e);
        }
    }

    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    /** The broker answers describeTopics from its metadata cache, which learns of a new topic a little later. */
    private void awaitLeaders(String name, int partitions)
            throws ExecutionException, TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
        while (true) {
            try {
                TopicDescription description = admin.describeTopics(List.of(name)).allTopicNames()
                        .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(name);
                List<TopicPartitionInfo> infos = description.partitions();
                if (infos.size() == partitions
                        && infos.stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("Partitions of " + name + " have no leader after " + ADMIN_TIMEOUT);
            }
            sleep(Duration.ofMillis(20));
        }
    }

    /**
     * Stops the broker the way {@code kafka-server-stop.sh} stops a broker process (controlled shutdown), keeping its
     * data directory, cluster id and ports, so {@link #startBroker()} brings the same broker back. Clients see the
     * broker go away and retry. For fault-injection tests.
     */
    public synchronized void stopBroker() {
        if (closed || server == null) {
            throw new IllegalStateException("The broker is not running: " + this);
        }
        long startNanos = System.nanoTime();
        server.shutdown();
        server.awaitShutdown();
        server = null;
        LOG.info("Embedded Kafka {} stopped for a restart in {} ms, data kept in {}", bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), dataDir);
    }

    /**
     * Starts the broker stopped by {@link #stopBroker()} again, with the same configuration, ports and log
     * directory (not formatted again: topics, offsets and transaction state survive), and returns once it answers.
     * The ports were released by the stop; should another process have taken one meanwhile, this fails.
     */
    public synchronized void startBroker() {
        if (closed || server != null) {
            throw new IllegalStateException("The broker is not stopped: " + this);
        }
        long startNanos = System.nanoTime();
        KafkaRaftServer restarted = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            restarted.startup();
        } catch (RuntimeException e) {
            stopQuietly(restarted, null, null);
            throw e;
        }
        server = restarted;
        awaitBrokerRegistered(admin);
        LOG.info("Embedded Kafka {} restarted in {} ms", bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }

    /** The data directory, deleted by {@link #close()}. */
    public Path dataDir() {
        return dataDir;
    }

    /** Stops the broker, waits for its threads to end and deletes its data directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long startNanos = System.nanoTime();
        stopQuietly(server, admin, dataDir);
        LOG.info("Embedded Kafka {} stopped in {} ms", bootstrapServers,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }

    private static void stopQuietly(KafkaRaftServer server, Admin admin, Path dataDir) {
        if (admin != null) {
            Utils.closeQuietly(admin, "embedded Kafka admin client");
        }
        if (server != null) {
            try {
                server.shutdown();
                server.awaitShutdown();
            } catch (RuntimeException e) {
                LOG.warn("Embedded Kafka did not shut down cleanly", e);
            }
        }
        if (dataDir == null) {
            return;
        }
        try {
            Utils.delete(dataDir.toFile());
        } catch (IOException e) {
            LOG.warn("Could not delete embedded Kafka data directory {}", dataDir, e);
        }
    }

    private static Path createTempDir() {
        try {
            return Files.createTempDirectory("streamrec-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a data directory for the embedded Kafka", e);
        }
    }

    /**
     * {@code count} distinct free ports on 127.0.0.1 (also for the test's standalone Flink cluster). Every socket
     * stays open until all are chosen: one at a time, the OS may hand out a just-closed port again, and a broker and
     * controller on one port fail KafkaConfig's check (seen once in a load test), which is not a bind error and so not
     * retried.
     */
    public static int[] freePorts(int count) {
        List<ServerSocket> sockets = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0, 1, InetAddress.getByName(HOST)));
            }
            return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port on " + HOST, e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // it was only held to keep its port from the next pick
                }
            }
        }
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    private static final class PortTakenException extends RuntimeException {
        PortTakenException(Throwable cause) {
            super("A port chosen for the embedded Kafka was taken before the broker could bind it", cause);
        }
    }

    @Override
    public String toString() {
        return "EmbeddedKafka[" + bootstrapServers + ", " + dataDir + (closed ? ", closed]" : "]");
    }
}
