package org.streamrec.flink.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.EventType;
import org.streamrec.avro.codec.AvroCodec;

class DecodeAndValidateTest {

    private final AvroCodec<ClickEvent> codec = AvroCodec.clickEvents();

    private static ClickEvent event(String id, String item) {
        return ClickEvent.newBuilder().setEventId(id).setUserId("u").setItemId(item).setEventType(EventType.CLICK)
                .setEventTime(Instant.parse("2026-11-23T08:00:00Z")).build();
    }

    @Test
    void goodRecordsPassAndEveryBadOneBecomesADeadLetterWithItsBytesCodeAndCoordinates() throws Exception {
        byte[] good = codec.encode(event("e1", "i1"));
        byte[] truncated = Arrays.copyOf(good, 6);
        byte[] blankItem = codec.encode(event("e2", ""));
        byte[] key = "u".getBytes(StandardCharsets.UTF_8);

        try (OneInputStreamOperatorTestHarness<RawRecord, ClickEvent> harness =
                     new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new DecodeAndValidate()))) {
            harness.open();
            harness.setProcessingTime(42);
            harness.processElement(new StreamRecord<>(new RawRecord("events", 2, 10, 5, key, good)));
            harness.processElement(new StreamRecord<>(new RawRecord("events", 2, 11, 5, key, truncated)));
            harness.processElement(new StreamRecord<>(new RawRecord("events", 2, 12, 5, key, blankItem)));
            harness.processElement(new StreamRecord<>(new RawRecord("events", 2, 13, 5, null, null)));
            harness.processElement(new StreamRecord<>(new RawRecord("events", 0, 3, 5, key, codec.encode(event("e3", "i3")))));

            assertThat(harness.extractOutputValues()).extracting(ClickEvent::getEventId).containsExactly("e1", "e3");
            List<DeadLetter> dead = harness.getSideOutput(DecodeAndValidate.DEAD_LETTERS).stream()
                    .map(StreamRecord::getValue).toList();
            assertThat(dead).extracting(DeadLetter::getErrorCode).containsExactly("TRUNCATED", "INVALID_FIELD", "EMPTY");
            assertThat(dead).extracting(DeadLetter::getSourceOffset).containsExactly(11L, 12L, 13L);
            assertThat(dead).allSatisfy(d -> {
                assertThat(d.getSourceTopic()).isEqualTo("events");
                assertThat(d.getSourcePartition()).isEqualTo(2);
                assertThat(d.getFailedAt()).isEqualTo(Instant.ofEpochMilli(42));
                assertThat(d.getReason()).isNotBlank();
            });
            assertThat(bytes(dead.get(0).getPayload())).isEqualTo(truncated);
            assertThat(bytes(dead.get(0).getKey())).isEqualTo(key);
            assertThat(dead.get(1).getReason()).contains("itemId");
            assertThat(dead.get(2).getPayload()).isNull();
            assertThat(dead.get(2).getKey()).isNull();
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
