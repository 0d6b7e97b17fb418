package org.streamrec.flink.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;

import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.EventType;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.ClickEventRules;

/** The "too far ahead" rule of {@link DecodeAndValidate} with a skewed clock of the decoding subtask. */
class DecodeAndValidateClockSkewTest {

    private static final Instant START = Instant.parse("2026-11-23T12:00:00Z");
    private static final Duration SIX_MINUTES_SLOW = Duration.ofMinutes(-6);

    private final AvroCodec<ClickEvent> codec = AvroCodec.clickEvents();
    private final Random random = new Random(20261123L);
    private long offset;

    @Test
    void aSubtaskWhoseClockIsSixMinutesSlowAcceptsTheLiveStreamFromItsFirstEvent() throws Exception {
        ManualClock clock = new ManualClock(START.plus(SIX_MINUTES_SLOW));
        try (Subtask subtask = new Subtask(ClickEventRules.defaults().withClock(clock))) {
            for (int i = 0; i < 1_000; i++) {
                // Live traffic: a few hundred ms of lag, 100 ms between events; the true time is the clock + 6 min.
                Instant trueNow = clock.instant().minus(SIX_MINUTES_SLOW);
                subtask.send(event("e" + i, trueNow.minusMillis(random.nextInt(500))));
                clock.advance(Duration.ofMillis(100));
            }
            assertThat(subtask.deadLetters()).isEmpty();
            assertThat(subtask.accepted()).hasSize(1_000);
        }
    }

    @Test
    void aLoneFarFutureEventAmongLiveOnesIsStillRejectedWithTheClockAndTheStreamTimeNamed() throws Exception {
        ManualClock clock = new ManualClock(START.plus(SIX_MINUTES_SLOW));
        try (Subtask subtask = new Subtask(ClickEventRules.defaults().withClock(clock))) {
            Instant trueNow = START;
            for (int i = 0; i < 600; i++) {
                trueNow = clock.instant().minus(SIX_MINUTES_SLOW);
                subtask.send(event("e" + i, trueNow.minusMillis(random.nextInt(500))));
                if (i == 300) {
                    subtask.send(event("hour-ahead", trueNow.plus(Duration.ofHours(1))));
                    subtask.send(event("micros", Instant.ofEpochMilli(trueNow.toEpochMilli() * 1000)));
                    subtask.send(event("wrong-year", trueNow.plus(Duration.ofDays(365))));
                }
                clock.advance(Duration.ofMillis(100));
            }
            assertThat(subtask.accepted()).hasSize(600).doesNotContain("hour-ahead", "micros", "wrong-year");
            assertThat(subtask.deadLetters()).extracting(d -> utf8(d.getKey()))
                    .containsExactly("hour-ahead", "micros", "wrong-year");
            assertThat(subtask.deadLetters()).extracting(DeadLetter::getErrorCode).containsOnly("INVALID_FIELD");
            assertThat(subtask.deadLetters().get(0).getReason())
                    .contains("is more than PT5M ahead of the clock and of the stream time", "clock 2026-11-23T11:",
                            "stream time 2026-11-23T12:", "at most PT15M past the clock");
        }
    }

    @Test
    void aFarFutureMinorityDoesNotMoveTheStreamTimeAndAMajorityMovesItNoFurtherThanTheTolerance() throws Exception {
        ManualClock clock = new ManualClock(START);
        try (Subtask subtask = new Subtask(ClickEventRules.defaults().withClock(clock))) {
            // 45% of the events an hour ahead, on a correct clock: the median stays with the honest 55%.
            for (int i = 0; i < 2_000; i++) {
                boolean ahead = i % 20 < 9;
                subtask.send(event((ahead ? "ahead-" : "e") + i, clock.instant().plus(ahead ? Duration.ofHours(1)
                        : Duration.ofMillis(-random.nextInt(500)))));
                // Probes just beyond what the clock alone allows, which a moved stream time would accept.
                if (i % 100 == 99) {
                    subtask.send(event("probe-" + i, clock.instant().plus(Duration.ofMinutes(6))));
                }
                clock.advance(Duration.ofMillis(100));
            }
            assertThat(subtask.accepted()).hasSize(1_100).allMatch(id -> id.startsWith("e"));
            assertThat(subtask.deadLetters()).hasSize(900 + 20);
        }
        try (Subtask subtask = new Subtask(ClickEventRules.defaults().withClock(clock))) {
            // 60% an hour ahead: they carry the median, but it counts for at most 15 min past the clock.
            for (int i = 0; i < 2_000; i++) {
                boolean ahead = i % 5 < 3;
                subtask.send(event((ahead ? "ahead-" : "e") + i, clock.instant().plus(ahead ? Duration.ofHours(1)
                        : Duration.ZERO)));
                if (i % 100 == 99) {
                    subtask.send(event("within-" + i, clock.instant().plus(Duration.ofMinutes(19))));
                    subtask.send(event("beyond-" + i, clock.instant().plus(Duration.ofMinutes(21))));
                }
                clock.advance(Duration.ofMillis(100));
            }
            assertThat(subtask.accepted()).filteredOn(id -> id.startsWith("ahead-") || id.startsWith("beyond-"))
                    .isEmpty();
            assertThat(subtask.accepted()).filteredOn(id -> id.startsWith("within-")).hasSize(20);
        }
    }

    @Test
    void aStreamBehindTheClockLeavesTheClockAloneAsTheReference() throws Exception {
        ManualClock clock = new ManualClock(START);
        try (Subtask subtask = new Subtask(ClickEventRules.defaults().withClock(clock))) {
            // A backlog an hour old, as after an outage: the limit stays clock + 5 min, exactly.
            for (int i = 0; i < 300; i++) {
                subtask.send(event("old-" + i, clock.instant().minus(Duration.ofHours(1))));
            }
            subtask.send(event("at-limit", clock.instant().plus(Duration.ofMinutes(5))));
            subtask.send(event("past-limit", clock.instant().plus(Duration.ofMinutes(5)).plusMillis(1)));
            assertThat(subtask.accepted()).contains("at-limit").doesNotContain("past-limit");
            assertThat(subtask.deadLetters()).extracting(d -> utf8(d.getKey())).containsExactly("past-limit");
        }
    }

    @Test
    void zeroToleranceJudgesAgainstTheClockAloneAsBefore() throws Exception {
        ManualClock clock = new ManualClock(START.plus(SIX_MINUTES_SLOW));
        ClickEventRules clockOnly = ClickEventRules.of(ClickEventRules.DEFAULT_EARLIEST_EVENT_TIME,
                ClickEventRules.DEFAULT_MAX_AHEAD, Duration.ZERO).withClock(clock);
        try (Subtask subtask = new Subtask(clockOnly)) {
            for (int i = 0; i < 100; i++) {
                subtask.send(event("e" + i, clock.instant().minus(SIX_MINUTES_SLOW)));
                clock.advance(Duration.ofMillis(100));
            }
            assertThat(subtask.accepted()).isEmpty();
            assertThat(subtask.deadLetters()).hasSize(100).allSatisfy(d -> assertThat(d.getReason())
                    .contains("is more than PT5M ahead of the clock (latest accepted").doesNotContain("stream"));
        }
    }

    private static String utf8(java.nio.ByteBuffer buffer) {
        java.nio.ByteBuffer b = buffer.duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static ClickEvent event(String id, Instant time) {
        return ClickEvent.newBuilder().setEventId(id).setUserId("u").setItemId("i").setEventType(EventType.CLICK)
                .setEventTime(time).build();
    }

    /** One DecodeAndValidate subtask in a test harness. */
    private final class Subtask implements AutoCloseable {
        private final OneInputStreamOperatorTestHarness<RawRecord, ClickEvent> harness;

        Subtask(ClickEventRules rules) throws Exception {
            harness = new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new DecodeAndValidate(rules)));
            harness.open();
        }

        void send(ClickEvent event) throws Exception {
            harness.processElement(new StreamRecord<>(new RawRecord("events", 0, offset++, 5,
                    event.getEventId().getBytes(StandardCharsets.UTF_8), codec.encode(event))));
        }

        List<String> accepted() {
            return harness.extractOutputValues().stream().map(ClickEvent::getEventId).toList();
        }

        List<DeadLetter> deadLetters() {
            return harness.getSideOutput(DecodeAndValidate.DEAD_LETTERS) == null ? List.of()
                    : harness.getSideOutput(DecodeAndValidate.DEAD_LETTERS).stream().map(StreamRecord::getValue).toList();
        }

        @Override
        public void close() throws Exception {
            harness.close();
        }
    }

    /** A clock the test moves; serializable because the rules that carry it are. */
    static final class ManualClock extends Clock implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private Instant now;

        ManualClock(Instant now) {
            this.now = now;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
