package org.streamrec.flink.io;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;

import org.streamrec.avro.DeadLetter;

/**
 * Keeps every dead letter within Kafka's request and message limits, whatever the bad record's size. A dead letter
 * carries the record's payload and key plus its own fields, and the dead-letter sink keys it by that key again, so a
 * record just under the events topic's limit became a dead letter over the producer's {@code max.request.size}: the
 * sink failed on it after every restart. Here the payload is cut to a configurable number of bytes and the key to
 * {@link #MAX_KEY_BYTES}; the dead letter then says so ({@code payloadTruncated}, {@code keyTruncated}) and keeps the
 * original sizes. The reason text is cut to {@link #MAX_REASON_CHARS}.
 */
public final class DeadLetterBounds {

    /**
     * Default payload cap: enough of a bad record to tell what wrote it (headers, the first fields, the pattern of
     * the garbage) while a burst of large bad records stays a small load on the dead-letter topic; 16 times below
     * Kafka's default request and message limits.
     */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

    /** Key cap: the events topic is keyed by user id (at most 256 chars, 768 UTF-8 bytes), so real keys fit whole. */
    public static final int MAX_KEY_BYTES = 4 * 1024;

    /** Reason cap, in chars; a char takes at most 3 UTF-8 bytes (a surrogate pair, 2 chars, takes 4). */
    public static final int MAX_REASON_CHARS = 1024;

    /** Kafka's default {@code max.request.size}, which the job's producers keep; the default topic limit is above. */
    public static final int KAFKA_DEFAULT_MAX_REQUEST_SIZE = 1024 * 1024;

    /**
     * Everything of a dead-letter record but its key (twice), payload and reason: the Avro header and remaining
     * fields (the source topic at most 249 chars) take under 400 bytes, Kafka's batch and record framing under 110.
     * The rest is headroom, e.g. for fields added to the schema later.
     */
    static final int OTHER_BYTES_BOUND = 4 * 1024;

    private DeadLetterBounds() {
    }

    /**
     * An upper bound of the size Kafka's producer checks against {@code max.request.size} (batch framing, key, value)
     * for any dead letter built by {@link #deadLetter} with {@code maxPayloadBytes}.
     */
    public static long maxRecordBytes(int maxPayloadBytes) {
        return 2L * MAX_KEY_BYTES + 3L * MAX_REASON_CHARS + OTHER_BYTES_BOUND + maxPayloadBytes;
    }

    /** The largest payload cap whose dead letters stay under Kafka's default {@code max.request.size}. */
    public static int largestMaxPayloadBytes() {
        return (int) (KAFKA_DEFAULT_MAX_REQUEST_SIZE - maxRecordBytes(0));
    }

    /**
     * The dead letter of {@code raw}: its coordinates, its key and payload (each cut to its cap, flagged and with the
     * original size when cut) and the reason (cut to {@link #MAX_REASON_CHARS}).
     */
    public static DeadLetter deadLetter(RawRecord raw, String errorCode, String reason, Instant failedAt,
                                        int maxPayloadBytes) {
        return DeadLetter.newBuilder()
                .setSourceTopic(raw.topic)
                .setSourcePartition(raw.partition)
                .setSourceOffset(raw.offset)
                .setKey(prefix(raw.key, MAX_KEY_BYTES))
                .setKeyTruncated(raw.key != null && raw.key.length > MAX_KEY_BYTES)
                .setOriginalKeySize(raw.key == null ? null : raw.key.length)
                .setPayload(prefix(raw.value, maxPayloadBytes))
                .setPayloadTruncated(raw.value != null && raw.value.length > maxPayloadBytes)
                .setOriginalPayloadSize(raw.value == null ? null : raw.value.length)
                .setErrorCode(errorCode)
                .setReason(boundedReason(reason))
                .setFailedAt(failedAt)
                .build();
    }

    /** {@code reason} itself when it has at most {@link #MAX_REASON_CHARS} chars, else its start and a note saying so. */
    static String boundedReason(String reason) {
        if (reason == null || reason.length() <= MAX_REASON_CHARS) {
            return reason == null ? "" : reason;
        }
        String note = " ... [reason cut, " + reason.length() + " chars]";
        int end = MAX_REASON_CHARS - note.length();
        if (Character.isHighSurrogate(reason.charAt(end - 1))) {
            end--; // do not split a surrogate pair
        }
        return reason.substring(0, end) + note;
    }

    private static ByteBuffer prefix(byte[] bytes, int max) {
        if (bytes == null) {
            return null;
        }
        return ByteBuffer.wrap(bytes.length <= max ? bytes : Arrays.copyOf(bytes, max));
    }
}
