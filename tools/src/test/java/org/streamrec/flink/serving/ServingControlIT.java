package org.streamrec.flink.serving;

import org.streamrec.tools.ops.ServingControlTool;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.flink.io.UserIdHash;
import org.streamrec.tools.kafka.KafkaBrokerExtension;

/**
 * The control channel end to end: the serving job ({@link RecommenderJob#build}, RocksDB, exactly-once sinks,
 * parallelism 2) on a real broker and a MiniCluster, commands sent by {@link ServingControlTool} (the code behind
 * {@code deploy/control.sh}) to the control topic, which is created only after the job has started (it is optional,
 * and discovered when it appears). Live traffic: one event per user per round, a round every few
 * hundred ms, read back from the committed output. Checks: after v2 is announced and served, {@code pin --version 1}
 * brings every user back to {@code modelVersion} 1 and no user flips back to 2; {@code delete-user} makes the user's
 * next event start a new session while the other users' sessions go on; the deletion is logged by hash, and no user
 * id reaches the INFO log. The model is {@link TestModels}: the job under test is the control wiring.
 */
class ServingControlIT {

    private static final int PARALLELISM = 2;
    private static final Duration WAIT = Duration.ofSeconds(90);

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(PARALLELISM)
                    .build());

    private final List<String> users = List.of("customer-0@example.com", "customer-1@example.com",
            "customer-2@example.com", "customer-3@example.com");
    private final Instant start = Instant.parse("2026-11-23T08:00:00Z");
    private final AvroCodec<ClickEvent> events = AvroCodec.clickEvents();
    private final AvroCodec<Recommendation> recs = AvroCodec.recommendations();
    /** Every event sent, in order, with its user. */
    private final List<ClickEvent> sent = new ArrayList<>();
    private int round;

    private String eventsTopic;
    private String recsTopic;

    @Test
    void pinRollsEveryUserBackAndDeleteUserStartsANewSessionThroughTheControlTopic(@TempDir Path dir)
            throws Exception {
        eventsTopic = "ctl-events";
        recsTopic = "ctl-recs";
        String controlTopic = "ctl-control";
        String modelsTopic = "ctl-models";
        RecommenderConfig config = RecommenderConfig.parse(
                "--bootstrap-servers", KAFKA.bootstrapServers(),
                "--events-topic", eventsTopic, "--recommendations-topic", recsTopic, "--dlq-topic", "ctl-dlq",
                "--model-updates-topic", modelsTopic, "--control-topic", controlTopic,
                "--model-uri", "mem://v1", "--k", "3", "--batch-max-size", "8",
                "--checkpoint-interval", "300 ms", "--parallelism", String.valueOf(PARALLELISM),
                "--transactional-id-prefix", "ctl-it", "--transaction-timeout", "5 min");
        KAFKA.createTopic(eventsTopic, 3);
        KAFKA.createTopic(recsTopic, 2);
        KAFKA.createTopic("ctl-dlq", 1);
        KAFKA.createTopic(modelsTopic, 1, Map.of("cleanup.policy", "compact"));

        Configuration flink = RecommenderJob.flinkConfiguration(config);
        flink.set(RocksDBOptions.LOCAL_DIRECTORIES, dir.resolve("rocksdb").toString());
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.resolve("checkpoints").toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        new RecommenderJob(config,
                RecommenderJob.eventsSource(config).setStartingOffsets(OffsetsInitializer.earliest()).build(),
                RecommenderJob.announcementsSource(config).build(),
                // From the start of the topic: a new group would otherwise begin at its end, and whether the source
                // has looked up that end before the test's first command is a race the test does not need.
                RecommenderJob.controlSource(config).setStartingOffsets(OffsetsInitializer.earliest())
                        .setProperty("partition.discovery.interval.ms", "500").build(),
                RecommenderJob.recommendationsSink(config),
                RecommenderJob.deadLetterSink(config),
                new TestModels()).build(env);

        String[] tool = {"--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", controlTopic,
                "--requested-by", "ServingControlIT"};
        try (LogCapture logs = LogCapture.capture()) {
            JobClient job = env.executeAsync("serving-control-it");
            try {
                Map<String, Recommendation> out = roundsUntil(r -> true);
                assertThat(out.values()).extracting(Recommendation::getModelVersion).containsOnly(1L);
                // The job runs without its control topic; one created later is discovered.
                KAFKA.createTopic(controlTopic, 1);

                KAFKA.produce(List.of(new ProducerRecord<>(modelsTopic, utf8("model"),
                        AvroCodec.modelAnnouncements().encode(ModelAnnouncement.newBuilder()
                                .setVersion(2).setParentVersion(1L).setSnapshotUri("mem://v2").setChecksum("test")
                                .setItemCount(TestModels.ITEMS).setTrainingEventsSeen(0)
                                .setCreatedTime(Instant.EPOCH).build()))));
                roundsUntil(lastRound -> lastRound.stream().allMatch(r -> r.getModelVersion() == 2));

                assertThat(ServingControlTool.run(concat(new String[] {"pin", "--version", "1"}, tool))).isZero();
                int pinnedFrom = sent.size();
                out = roundsUntil(lastRound -> lastRound.stream().allMatch(r -> r.getModelVersion() == 1));
                // Each user: v1, then v2, then back to v1 for good; never back to 2 after the pin took effect.
                for (String user : users) {
                    List<Long> versions = versionsOf(out, user);
                    assertThat(collapse(versions)).as("versions served to %s: %s", user, versions)
                            .containsExactly(1L, 2L, 1L);
                }
                int rollbackRounds = (sent.size() - pinnedFrom) / users.size();

                String deleted = users.get(1);
                Map<String, String> sessionsBefore = latestSessions(out);
                assertThat(sessionsBefore.get(deleted)).isEqualTo(deleted + "@" + start.toEpochMilli());
                assertThat(ServingControlTool.run(concat(new String[] {"delete-user", "--user", deleted}, tool)))
                        .isZero();
                roundsUntil(lastRound -> lastRound.stream().anyMatch(r -> r.getUserId().equals(deleted)
                        && !r.getSessionId().equals(sessionsBefore.get(deleted))));
                Map<String, Recommendation> after = roundsUntil(r -> true);  // one more round: the new session goes on

                List<String> deletedSessions = sessionsOf(after, deleted);
                String newSession = deletedSessions.get(deletedSessions.size() - 1);
                assertThat(deletedSessions.stream().distinct().toList())
                        .as("the deleted user had exactly one session before and one after")
                        .containsExactly(sessionsBefore.get(deleted), newSession);
                // The new session is named after the first event that came after the deletion.
                ClickEvent firstAfter = sent.stream().filter(e -> e.getUserId().equals(deleted))
                        .filter(e -> after.get(e.getEventId()).getSessionId().equals(newSession)).findFirst().orElseThrow();
                assertThat(newSession).isEqualTo(deleted + "@" + firstAfter.getEventTime().toEpochMilli());
                for (String user : users) {
                    if (!user.equals(deleted)) {
                        assertThat(sessionsOf(after, user)).as("%s keeps its session", user)
                                .containsOnly(user + "@" + start.toEpochMilli());
                    }
                }
                assertThat(after.values()).as("still pinned: every recommendation after the rollback is v1")
                        .filteredOn(r -> indexOf(r.getTriggeringEventId()) >= pinnedFrom + rollbackRounds * users.size())
                        .extracting(Recommendation::getModelVersion).containsOnly(1L);
                assertThat(after).hasSize(sent.size());

                System.out.printf("ServingControlIT: %d events, %d rounds; pin took effect within %d rounds; "
                        + "deleted user's new session %s%n", sent.size(), round, rollbackRounds, newSession);
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
            assertThat(logs.lines()).anySatisfy(l -> assertThat(l)
                    .contains("Control ", "from ServingControlIT: pinned model version 1"));
            assertThat(logs.lines()).anySatisfy(l -> assertThat(l)
                    .contains("deleted the state of user " + UserIdHash.of(users.get(1))));
            for (String user : users) {
                assertThat(logs.lines()).as("no log line names %s", user).noneSatisfy(l -> assertThat(l).contains(user));
            }
        }
    }

    /**
     * Sends rounds (one event per user, event time 20 s apart) until the committed answers of the last round satisfy
     * {@code done}; returns every committed recommendation by triggering event id.
     */
    private Map<String, Recommendation> roundsUntil(Predicate<List<Recommendation>> done) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            for (int u = 0; u < users.size(); u++) {
                ClickEvent e = ClickEvent.newBuilder()
                        .setEventId("r" + round + "-u" + u).setUserId(users.get(u))
                        .setItemId("i" + ((round + u) % TestModels.ITEMS)).setEventType(EventType.VIEW)
                        .setEventTime(start.plusSeconds(20L * round)).build();
                sent.add(e);
                ids.add(e.getEventId());
                records.add(new ProducerRecord<>(eventsTopic, utf8(e.getUserId()), events.encode(e)));
            }
            round++;
            KAFKA.produce(records);
            Map<String, Recommendation> out = committedUntil(m -> m.keySet().containsAll(ids));
            assertThat(out.keySet()).as("answers to round %d", round - 1).containsAll(ids);
            if (done.test(ids.stream().map(out::get).toList())) {
                return out;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("condition not reached within " + WAIT + " after " + round + " rounds");
    }

    private Map<String, Recommendation> committedUntil(Predicate<Map<String, Recommendation>> done)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Map<String, Recommendation> out = new LinkedHashMap<>();
        while (System.nanoTime() < deadline) {
            out.clear();
            for (var record : KAFKA.consumeCommitted(recsTopic, 0, Duration.ofSeconds(5))) {
                Recommendation r = ((DecodeResult.Decoded<Recommendation>) recs.decode(record.value())).value();
                assertThat(out.put(r.getTriggeringEventId(), r)).as("duplicate answer to %s", r.getTriggeringEventId())
                        .isNull();
            }
            if (done.test(out)) {
                break;
            }
            Thread.sleep(100);
        }
        return Map.copyOf(out);
    }

    private int indexOf(String eventId) {
        for (int i = 0; i < sent.size(); i++) {
            if (sent.get(i).getEventId().equals(eventId)) {
                return i;
            }
        }
        return -1;
    }

    private List<Long> versionsOf(Map<String, Recommendation> out, String user) {
        return sent.stream().filter(e -> e.getUserId().equals(user)).map(e -> out.get(e.getEventId()).getModelVersion())
                .toList();
    }

    private List<String> sessionsOf(Map<String, Recommendation> out, String user) {
        return sent.stream().filter(e -> e.getUserId().equals(user)).map(e -> out.get(e.getEventId()).getSessionId())
                .toList();
    }

    private Map<String, String> latestSessions(Map<String, Recommendation> out) {
        Map<String, String> latest = new LinkedHashMap<>();
        for (ClickEvent e : sent) {
            latest.put(e.getUserId(), out.get(e.getEventId()).getSessionId());
        }
        return latest;
    }

    /** The sequence without consecutive repeats: 1 1 2 2 1 becomes 1 2 1. */
    private static List<Long> collapse(List<Long> values) {
        List<Long> runs = new ArrayList<>();
        for (Long v : values) {
            if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(v)) {
                runs.add(v);
            }
        }
        return runs;
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
