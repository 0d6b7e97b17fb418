package org.streamrec.avro.codec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.EventType;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.ServingControl;
import org.streamrec.avro.ServingControlCommand;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.RecommendedItem;

/** One realistic record of each topic, with every optional field set unless a test says otherwise. */
final class SampleRecords {

  static final Instant EVENT_TIME = Instant.parse("2026-11-23T10:15:30.123Z");

  private SampleRecords() {
  }

  static ClickEvent.Builder clickEvent() {
    return ClickEvent.newBuilder()
        .setEventId("evt-000042")
        .setUserId("user-7")
        .setSessionId("sess-3")
        .setItemId("item-214839875")
        .setEventType(EventType.ADD_TO_CART)
        .setEventTime(EVENT_TIME)
        .setContext(Map.of("page", "product", "device", "mobile"));
  }

  static Recommendation recommendation() {
    return Recommendation.newBuilder()
        .setTriggeringEventId("evt-000042")
        .setUserId("user-7")
        .setSessionId("sess-3")
        .setItems(List.of(new RecommendedItem("item-1", 0.42f), new RecommendedItem("item-2", 0.17f),
            new RecommendedItem("item-3", -1.5f)))
        .setModelVersion(12)
        .setStrategy(RecommendationStrategy.FALLBACK)
        .setEventTime(EVENT_TIME)
        .setEmitTime(EVENT_TIME.plusMillis(3))
        .build();
  }

  static ModelAnnouncement modelAnnouncement() {
    return ModelAnnouncement.newBuilder()
        .setVersion(13)
        .setParentVersion(12L)
        .setSnapshotUri("file:///var/streamrec/models/13")
        .setChecksum("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
        .setItemCount(37_483)
        .setTrainingEventsSeen(8_000_000_000L)
        .setCreatedTime(EVENT_TIME)
        .setMetrics(Map.of("offline.recall@20", 0.6271, "online.hr@20", 0.58))
        .build();
  }

  static ServingControl deleteUser() {
    return ServingControl.newBuilder()
        .setCommandId("3f2b9a1e-5d1c-4b8e-9a57-0c2f7e6d4b11")
        .setCommand(ServingControlCommand.DELETE_USER)
        .setUserId("user-7")
        .setRequestedBy("privacy-desk")
        .setRequestTime(EVENT_TIME)
        .build();
  }

  static ServingControl pin(long version) {
    return ServingControl.newBuilder()
        .setCommandId("pin-" + version)
        .setCommand(ServingControlCommand.PIN_MODEL_VERSION)
        .setModelVersion(version)
        .setRequestedBy("on-call")
        .setRequestTime(EVENT_TIME)
        .build();
  }

  static DeadLetter deadLetter() {
    return DeadLetter.newBuilder()
        .setSourceTopic("events")
        .setSourcePartition(3)
        .setSourceOffset(1_234_567L)
        .setKey(ByteBuffer.wrap("user-7".getBytes(StandardCharsets.UTF_8)))
        .setPayload(ByteBuffer.wrap(new byte[] {(byte) 0xC3, 0x01, 0x00, (byte) 0xFF}))
        .setErrorCode(DecodeError.TRUNCATED.name())
        .setReason("payload of 4 bytes ends inside the 10-byte single-object header")
        .setFailedAt(EVENT_TIME)
        .build();
  }
}
