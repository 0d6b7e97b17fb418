package org.streamrec.flink.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.EventType;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.ClickEventRules;

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
            assertThat(dead).extracting(DeadLetter::getPayloadTruncated).containsOnly(false);
            assertThat(dead).extracting(DeadLetter::getOriginalPayloadSize).containsExactly(truncated.length,
                    blankItem.length, null);
        }
    }

    @Test
    void anOversizedBadRecordBecomesATruncatedDeadLetterAndIsCounted() throws Exception {
        int cap = 100;
        byte[] huge = new byte[1_048_400];
        new java.util.Random(7).nextBytes(huge);
        huge[0] = 0x7B;
        byte[] atCap = Arrays.copyOf(huge, cap);
        byte[] key = "u".getBytes(StandardCharsets.UTF_8);
        InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
        MockEnvironment env = new MockEnvironmentBuilder().setMetricGroup(
                new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
                    @Override
                    public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name,
                                                                       Map<String, String> variables) {
                        return metrics;
                    }
                }).build();

        try (OneInputStreamOperatorTestHarness<RawRecord, ClickEvent> harness = new OneInputStreamOperatorTestHarness<>(
                new ProcessOperator<>(new DecodeAndValidate(ClickEventRules.defaults(), cap)), env)) {
            harness.open();
            harness.processElement(new StreamRecord<>(new RawRecord("events", 0, 1, 5, key, huge)));
            harness.processElement(new StreamRecord<>(new RawRecord("events", 0, 2, 5, key, atCap)));
            harness.processElement(new StreamRecord<>(new RawRecord("events", 0, 3, 5, key, codec.encode(event("e1", "i1")))));

            assertThat(harness.extractOutputValues()).extracting(ClickEvent::getEventId).containsExactly("e1");
            List<DeadLetter> dead = harness.getSideOutput(DecodeAndValidate.DEAD_LETTERS).stream()
                    .map(StreamRecord::getValue).toList();
            assertThat(dead).extracting(DeadLetter::getErrorCode).containsExactly("BAD_HEADER", "BAD_HEADER");
            assertThat(dead).extracting(DeadLetter::getPayloadTruncated).containsExactly(true, false);
            assertThat(dead).extracting(DeadLetter::getOriginalPayloadSize).containsExactly(huge.length, cap);
            assertThat(bytes(dead.get(0).getPayload())).isEqualTo(atCap);
            assertThat(bytes(dead.get(1).getPayload())).isEqualTo(atCap);
            assertThat(((Counter) metrics.get("deadLettersTruncated")).getCount()).isEqualTo(1);
            assertThat(((Counter) metrics.get("deadLetters")).getCount()).isEqualTo(2);
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
