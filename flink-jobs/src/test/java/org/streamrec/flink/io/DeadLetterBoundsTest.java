package org.streamrec.flink.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;

/**
 * A dead letter's payload, key and reason are cut at their caps, flagged and sized, and the record the dead-letter
 * sink writes for it stays under the cap's bound and Kafka's default {@code max.request.size} whatever the input.
 */
class DeadLetterBoundsTest {

    private static final int CAP = 1_000;
    private static final Instant AT = Instant.parse("2026-12-07T00:00:00Z");
    /** Kafka's longest topic name. */
    private static final String LONGEST_TOPIC = "t".repeat(249);

    private final AvroCodec<DeadLetter> codec = AvroCodec.deadLetters();

    @ParameterizedTest
    @ValueSource(ints = {0, 1, CAP - 1, CAP})
    void payloadUpToTheCapIsKeptWholeWithItsSize(int size) {
        byte[] value = random(size, 1);
        DeadLetter letter = DeadLetterBounds.deadLetter(raw(key("u"), value), "BAD_HEADER", "r", AT, CAP);

        assertThat(bytes(letter.getPayload())).isEqualTo(value);
        assertThat(letter.getPayloadTruncated()).isFalse();
        assertThat(letter.getOriginalPayloadSize()).isEqualTo(size);
    }

    @ParameterizedTest
    @ValueSource(ints = {CAP + 1, 2 * CAP, 1_048_400})
    void payloadAboveTheCapKeepsItsFirstBytesTheFlagAndTheOriginalSize(int size) {
        byte[] value = random(size, 2);
        DeadLetter letter = DeadLetterBounds.deadLetter(raw(key("u"), value), "BAD_HEADER", "r", AT, CAP);

        assertThat(bytes(letter.getPayload())).isEqualTo(Arrays.copyOf(value, CAP));
        assertThat(letter.getPayloadTruncated()).isTrue();
        assertThat(letter.getOriginalPayloadSize()).isEqualTo(size);
        assertThat(letter.getKeyTruncated()).isFalse();
    }

    @Test
    void keyIsCutAtItsOwnCapAndATombstoneHasNoSizes() {
        int cap = DeadLetterBounds.MAX_KEY_BYTES;
        for (int size : new int[] {cap - 1, cap}) {
            byte[] key = random(size, 3);
            DeadLetter letter = DeadLetterBounds.deadLetter(raw(key, null), "EMPTY", "r", AT, CAP);
            assertThat(bytes(letter.getKey())).isEqualTo(key);
            assertThat(letter.getKeyTruncated()).isFalse();
            assertThat(letter.getOriginalKeySize()).isEqualTo(size);
        }
        byte[] key = random(cap + 1, 4);
        DeadLetter letter = DeadLetterBounds.deadLetter(raw(key, null), "EMPTY", "r", AT, CAP);
        assertThat(bytes(letter.getKey())).isEqualTo(Arrays.copyOf(key, cap));
        assertThat(letter.getKeyTruncated()).isTrue();
        assertThat(letter.getOriginalKeySize()).isEqualTo(cap + 1);

        DeadLetter tombstone = DeadLetterBounds.deadLetter(raw(null, null), "EMPTY", "r", AT, CAP);
        assertThat(tombstone.getKey()).isNull();
        assertThat(tombstone.getPayload()).isNull();
        assertThat(tombstone.getOriginalKeySize()).isNull();
        assertThat(tombstone.getOriginalPayloadSize()).isNull();
        assertThat(tombstone.getKeyTruncated()).isFalse();
        assertThat(tombstone.getPayloadTruncated()).isFalse();
    }

    @Test
    void longReasonIsCutWithANoteAndAShortOneIsKept() {
        assertThat(DeadLetterBounds.boundedReason("short")).isEqualTo("short");
        String exact = "x".repeat(DeadLetterBounds.MAX_REASON_CHARS);
        assertThat(DeadLetterBounds.boundedReason(exact)).isEqualTo(exact);

        String longReason = "y".repeat(DeadLetterBounds.MAX_REASON_CHARS + 1);
        String cut = DeadLetterBounds.boundedReason(longReason);
        assertThat(cut).hasSizeLessThanOrEqualTo(DeadLetterBounds.MAX_REASON_CHARS)
                .startsWith("yyyy").endsWith("[reason cut, " + longReason.length() + " chars]");

        // Emoji are surrogate pairs: a cut must not leave half of one.
        String emoji = "\uD83D\uDE00".repeat(DeadLetterBounds.MAX_REASON_CHARS);
        String cutEmoji = DeadLetterBounds.boundedReason(emoji);
        assertThat(cutEmoji).hasSizeLessThanOrEqualTo(DeadLetterBounds.MAX_REASON_CHARS);
        String kept = cutEmoji.substring(0, cutEmoji.indexOf(" ... [reason cut"));
        assertThat(kept.length() % 2).isZero();
        assertThat(Character.isHighSurrogate(kept.charAt(kept.length() - 1))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, CAP, DeadLetterBounds.DEFAULT_MAX_PAYLOAD_BYTES, -1})
    void worstCaseDeadLetterStaysUnderTheBoundAndKafkasDefaultRequestSize(int capOrLargest) {
        int cap = capOrLargest < 0 ? DeadLetterBounds.largestMaxPayloadBytes() : capOrLargest;
        // Everything at its worst: longest topic, key and payload far above their caps, a reason of 3-byte chars.
        RawRecord raw = new RawRecord(LONGEST_TOPIC, Integer.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE,
                random(1_048_400, 5), random(1_048_400, 6));
        String reason = "\u4e2d".repeat(1_000_000);
        DeadLetter letter = DeadLetterBounds.deadLetter(raw, "UNKNOWN_FINGERPRINT", reason,
                Instant.ofEpochMilli(Long.MAX_VALUE), cap);

        byte[] value = codec.encode(letter);
        byte[] key = bytes(letter.getKey());
        // What the producer compares with max.request.size (KafkaProducer#doSend).
        int recordSize = AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE,
                CompressionType.NONE, key, value, new Header[0]);

        assertThat((long) recordSize).isLessThanOrEqualTo(DeadLetterBounds.maxRecordBytes(cap));
        assertThat(DeadLetterBounds.maxRecordBytes(cap)).isLessThanOrEqualTo(DeadLetterBounds.KAFKA_DEFAULT_MAX_REQUEST_SIZE);
        // The dead letter still decodes, with what it says about the cut.
        DeadLetter decoded = ((DecodeResult.Decoded<DeadLetter>) codec.decode(value)).value();
        assertThat(decoded.getPayloadTruncated()).isTrue();
        assertThat(decoded.getOriginalPayloadSize()).isEqualTo(1_048_400);
        assertThat(decoded.getKeyTruncated()).isTrue();
        assertThat(decoded.getOriginalKeySize()).isEqualTo(1_048_400);
        assertThat(decoded.getPayload().remaining()).isEqualTo(cap);
    }

    @Test
    void largestCapIsTheLastThatFitsKafkasDefaultRequestSize() {
        int largest = DeadLetterBounds.largestMaxPayloadBytes();
        assertThat(DeadLetterBounds.maxRecordBytes(largest)).isEqualTo(DeadLetterBounds.KAFKA_DEFAULT_MAX_REQUEST_SIZE);
        assertThat(DeadLetterBounds.maxRecordBytes(largest + 1)).isGreaterThan(DeadLetterBounds.KAFKA_DEFAULT_MAX_REQUEST_SIZE);
        assertThat(largest).isEqualTo(1009 * 1024); // the limit the option's help states
    }

    private static RawRecord raw(byte[] key, byte[] value) {
        return new RawRecord("events", 1, 7, 5, key, value);
    }

    private static byte[] key(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
