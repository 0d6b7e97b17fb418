package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.tools.kafka.KafkaBrokerExtension;

/**
 * An upgrade: the running job is stopped with a savepoint while events keep arriving, a newer model version is
 * announced, and a changed job (what a newer jar would bring: another configuration and another operator code path,
 * here {@code --exclude-seen} on, a smaller batch and a shorter item history, all operator uids unchanged) starts from
 * the savepoint. Counted by event id over both runs, the committed output holds every event exactly once; the new
 * job swaps to the new model and no user goes back to the old one.
 */
@Tag("e2e")
class SavepointUpgradeIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @Test
    void stopWithSavepointAndRestartWithANewerModelAndChangedJobLosesAndDoublesNothing(@TempDir Path dir)
            throws Exception {
        FaultScenario sc = new FaultScenario(KAFKA, "savepoint", 10, 120);
        int quarter = sc.records.size() / 4;

        StreamExecutionEnvironment before = FaultEnvironments.miniCluster(sc.config, dir, new Configuration());
        sc.job().build(before);
        JobClient first = before.executeAsync("savepoint-before");
        sc.produce(0, 2 * quarter);
        sc.awaitCommittedOutput(1, Duration.ofSeconds(60));
        CompletableFuture<Void> arriving = sc.produceInBackground(2 * quarter, 3 * quarter);
        Thread.sleep(500);
        String savepoint = first.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
        arriving.get(60, TimeUnit.SECONDS);
        System.out.printf("[fault-counts] savepoint: stopped with savepoint %s%n", savepoint);

        sc.announce(2, "mem://v2");
        RecommenderConfig upgraded = RecommenderConfig.parse(sc.flags(
                "--exclude-seen", "--batch-max-size", "4", "--max-session-items", "3"));
        Configuration restore = new Configuration();
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        StreamExecutionEnvironment after = FaultEnvironments.miniCluster(upgraded, dir, restore);
        FaultScenario.job(upgraded).build(after);
        JobClient second = after.executeAsync("savepoint-after");
        try {
            // The backlog (events sent while no job ran) answered first: the restored job and both its sources run,
            // so the announcement is being read while the rest of the stream arrives.
            sc.awaitCommittedOutput(3 * quarter, Duration.ofSeconds(120));
            sc.produce(3 * quarter, sc.records.size());
            List<Recommendation> recs = sc.committedRecommendations(Duration.ofSeconds(120));
            OutputCounts counts = sc.count("exactly-once across stop-with-savepoint and an upgraded restart", recs);
            assertThat(counts.missing()).as("missing").isZero();
            assertThat(counts.duplicated()).as("duplicated").isZero();
            assertThat(counts.unexpected()).as("unexpected").isZero();
            assertThat(FaultScenario.outputOrderByUser(recs)).isEqualTo(sc.inputOrderByUser());

            Map<String, ClickEvent> byId = new HashMap<>();
            sc.events.forEach(e -> byId.put(e.getEventId(), e));
            long onV2 = recs.stream().filter(r -> r.getModelVersion() == 2).count();
            System.out.printf("[fault-counts] savepoint: %d of %d recommendations by model version 2 after the restart%n",
                    onV2, recs.size());
            assertThat(onV2).as("answers of the new model version").isPositive();
            // Per user, once version 2 answered, version 1 never answers again.
            Map<String, Long> lastVersion = new HashMap<>();
            for (Recommendation r : recs) {
                long previous = lastVersion.getOrDefault(r.getUserId(), 0L);
                assertThat(r.getModelVersion()).as("version for %s", r.getTriggeringEventId()).isGreaterThanOrEqualTo(previous);
                lastVersion.put(r.getUserId(), r.getModelVersion());
            }
            // The changed code path is live: version 2 answers never recommend the item the user just viewed.
            assertThat(recs.stream().filter(r -> r.getModelVersion() == 2)).allSatisfy(r ->
                    assertThat(r.getItems()).extracting(RecommendedItem::getItemId)
                            .doesNotContain(byId.get(r.getTriggeringEventId()).getItemId()));
        } finally {
            second.cancel().get(60, TimeUnit.SECONDS);
        }
    }
}
