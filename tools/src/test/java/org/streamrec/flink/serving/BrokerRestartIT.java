package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.Recommendation;
import org.streamrec.tools.kafka.KafkaBrokerExtension;

/**
 * The Kafka broker (the job's only broker: events, model updates, recommendations, dead letters, transactions and
 * consumer offsets) is stopped while events are arriving and started again on the same port and log directory
 * ({@link org.streamrec.tools.kafka.EmbeddedKafka#stopBroker()}). The job on a MiniCluster with RocksDB rides it out
 * (clients retry; failed checkpoints or a failover restore from the last completed checkpoint), and the committed
 * output is counted by event id: exactly-once has nothing missing and nothing doubled; at-least-once has nothing
 * missing, and its duplicates are printed.
 */
@Tag("e2e")
class BrokerRestartIT {

    /** Long enough for every client's in-flight request to fail and for checkpoints to time out or fail. */
    private static final Duration DOWNTIME = Duration.ofSeconds(6);

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @Test
    void exactlyOnceLosesAndDoublesNothingAcrossABrokerRestart(@TempDir Path dir, @InjectMiniCluster MiniCluster cluster)
            throws Exception {
        FaultScenario sc = new FaultScenario(KAFKA, "broker-eo", 10, 120);
        List<Recommendation> recs = runWithBrokerRestart(sc, dir, cluster);
        OutputCounts counts = sc.count("exactly-once across a broker restart", recs);
        assertThat(counts.missing()).as("missing").isZero();
        assertThat(counts.duplicated()).as("duplicated").isZero();
        assertThat(counts.unexpected()).as("unexpected").isZero();
        assertThat(FaultScenario.outputOrderByUser(recs)).isEqualTo(sc.inputOrderByUser());
    }

    @Test
    void atLeastOnceLosesNothingAcrossABrokerRestartAndReportsDuplicates(@TempDir Path dir,
                                                                         @InjectMiniCluster MiniCluster cluster)
            throws Exception {
        FaultScenario sc = new FaultScenario(KAFKA, "broker-alo", 10, 120, "--delivery-guarantee", "at-least-once");
        List<Recommendation> recs = runWithBrokerRestart(sc, dir, cluster);
        OutputCounts counts = sc.count("at-least-once across a broker restart", recs);
        assertThat(counts.missing()).as("missing").isZero();
        assertThat(counts.unexpected()).as("unexpected").isZero();
        assertThat(counts.total()).isEqualTo(counts.expected() + counts.duplicated());
    }

    private static List<Recommendation> runWithBrokerRestart(FaultScenario sc, Path dir, MiniCluster cluster)
            throws Exception {
        StreamExecutionEnvironment env = FaultEnvironments.miniCluster(sc.config, dir, new Configuration());
        sc.job().build(env);
        JobClient client = env.executeAsync(sc.name);
        try {
            int third = sc.records.size() / 3;
            sc.produce(0, third);
            sc.awaitCommittedOutput(1, Duration.ofSeconds(60));

            CompletableFuture<Void> arriving = sc.produceInBackground(third, 2 * third);
            Thread.sleep(500);
            long stoppedAt = System.nanoTime();
            KAFKA.broker().stopBroker();
            Thread.sleep(DOWNTIME.toMillis());
            KAFKA.broker().startBroker();
            arriving.get(120, TimeUnit.SECONDS);
            sc.produce(2 * third, sc.records.size());

            List<Recommendation> recs = sc.committedRecommendations(Duration.ofSeconds(120));
            URI rest = cluster.getRestAddress().get();
            System.out.printf("[fault-counts] %s: broker down %d s; all output committed %d ms after the stop; "
                            + "job failures: %s%n", sc.name, DOWNTIME.toSeconds(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt),
                    FaultEnvironments.jobFailures(rest, client.getJobID()));
            return recs;
        } finally {
            client.cancel().get(60, TimeUnit.SECONDS);
        }
    }
}
