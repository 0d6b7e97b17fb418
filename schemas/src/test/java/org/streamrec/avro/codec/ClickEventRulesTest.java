package org.streamrec.avro.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.codec.DecodeResult.Decoded;
import org.streamrec.avro.codec.DecodeResult.Failed;

class ClickEventRulesTest {

  private final AvroCodec<ClickEvent> codec = AvroCodec.clickEvents();

  @Test
  void validEventPassesUnchanged() {
    ClickEvent event = SampleRecords.clickEvent().build();
    assertThat(codec.validate(event)).isEqualTo(new Decoded<>(event));
  }

  @Test
  void absentSessionIdAndContextAreValid() {
    assertThat(codec.validate(SampleRecords.clickEvent().setSessionId(null).setContext(null).build()))
        .isInstanceOf(Decoded.class);
  }

  @Test
  void idsOfExactlyTheLimitAreValid() {
    String longest = "x".repeat(ClickEventRules.MAX_ID_LENGTH);
    ClickEvent event = SampleRecords.clickEvent().setEventId(longest).setUserId(longest).setSessionId(longest)
        .setItemId(longest).build();
    assertThat(codec.validate(event)).isInstanceOf(Decoded.class);
  }

  @Test
  void idOneCharOverTheLimitIsInvalid() {
    String tooLong = "x".repeat(ClickEventRules.MAX_ID_LENGTH + 1);
    assertInvalid(SampleRecords.clickEvent().setItemId(tooLong).build(), "itemId has 257 chars (limit 256)");
    assertInvalid(SampleRecords.clickEvent().setSessionId(tooLong).build(), "sessionId has 257 chars");
  }

  @Test
  void blankIdsAreInvalid() {
    assertInvalid(SampleRecords.clickEvent().setEventId("").build(), "eventId is blank");
    assertInvalid(SampleRecords.clickEvent().setUserId(" \t\n").build(), "userId is blank");
    assertInvalid(SampleRecords.clickEvent().setSessionId(" ").build(), "sessionId is blank");
    assertInvalid(SampleRecords.clickEvent().setItemId("\u2003").build(), "itemId is blank");
  }

  @Test
  void eventTimeMustNotBeBeforeTheEarliestAcceptedTime() {
    assertInvalid(SampleRecords.clickEvent().setEventTime(Instant.EPOCH).build(), "eventTime 0 ms");
    assertInvalid(SampleRecords.clickEvent().setEventTime(Instant.ofEpochMilli(-1)).build(), "eventTime -1 ms");
    // A 2026 time written in seconds instead of milliseconds lands in January 1970.
    assertInvalid(SampleRecords.clickEvent().setEventTime(Instant.ofEpochMilli(1_795_000_000L)).build(),
        "is before the earliest accepted 1990-01-01T00:00:00Z");
    Instant earliest = ClickEventRules.DEFAULT_EARLIEST_EVENT_TIME;
    assertInvalid(SampleRecords.clickEvent().setEventTime(earliest.minusMillis(1)).build(), "before the earliest");
    assertThat(codec.validate(SampleRecords.clickEvent().setEventTime(earliest).build())).isInstanceOf(Decoded.class);
    // MovieLens ratings start in 1995: historic replays stay valid.
    assertThat(codec.validate(SampleRecords.clickEvent().setEventTime(Instant.parse("1995-01-09T11:46:44Z")).build()))
        .isInstanceOf(Decoded.class);
  }

  @Test
  void eventTimeMayBeAheadOfTheClockByAtMostTheTolerance() {
    Instant now = Instant.parse("2026-11-23T12:00:00Z");
    AvroCodec<ClickEvent> fixed = AvroCodec.clickEvents(ClickEventRules.of(ClickEventRules.DEFAULT_EARLIEST_EVENT_TIME,
        Duration.ofMinutes(5)).withClock(Clock.fixed(now, ZoneOffset.UTC)));
    assertThat(fixed.validate(SampleRecords.clickEvent().setEventTime(now.plus(Duration.ofMinutes(5))).build()))
        .isInstanceOf(Decoded.class);
    DecodeResult<ClickEvent> ahead = fixed.validate(
        SampleRecords.clickEvent().setEventTime(now.plus(Duration.ofMinutes(5)).plusMillis(1)).build());
    assertThat(ahead).isInstanceOf(Failed.class);
    assertThat(((Failed<ClickEvent>) ahead).message()).contains("is more than PT5M ahead of the clock");
    // Microseconds instead of milliseconds: tens of thousands of years ahead.
    assertThat(fixed.validate(SampleRecords.clickEvent().setEventTime(Instant.ofEpochMilli(now.toEpochMilli() * 1000))
        .build())).isInstanceOf(Failed.class);
  }

  @Test
  void aLaterStreamTimeMovesTheReferenceByAtMostTheClockSkewTolerance() {
    Instant clockNow = Instant.parse("2026-11-23T11:54:00Z");
    Instant streamTime = clockNow.plus(Duration.ofMinutes(6));
    ClickEventRules rules = ClickEventRules.defaults();
    ClickEvent live = SampleRecords.clickEvent().setEventTime(streamTime.plusSeconds(1)).build();
    assertThat(rules.check(live, clockNow, streamTime)).isEmpty();
    assertThat(rules.check(live, clockNow, null)).singleElement().asString().contains("ahead of the clock");
    // A stream time behind the clock leaves the clock as the reference.
    ClickEvent atLimit = SampleRecords.clickEvent().setEventTime(clockNow.plus(Duration.ofMinutes(5))).build();
    assertThat(rules.check(atLimit, clockNow, clockNow.minus(Duration.ofHours(1)))).isEmpty();
    assertThat(rules.check(SampleRecords.clickEvent().setEventTime(clockNow.plus(Duration.ofMinutes(5)).plusMillis(1))
        .build(), clockNow, clockNow.minus(Duration.ofHours(1)))).hasSize(1);
    // A stream time an hour ahead counts for the tolerance only: clock + 15 min + 5 min is the latest accepted.
    Instant hourAhead = clockNow.plus(Duration.ofHours(1));
    Instant latest = clockNow.plus(ClickEventRules.DEFAULT_CLOCK_SKEW_TOLERANCE)
        .plus(ClickEventRules.DEFAULT_MAX_AHEAD);
    assertThat(rules.check(SampleRecords.clickEvent().setEventTime(latest).build(), clockNow, hourAhead)).isEmpty();
    assertThat(rules.check(SampleRecords.clickEvent().setEventTime(latest.plusMillis(1)).build(), clockNow, hourAhead))
        .singleElement().asString().contains("is more than PT5M ahead of the clock and of the stream time",
            "latest accepted " + latest, "clock " + clockNow, "stream time " + hourAhead,
            "at most PT15M past the clock");
    // Zero tolerance: the clock alone.
    ClickEventRules clockOnly = ClickEventRules.of(ClickEventRules.DEFAULT_EARLIEST_EVENT_TIME,
        ClickEventRules.DEFAULT_MAX_AHEAD, Duration.ZERO);
    assertThat(clockOnly.check(live, clockNow, streamTime)).hasSize(1);
    assertThatThrownBy(() -> ClickEventRules.of(ClickEventRules.DEFAULT_EARLIEST_EVENT_TIME,
        ClickEventRules.DEFAULT_MAX_AHEAD, Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void timeBoundsAreConfigurable() {
    Instant now = Instant.parse("2026-11-23T12:00:00Z");
    AvroCodec<ClickEvent> strict = AvroCodec.clickEvents(ClickEventRules.of(Instant.parse("2026-01-01T00:00:00Z"),
        Duration.ZERO).withClock(Clock.fixed(now, ZoneOffset.UTC)));
    assertThat(strict.validate(SampleRecords.clickEvent().setEventTime(Instant.parse("2025-12-31T23:59:59Z")).build()))
        .isInstanceOf(Failed.class);
    assertThat(strict.validate(SampleRecords.clickEvent().setEventTime(now.plusMillis(1)).build()))
        .isInstanceOf(Failed.class);
    assertThat(strict.validate(SampleRecords.clickEvent().setEventTime(now).build())).isInstanceOf(Decoded.class);
  }

  @Test
  void everyViolationIsListed() {
    Failed<ClickEvent> failed = assertInvalid(
        SampleRecords.clickEvent().setEventId(" ").setUserId("").setEventTime(Instant.EPOCH).build(),
        "eventId is blank");
    assertThat(failed.message()).contains("userId is blank", "eventTime 0 ms");
  }

  @Test
  void recordWithMissingRequiredFieldsIsInvalidNotAnException() {
    // The no-arg constructor skips the builder's checks, as Avro's reflection-based paths do.
    Failed<ClickEvent> failed = assertInvalid(new ClickEvent(), "eventId is missing");
    assertThat(failed.message()).contains("userId is missing", "itemId is missing", "eventType is missing",
        "eventTime is missing").doesNotContain("sessionId");
  }

  @Test
  void otherTopicsHaveNoFieldRules() {
    assertThat(AvroCodec.recommendations().validate(SampleRecords.recommendation())).isInstanceOf(Decoded.class);
  }

  private Failed<ClickEvent> assertInvalid(ClickEvent event, String messagePart) {
    DecodeResult<ClickEvent> result = codec.validate(event);
    assertThat(result).isInstanceOf(Failed.class);
    Failed<ClickEvent> failed = (Failed<ClickEvent>) result;
    assertThat(failed.error()).isEqualTo(DecodeError.INVALID_FIELD);
    assertThat(failed.message()).contains(messagePart);
    return failed;
  }
}
