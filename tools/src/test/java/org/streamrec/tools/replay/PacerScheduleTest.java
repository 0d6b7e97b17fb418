package org.streamrec.tools.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pacers' schedules on virtual time: when each event is released, relative to the first. */
class PacerScheduleTest {

    private static final long START = 1_000_000_000_000L;
    private static final long MS = 1_000_000L;

    private static List<Long> releaseTimes(Pacer pacer, FakeTicker ticker, long... effectiveTimes) throws InterruptedException {
        List<Long> released = new ArrayList<>();
        for (long t : effectiveTimes) {
            pacer.awaitTurn(t);
            released.add(ticker.nanoTime() - START);
        }
        return released;
    }

    @Test
    void tokenBucketReleasesOneEventPerIntervalStartingAtOnce() throws InterruptedException {
        FakeTicker ticker = new FakeTicker(START);
        TokenBucketPacer pacer = new TokenBucketPacer(4, 1, ticker);

        assertThat(releaseTimes(pacer, ticker, 0, 0, 0, 0, 0))
                .containsExactly(0L, 250 * MS, 500 * MS, 750 * MS, 1000 * MS);
    }

    @Test
    void tokenBucketDoesNotDriftWithAnIntervalThatIsNoWholeNumberOfNanoseconds() throws InterruptedException {
        FakeTicker ticker = new FakeTicker(START);
        TokenBucketPacer pacer = new TokenBucketPacer(3, 1, ticker);

        long[] times = new long[300_001];
        List<Long> released = releaseTimes(pacer, ticker, times);

        // Adding a rounded interval of 333,333,333 ns each time would be 100 ms early after 300,000 events.
        assertThat(released.get(300_000)).isEqualTo(100_000L * 1_000_000_000L);
        assertThat(released.get(1)).isEqualTo(333_333_333L);
        assertThat(released.get(2)).isEqualTo(666_666_667L);
    }

    @Test
    void sleepOvershootIsAbsorbedNotAccumulated() throws InterruptedException {
        FakeTicker ticker = new FakeTicker(START);
        ticker.overshootEverySleepBy(3 * MS);
        TokenBucketPacer pacer = new TokenBucketPacer(100, 5, ticker);

        List<Long> released = releaseTimes(pacer, ticker, new long[1001]);

        // Each sleep ends 3 ms late, but the next one is shorter by as much: event n still goes out at n x 10 ms + 3 ms.
        assertThat(released.get(1000)).isEqualTo(10_000 * MS + 3 * MS);
        assertThat(pacer.reanchorings()).isZero();
    }

    @Test
    void afterAStallTheBucketReleasesAtMostItsBurstAtOnceThenKeepsTheRate() throws InterruptedException {
        FakeTicker ticker = new FakeTicker(START);
        TokenBucketPacer pacer = new TokenBucketPacer(10, 3, ticker);
        assertThat(releaseTimes(pacer, ticker, 0, 0)).containsExactly(0L, 100 * MS);

        ticker.advance(2_000 * MS); // a 2 s stall: 20 tokens would have accrued, the bucket holds 3
        assertThat(releaseTimes(pacer, ticker, 0, 0, 0, 0, 0))
                .containsExactly(2_100 * MS, 2_100 * MS, 2_100 * MS, 2_200 * MS, 2_300 * MS);
        assertThat(pacer.reanchorings()).isEqualTo(1);
    }

    @Test
    void aShortDelayWithinTheBurstIsCaughtUpWithoutMovingTheSchedule() throws InterruptedException {
        FakeTicker ticker = new FakeTicker(START);
        TokenBucketPacer pacer = new TokenBucketPacer(10, 5, ticker);
        releaseTimes(pacer, ticker, 0);
        ticker.advance(250 * MS); // behind by 1.5 intervals

        assertThat(releaseTimes(pacer, ticker, 0, 0, 0, 0))
                .containsExactly(250 * MS, 250 * MS, 300 * MS, 400 * MS);
        assertThat(pacer.reanchorings()).isZero();
    }

    @Test
    void eventTimePacerFollowsTheDatasetsOwnGapsScaledBySpeedup() throws InterruptedException {
        FakeTicker ticker = new FakeTicker(START);
        EventTimePacer pacer = new EventTimePacer(60, ticker);

        // Event times in ms: 1 min, 1 min, 3 min, 1 h after the first; at 60x they are 1 s, 1 s, 3 s, 60 s.
        List<Long> released = releaseTimes(pacer, ticker,
                1_396_000_000_000L, 1_396_000_060_000L, 1_396_000_060_000L, 1_396_000_180_000L, 1_396_003_600_000L);

        assertThat(released).containsExactly(0L, 1_000 * MS, 1_000 * MS, 3_000 * MS, 60_000 * MS);
    }

    @Test
    void eventTimePacerCatchesUpWhenBehind() throws InterruptedException {
        FakeTicker ticker = new FakeTicker(START);
        EventTimePacer pacer = new EventTimePacer(1, ticker);
        releaseTimes(pacer, ticker, 0);
        ticker.advance(5_000 * MS);

        assertThat(releaseTimes(pacer, ticker, 1_000, 4_000, 6_000)).containsExactly(5_000 * MS, 5_000 * MS, 6_000 * MS);
    }

    @Test
    void unpacedNeverSleeps() throws InterruptedException {
        FakeTicker ticker = new FakeTicker(START);
        assertThat(releaseTimes(Pacer.unpaced(), ticker, 0, 5, 1_000_000)).containsOnly(0L);
        assertThat(ticker.sleeps).isEmpty();
    }

    @Test
    void rejectsRatesAndBurstsThatMakeNoSchedule() {
        FakeTicker ticker = new FakeTicker(START);
        assertThatThrownBy(() -> new TokenBucketPacer(0, 1, ticker)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucketPacer(Double.NaN, 1, ticker)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucketPacer(10, 0, ticker)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new EventTimePacer(-1, ticker)).isInstanceOf(IllegalArgumentException.class);
        assertThat(TokenBucketPacer.defaultBurst(0.5)).isEqualTo(1);
        assertThat(TokenBucketPacer.defaultBurst(5_000)).isEqualTo(500);
    }
}
