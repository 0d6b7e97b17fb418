package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.EventType;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.ClickEventRules;
import org.streamrec.avro.codec.DecodeError;
import org.streamrec.tools.kafka.KafkaBrokerExtension;

/**
 * Property test of the whole serving job against bad input: a seeded generator mixes valid events (including unknown
 * items, out-of-order, late and historic event times, ids at the length limit, non-ASCII ids) with every kind of bad
 * record (random bytes, truncated Avro, trailing bytes, unknown fingerprints, records of a schema without a required
 * field or with a null in it, out-of-range enum, empty values and tombstones, blank and over-long ids, event times
 * before the earliest accepted or too far ahead). The job runs on a real broker and a MiniCluster with restarts
 * disabled, so any failure fails the test. Properties: every valid event is answered by exactly one committed
 * recommendation; every invalid record is dead-lettered exactly once, with its raw bytes, its key, a reason and the
 * error code its kind calls for; nothing else comes out.
 */
class BadInputFuzzIT {

    private static final long SEED = 20261123L;
    private static final int RECORDS = 3_000;
    private static final int USERS = 40;

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    /** What a generated record is, and for bad ones the error codes the codec may give it. */
    enum Kind {
        VALID(true), UNKNOWN_ITEM(true), OUT_OF_ORDER(true), LATE(true), HISTORIC(true), LONGEST_IDS(true),
        NON_ASCII_IDS(true),
        RANDOM_BYTES(false, DecodeError.BAD_HEADER),
        RANDOM_BODY(false, DecodeError.TRUNCATED, DecodeError.CORRUPT_BODY, DecodeError.INVALID_FIELD),
        TRUNCATED(false, DecodeError.TRUNCATED),
        TRAILING_BYTES(false, DecodeError.CORRUPT_BODY),
        UNKNOWN_FINGERPRINT(false, DecodeError.UNKNOWN_FINGERPRINT),
        MISSING_FIELD(false, DecodeError.UNKNOWN_FINGERPRINT),
        NULL_FIELD(false, DecodeError.UNKNOWN_FINGERPRINT),
        NULL_FIELD_UNDER_CURRENT_FINGERPRINT(false, DecodeError.TRUNCATED, DecodeError.CORRUPT_BODY,
                DecodeError.INVALID_FIELD),
        BAD_ENUM(false, DecodeError.CORRUPT_BODY),
        EMPTY_VALUE(false, DecodeError.EMPTY),
        TOMBSTONE(false, DecodeError.EMPTY),
        BLANK_ID(false, DecodeError.INVALID_FIELD),
        OVERLONG_ID(false, DecodeError.INVALID_FIELD),
        TOO_OLD(false, DecodeError.INVALID_FIELD),
        TOO_FAR_AHEAD(false, DecodeError.INVALID_FIELD);

        final boolean valid;
        final Set<DecodeError> expected;

        Kind(boolean valid, DecodeError... expected) {
            this.valid = valid;
            this.expected = expected.length == 0 ? Set.of() : Set.of(expected);
        }
    }

    @Test
    void everyValidEventIsAnsweredOnceAndEveryBadRecordIsDeadLetteredOnceWithItsReason(@TempDir Path dir)
            throws Exception {
        FaultScenario sc = new FaultScenario(KAFKA, "fuzz", 0, 0);
        Generated input = new Generator(new Random(SEED), sc.eventsTopic).generate(RECORDS);
        KAFKA.produce(input.records);
        System.out.println("[fault-counts] fuzz: generated by kind " + input.countsByKind());

        Configuration noRestarts = new Configuration();
        // Any failure of the job fails env.execute() and with it the test: "the job never fails".
        noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = FaultEnvironments.miniCluster(sc.config, dir, noRestarts);
        new RecommenderJob(sc.config,
                RecommenderJob.eventsSource(sc.config).setStartingOffsets(OffsetsInitializer.earliest())
                        .setBounded(OffsetsInitializer.latest()).build(),
                RecommenderJob.announcementsSource(sc.config).setBounded(OffsetsInitializer.latest()).build(),
                RecommenderJob.recommendationsSink(sc.config),
                RecommenderJob.deadLetterSink(sc.config),
                new TestModels()).build(env);
        env.execute("bad-input-fuzz");

        AvroCodec<Recommendation> recCodec = AvroCodec.recommendations();
        List<Recommendation> recs = KAFKA.consumeCommitted(sc.recsTopic, input.validIds.size(), Duration.ofSeconds(60))
                .stream().map(r -> FaultScenario.decoded(recCodec.decode(r.value()))).toList();
        OutputCounts answered = OutputCounts.of("fuzz valid events answered", input.validIds,
                recs.stream().map(Recommendation::getTriggeringEventId).toList()).print();

        AvroCodec<DeadLetter> dlqCodec = AvroCodec.deadLetters();
        List<DeadLetter> dead = KAFKA.consumeCommitted(sc.dlqTopic, input.bad.size(), Duration.ofSeconds(60))
                .stream().map(r -> FaultScenario.decoded(dlqCodec.decode(r.value()))).toList();
        OutputCounts deadLettered = OutputCounts.of("fuzz bad records dead-lettered", input.bad.keySet(),
                dead.stream().map(d -> utf8(bytes(d.getKey()))).toList()).print();
        Map<String, Integer> codes = new TreeMap<>();
        dead.forEach(d -> codes.merge(d.getErrorCode(), 1, Integer::sum));
        System.out.println("[fault-counts] fuzz: dead letters by error code " + codes);

        assertThat(answered.missing()).as("valid events not answered").isZero();
        assertThat(answered.duplicated()).as("valid events answered twice").isZero();
        assertThat(answered.unexpected()).as("answers to records that are not valid events").isZero();
        assertThat(deadLettered.missing()).as("bad records not dead-lettered").isZero();
        assertThat(deadLettered.duplicated()).as("bad records dead-lettered twice").isZero();
        assertThat(deadLettered.unexpected()).as("dead letters of valid events").isZero();
        for (DeadLetter d : dead) {
            String key = utf8(bytes(d.getKey()));
            Bad bad = input.bad.get(key);
            assertThat(bad.kind.expected).as("error code of %s (%s): %s", key, bad.kind, d.getReason())
                    .contains(DecodeError.valueOf(d.getErrorCode()));
            assertThat(d.getPayload() == null ? null : bytes(d.getPayload())).as("raw bytes of %s", key)
                    .isEqualTo(bad.value);
            assertThat(d.getReason()).as("reason of %s", key).isNotBlank();
            assertThat(d.getSourceTopic()).isEqualTo(sc.eventsTopic);
        }
        // Per user, answers come in the order of the user's events, late and out-of-order ones included.
        assertThat(FaultScenario.outputOrderByUser(recs)).isEqualTo(input.validOrderByUser);
    }

    /** One bad record: its kind and its exact value bytes (null for a tombstone). */
    record Bad(Kind kind, byte[] value) {
    }

    /** The generated input: records in send order, valid event ids, bad records by their unique Kafka key. */
    static final class Generated {
        final List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        final List<String> validIds = new ArrayList<>();
        final Map<String, List<String>> validOrderByUser = new HashMap<>();
        final Map<String, Bad> bad = new HashMap<>();
        final Map<Kind, Integer> kinds = new EnumMap<>(Kind.class);

        Map<Kind, Integer> countsByKind() {
            return kinds;
        }
    }

    /** Seeded generator; valid events are keyed by user (per-user order), bad records by a unique {@code bad-<n>}. */
    static final class Generator {
        private static final byte[] MARKER = {(byte) 0xC3, 0x01};

        private final Random random;
        private final String topic;
        private final AvroCodec<ClickEvent> codec = AvroCodec.clickEvents();
        private final long currentFingerprint = SchemaNormalization.parsingFingerprint64(ClickEvent.getClassSchema());
        private final Schema withoutItem = clickEventSchema(false, false);
        private final Schema nullableUser = clickEventSchema(true, true);
        private final Map<String, Long> lastTimeByUser = new HashMap<>();
        private final Generated out = new Generated();
        /** Stream time: advances one second per record, like a live stream's event time. */
        private long streamTime = Instant.parse("2026-11-23T00:00:00Z").toEpochMilli();
        private int seq;

        Generator(Random random, String topic) {
            this.random = random;
            this.topic = topic;
        }

        Generated generate(int count) {
            Kind[] kinds = Kind.values();
            for (int i = 0; i < count; i++) {
                streamTime += 1_000;
                // About two thirds valid, the rest spread over the bad kinds.
                Kind kind = random.nextInt(3) < 2 ? kinds[random.nextInt(7)] : kinds[7 + random.nextInt(kinds.length - 7)];
                out.kinds.merge(kind, 1, Integer::sum);
                if (kind.valid) {
                    addValid(validEvent(kind));
                } else {
                    addBad(kind);
                }
            }
            return out;
        }

        private ClickEvent validEvent(Kind kind) {
            String user = "user-" + random.nextInt(USERS);
            long last = lastTimeByUser.getOrDefault(user, streamTime);
            long time = switch (kind) {
                case OUT_OF_ORDER -> last - 1_000 - random.nextInt(4_000);
                case LATE -> streamTime - Duration.ofHours(1 + random.nextInt(5)).toMillis();
                case HISTORIC -> ClickEventRules.DEFAULT_EARLIEST_EVENT_TIME.toEpochMilli()
                        + (long) (random.nextDouble() * Duration.ofDays(365L * 20).toMillis());
                default -> streamTime;
            };
            String eventId = "valid-" + (seq++);
            String item = "i" + random.nextInt(TestModels.ITEMS);
            if (kind == Kind.UNKNOWN_ITEM) {
                item = "unknown-" + random.nextInt(1_000);
            } else if (kind == Kind.LONGEST_IDS) {
                item = pad("i", ClickEventRules.MAX_ID_LENGTH);
                eventId = pad(eventId + "-", ClickEventRules.MAX_ID_LENGTH);
            } else if (kind == Kind.NON_ASCII_IDS) {
                item = "artículo-\u00fc\u4e2d\uD83D\uDE00-" + random.nextInt(10);
            }
            lastTimeByUser.merge(user, time, Math::max);
            return ClickEvent.newBuilder()
                    .setEventId(eventId)
                    .setUserId(user)
                    .setSessionId(random.nextInt(4) == 0 ? "s-" + user : null)
                    .setItemId(item)
                    .setEventType(EventType.values()[random.nextInt(EventType.values().length)])
                    .setEventTime(Instant.ofEpochMilli(time))
                    .build();
        }

        private void addValid(ClickEvent e) {
            out.records.add(new ProducerRecord<>(topic, FaultScenario.utf8(e.getUserId()), codec.encode(e)));
            out.validIds.add(e.getEventId());
            out.validOrderByUser.computeIfAbsent(e.getUserId(), u -> new ArrayList<>()).add(e.getEventId());
        }

        private void addBad(Kind kind) {
            String key = "bad-" + (seq++);
            byte[] value = badValue(kind, key);
            out.records.add(new ProducerRecord<>(topic, FaultScenario.utf8(key), value));
            out.bad.put(key, new Bad(kind, value));
        }

        private byte[] badValue(Kind kind, String key) {
            ClickEvent.Builder base = ClickEvent.newBuilder().setEventId(key).setUserId("user-" + random.nextInt(USERS))
                    .setItemId("i1").setEventType(EventType.CLICK).setEventTime(Instant.ofEpochMilli(streamTime));
            byte[] good = codec.encode(base.build());
            return switch (kind) {
                case RANDOM_BYTES -> {
                    byte[] b = new byte[1 + random.nextInt(200)];
                    random.nextBytes(b);
                    if (b[0] == MARKER[0]) {
                        b[0] = 0x7B;
                    }
                    yield b;
                }
                case RANDOM_BODY -> {
                    byte[] body = new byte[1 + random.nextInt(120)];
                    random.nextBytes(body);
                    yield singleObject(currentFingerprint, body);
                }
                case TRUNCATED -> Arrays.copyOf(good, 1 + random.nextInt(good.length - 1));
                case TRAILING_BYTES -> {
                    byte[] b = Arrays.copyOf(good, good.length + 1 + random.nextInt(16));
                    for (int i = good.length; i < b.length; i++) {
                        b[i] = (byte) random.nextInt(256);
                    }
                    yield b;
                }
                case UNKNOWN_FINGERPRINT -> {
                    byte[] b = good.clone();
                    long fingerprint = random.nextLong();
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(2, fingerprint == currentFingerprint ? ~fingerprint : fingerprint);
                    yield b;
                }
                case MISSING_FIELD -> generic(withoutItem, key, null, false);
                case NULL_FIELD -> generic(nullableUser, key, null, false);
                case NULL_FIELD_UNDER_CURRENT_FINGERPRINT -> generic(nullableUser, key, null, true);
                case BAD_ENUM -> {
                    // Body: eventId, userId, sessionId (union index 0 = null), itemId, then the enum index.
                    ClickEvent e = base.build();
                    int at = 10 + 1 + utf8Length(e.getEventId()) + 1 + utf8Length(e.getUserId()) + 1 + 1
                            + utf8Length(e.getItemId());
                    byte[] b = good.clone();
                    b[at] = (byte) (2 * (4 + random.nextInt(50))); // zigzag varint of an index beyond the 4 symbols
                    yield b;
                }
                case EMPTY_VALUE -> new byte[0];
                case TOMBSTONE -> null;
                case BLANK_ID -> {
                    String blank = random.nextBoolean() ? "" : " \t";
                    yield codec.encode(switch (random.nextInt(4)) {
                        case 0 -> base.setEventId(blank).build();
                        case 1 -> base.setUserId(blank).build();
                        case 2 -> base.setItemId(blank).build();
                        default -> base.setSessionId(blank).build();
                    });
                }
                case OVERLONG_ID -> {
                    String longId = pad("x", ClickEventRules.MAX_ID_LENGTH + 1 + random.nextInt(2_000));
                    yield codec.encode(random.nextBoolean() ? base.setUserId(longId).build() : base.setItemId(longId).build());
                }
                case TOO_OLD -> {
                    long[] times = {0, -1 - random.nextInt(1_000_000), streamTime / 1000,
                            ClickEventRules.DEFAULT_EARLIEST_EVENT_TIME.toEpochMilli() - 1 - random.nextInt(1_000_000)};
                    yield codec.encode(base.setEventTime(Instant.ofEpochMilli(times[random.nextInt(times.length)])).build());
                }
                case TOO_FAR_AHEAD -> {
                    long now = System.currentTimeMillis();
                    long[] times = {now + Duration.ofHours(1 + random.nextInt(48)).toMillis(), now * 1000,
                            now + Duration.ofDays(365L * (1 + random.nextInt(100))).toMillis()};
                    yield codec.encode(base.setEventTime(Instant.ofEpochMilli(times[random.nextInt(times.length)])).build());
                }
                default -> throw new IllegalArgumentException(kind + " is valid");
            };
        }

        /** A ClickEvent-like record of another schema: without itemId, or with a nullable userId written as null. */
        private byte[] generic(Schema schema, String eventId, String userId, boolean currentFingerprintInHeader) {
            GenericRecord r = new GenericData.Record(schema);
            r.put("eventId", eventId);
            r.put("userId", userId == null && schema.getField("userId").schema().isNullable() ? null : "user-0");
            if (schema.getField("itemId") != null) {
                r.put("itemId", "i1");
            }
            r.put("eventType", new GenericData.EnumSymbol(schema.getField("eventType").schema(), "VIEW"));
            r.put("eventTime", streamTime);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(body, null);
            try {
                new GenericDatumWriter<GenericRecord>(schema).write(r, encoder);
                encoder.flush();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            long fingerprint = currentFingerprintInHeader ? currentFingerprint : SchemaNormalization.parsingFingerprint64(schema);
            return singleObject(fingerprint, body.toByteArray());
        }

        private static Schema clickEventSchema(boolean withItem, boolean nullableUser) {
            SchemaBuilder.FieldAssembler<Schema> fields = SchemaBuilder.record("ClickEvent").namespace("org.streamrec.avro")
                    .fields().requiredString("eventId");
            fields = nullableUser ? fields.optionalString("userId") : fields.requiredString("userId");
            fields = fields.optionalString("sessionId");
            if (withItem) {
                fields = fields.requiredString("itemId");
            }
            return fields
                    .name("eventType").type().enumeration("EventType").namespace("org.streamrec.avro")
                    .symbols("VIEW", "CLICK", "ADD_TO_CART", "PURCHASE").noDefault()
                    .requiredLong("eventTime")
                    .endRecord();
        }

        private static byte[] singleObject(long fingerprint, byte[] body) {
            ByteBuffer b = ByteBuffer.allocate(10 + body.length).order(ByteOrder.LITTLE_ENDIAN);
            b.put(MARKER).putLong(fingerprint).put(body);
            return b.array();
        }

        private static int utf8Length(String s) {
            int n = s.getBytes(StandardCharsets.UTF_8).length;
            if (n >= 64) {
                throw new IllegalArgumentException("one-byte varint lengths only: " + s);
            }
            return n;
        }

        private static String pad(String prefix, int length) {
            return (prefix + "x".repeat(Math.max(0, length - prefix.length()))).substring(0, length);
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static String utf8(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
