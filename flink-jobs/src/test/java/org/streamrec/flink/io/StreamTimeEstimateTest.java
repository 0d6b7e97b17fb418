package org.streamrec.flink.io;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StreamTimeEstimateTest {

    private static final long NOW = 1_795_435_200_000L;

    @Test
    void theFirstEventIsItsOwnEstimateAndAnEvenCountTakesTheLowerMedian() {
        StreamTimeEstimate estimate = new StreamTimeEstimate();
        assertThat(estimate.isEmpty()).isTrue();
        estimate.observe(NOW + 360_000, NOW);
        assertThat(estimate.medianLeadMillis()).isEqualTo(360_000);
        estimate.observe(NOW + 3_600_000, NOW);
        assertThat(estimate.medianLeadMillis()).isEqualTo(360_000);
        assertThat(estimate.streamTimeMillis(NOW + 1_000)).isEqualTo(NOW + 361_000);
    }

    @Test
    void aMinorityCannotMoveTheMedianOfAFullWindow() {
        StreamTimeEstimate estimate = new StreamTimeEstimate();
        for (int i = 0; i < 10 * StreamTimeEstimate.WINDOW; i++) {
            // 40% far-future garbage, spread so that every window holds about as much.
            estimate.observe(NOW + (i % 5 < 3 ? 0 : Long.MAX_VALUE / 2), NOW);
        }
        assertThat(estimate.medianLeadMillis()).isZero();
    }

    @Test
    void theEstimateFollowsTheStreamWithinAWindowAndNeverWrapsAround() {
        StreamTimeEstimate estimate = new StreamTimeEstimate();
        for (int i = 0; i < StreamTimeEstimate.WINDOW; i++) {
            estimate.observe(NOW - 1_000, NOW);
        }
        for (int i = 0; i < StreamTimeEstimate.WINDOW; i++) {
            estimate.observe(NOW + 360_000, NOW);
        }
        assertThat(estimate.medianLeadMillis()).isEqualTo(360_000);
        for (int i = 0; i < StreamTimeEstimate.WINDOW; i++) {
            estimate.observe(Long.MAX_VALUE, -NOW);
        }
        assertThat(estimate.medianLeadMillis()).isEqualTo(Long.MAX_VALUE);
        assertThat(estimate.streamTimeMillis(NOW)).isEqualTo(Long.MAX_VALUE);
    }
}
