package org.streamrec.tools.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ModelAnnouncement;

/** The benchmark's freshness arithmetic on a hand-checked timeline. */
class TrainerBenchmarkFreshnessTest {

    private static ModelUpdatesMonitor.Seen announced(long version, long maxEventTime, long createdMillis) {
        return new ModelUpdatesMonitor.Seen(ModelAnnouncement.newBuilder().setVersion(version).setParentVersion(version - 1)
                .setSnapshotUri("file:///v" + version).setChecksum("x").setItemCount(1).setTrainingEventsSeen(0)
                .setCreatedTime(Instant.ofEpochMilli(createdMillis))
                .setMetrics(Map.of("maxEventTimeMillis", (double) maxEventTime)).build(), createdMillis + 10);
    }

    @Test
    void eachEventIsTimedToTheFirstAnswerByTheFirstVersionTrainedOnIt() {
        // Events with event times 1..5, sent at 1,000 ms intervals from t = 10,000.
        long[] sent = {10_000, 11_000, 12_000, 13_000, 14_000};
        long[] eventTimes = {1, 2, 3, 4, 5};
        // v2 is trained up to event 2 (created at 12,500), v3 up to event 4 (created at 15,000); nothing covers event 5.
        List<ModelUpdatesMonitor.Seen> versions = List.of(announced(2, 2, 12_500), announced(3, 4, 15_000));
        // The output shows v2 first at 13,500 and v3 first at 16,000.
        Map<Long, Long> firstEmit = Map.of(1L, 10_100L, 2L, 13_500L, 3L, 16_000L);

        TrainerBenchmark.Freshness f = TrainerBenchmark.freshness(versions, firstEmit, sent, eventTimes, 5);

        // Event 1: 13.5 - 10 = 3.5 s; event 2: 2.5 s; event 3: 16 - 12 = 4 s; event 4: 3 s.
        assertThat(f.events()).isEqualTo(4);
        assertThat(f.notServed()).isEqualTo(1);
        assertThat(f.p50()).isEqualTo(3.0);
        assertThat(f.max()).isEqualTo(4.0);
        assertThat(f.meanToSnapshot()).isCloseTo((2.5 + 1.5 + 3 + 2) / 4, within(1e-9));
        assertThat(f.meanSnapshotToServed()).isCloseTo((1 + 1 + 1 + 1) / 4.0, within(1e-9));
    }

    @Test
    void aVersionFirstSeenAfterANewerOneCountsAsServedWhenTheNewerOneWas() {
        long[] sent = {0};
        long[] eventTimes = {1};
        // v2 never answered on its own (the serving job went straight to v3).
        TrainerBenchmark.Freshness f = TrainerBenchmark.freshness(
                List.of(announced(2, 1, 500), announced(3, 1, 900)), Map.of(1L, 0L, 3L, 2_000L), sent, eventTimes, 1);
        assertThat(f.events()).isEqualTo(1);
        assertThat(f.max()).isEqualTo(2.0);
    }
}
