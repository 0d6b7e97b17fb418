package org.streamrec.avro.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
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
  void eventTimeMustBeAfterTheEpoch() {
    assertInvalid(SampleRecords.clickEvent().setEventTime(Instant.EPOCH).build(), "eventTime 0 ms");
    assertInvalid(SampleRecords.clickEvent().setEventTime(Instant.ofEpochMilli(-1)).build(), "eventTime -1 ms");
    assertThat(codec.validate(SampleRecords.clickEvent().setEventTime(Instant.ofEpochMilli(1)).build()))
        .isInstanceOf(Decoded.class);
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
