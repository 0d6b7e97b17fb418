package org.streamrec.tools.replay;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeError;

/**
 * Deliberately broken records for the {@code events} topic, so that a replay can show the serving job's
 * dead-letter path: one of each kind a real producer bug or a foreign producer would write, cycling through
 * {@link Kind}. Each carries the {@link DecodeError} the codec is expected to report for it.
 */
public final class MalformedRecords {

    /** Kafka header on every injected record, naming its kind, so consumers can tell injected from real. */
    public static final String KIND_HEADER = "streamrec-malformed";

    /** What is wrong with the record, and the error code the codec reports for it. */
    public enum Kind {
        /** JSON written to an Avro topic. */
        NOT_AVRO(DecodeError.BAD_HEADER),
        /** A valid event cut off in the middle of its body. */
        TRUNCATED_BODY(DecodeError.TRUNCATED),
        /** Single-object header with a schema fingerprint no version of ClickEvent has. */
        FOREIGN_SCHEMA(DecodeError.UNKNOWN_FINGERPRINT),
        /** A well-formed ClickEvent whose item id is blank. */
        BLANK_ITEM(DecodeError.INVALID_FIELD),
        /** A zero-length value. */
        EMPTY_VALUE(DecodeError.EMPTY);

        private final DecodeError expectedError;

        Kind(DecodeError expectedError) {
            this.expectedError = expectedError;
        }

        public DecodeError expectedError() {
            return expectedError;
        }
    }

    /** One injected record: key and value bytes, and what the job should say about it. */
    public record MalformedRecord(int index, Kind kind, byte[] key, byte[] value) {
        public DecodeError expectedError() {
            return kind.expectedError();
        }
    }

    private MalformedRecords() {
    }

    /** {@code count} records cycling through every {@link Kind}, keyed {@code malformed-<index>}. */
    public static List<MalformedRecord> generate(int count, AvroCodec<ClickEvent> codec) {
        List<MalformedRecord> records = new ArrayList<>(count);
        Kind[] kinds = Kind.values();
        for (int i = 0; i < count; i++) {
            Kind kind = kinds[i % kinds.length];
            String user = "malformed-" + i;
            records.add(new MalformedRecord(i, kind, user.getBytes(StandardCharsets.UTF_8), payload(kind, i, user, codec)));
        }
        return records;
    }

    private static byte[] payload(Kind kind, int index, String user, AvroCodec<ClickEvent> codec) {
        return switch (kind) {
            case NOT_AVRO -> ("{\"eventId\":\"malformed-" + index + "\",\"itemId\":\"42\"}").getBytes(StandardCharsets.UTF_8);
            case TRUNCATED_BODY -> {
                byte[] whole = codec.encode(event(index, user, "item-" + index));
                yield Arrays.copyOf(whole, whole.length - whole.length / 3);
            }
            case FOREIGN_SCHEMA -> {
                byte[] whole = codec.encode(event(index, user, "item-" + index));
                // Flip every bit of the fingerprint (bytes 2..9 of the single-object header).
                ByteBuffer bytes = ByteBuffer.wrap(whole).order(ByteOrder.LITTLE_ENDIAN);
                bytes.putLong(2, ~bytes.getLong(2));
                yield whole;
            }
            case BLANK_ITEM -> codec.encode(event(index, user, " "));
            case EMPTY_VALUE -> new byte[0];
        };
    }

    private static ClickEvent event(int index, String user, String item) {
        return ClickEvent.newBuilder()
                .setEventId("malformed-" + index)
                .setUserId(user)
                .setSessionId(user)
                .setItemId(item)
                .setEventType(EventType.VIEW)
                .setEventTime(Instant.parse("2026-01-01T00:00:00Z"))
                .build();
    }

    /**
     * After how many valid events the {@code j}-th of {@code malformed} injected records goes out, spreading them
     * evenly over {@code validTotal} valid events (never before the first or after the last one; with no valid
     * events at all, the replay sends them at the end).
     */
    public static long injectAfter(int j, int malformed, long validTotal) {
        if (j < 0 || j >= malformed) {
            throw new IndexOutOfBoundsException("record " + j + " of " + malformed);
        }
        return Math.max(1, Math.min(validTotal, (j + 1) * validTotal / (malformed + 1)));
    }
}
