package org.streamrec.tools.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeError;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;
import org.streamrec.tools.kafka.KafkaBrokerExtension;
import picocli.CommandLine;

/** The replay tool against a real broker, read back with a plain consumer. */
class ReplayToolIT {

    private static final Path RSC15_TEST = Path.of(System.getProperty("streamrec.data.dir"),
            "rsc15-100k", "yoochoose-clicks-100k_test.txt");
    private static final String NAME = "yoochoose-clicks-100k_test";

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private final AvroCodec<ClickEvent> codec = AvroCodec.clickEvents();

    private record Run(int exitCode, String output) {
    }

    private static Run replay(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = ReplayTool.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(out, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString());
    }

    @Test
    void replaysEveryRsc15TestEventOnceKeyedByUserWithEachSessionInOrderInOnePartition() throws Exception {
        KAFKA.createTopic("events-full", 3);

        Run run = replay(RSC15_TEST.toString(), "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "events-full");

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("replayed 13,568 events of").contains("failed: 0");

        SessionDataset data = DatasetReaders.read(RSC15_TEST);
        Map<String, Session> sessions = new HashMap<>();
        data.sessions().forEach(s -> sessions.put(s.sessionId(), s));
        List<ConsumerRecord<byte[], byte[]>> records = KAFKA.consumeCommitted("events-full", 13_568, Duration.ofSeconds(60));

        assertThat(records).hasSize(13_568);
        Set<String> eventIds = new HashSet<>();
        Map<String, Integer> partitionOfSession = new HashMap<>();
        Map<String, List<Integer>> positionsInOffsetOrder = new HashMap<>();
        records.sort((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition())
                : Long.compare(a.offset(), b.offset()));
        for (ConsumerRecord<byte[], byte[]> record : records) {
            ClickEvent event = decodeValid(record.value());
            eventIds.add(event.getEventId());
            assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo(event.getUserId());
            assertThat(event.getUserId()).isEqualTo(NAME + "-s" + event.getSessionId());

            Session source = sessions.get(event.getSessionId());
            int position = Integer.parseInt(event.getEventId().substring(event.getEventId().lastIndexOf('-') + 1));
            assertThat(event.getEventId()).isEqualTo(NAME + "-" + source.sessionId() + "-" + position);
            assertThat(event.getItemId()).isEqualTo(source.itemIds().get(position));
            assertThat(event.getEventTime().toEpochMilli()).isEqualTo(source.timestamps()[position]);

            assertThat(partitionOfSession.computeIfAbsent(event.getSessionId(), s -> record.partition()))
                    .as("session %s stays in one partition", event.getSessionId()).isEqualTo(record.partition());
            positionsInOffsetOrder.computeIfAbsent(event.getSessionId(), s -> new ArrayList<>()).add(position);
        }

        Set<String> expectedIds = new HashSet<>();
        for (Session s : data.sessions()) {
            for (int p = 0; p < s.length(); p++) {
                expectedIds.add(NAME + "-" + s.sessionId() + "-" + p);
            }
        }
        assertThat(eventIds).isEqualTo(expectedIds);
        assertThat(positionsInOffsetOrder).hasSize(data.sessionCount());
        positionsInOffsetOrder.forEach((session, positions) -> assertThat(positions)
                .as("offset order of session %s", session)
                .isSorted()
                .hasSize(sessions.get(session).length()));
        assertThat(new HashSet<>(partitionOfSession.values())).as("keys spread over all partitions").hasSize(3);
    }

    @Test
    void replaysASliceAtAFixedRateWithMalformedRecordsMixedIn() throws Exception {
        KAFKA.createTopic("events-slice", 2);
        SessionDataset data = DatasetReaders.read(RSC15_TEST);
        List<Session> slice = ReplayTool.slice(data, 100, 50);
        long sliceEvents = slice.stream().mapToLong(Session::length).sum();

        Run run = replay(RSC15_TEST.toString(), "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "events-slice",
                "--from-session", "100", "--sessions", "50", "--rate", "20000", "--inject-malformed", "7",
                "--dataset-name", "rsc15");

        assertThat(run.exitCode()).as(run.output()).isZero();
        List<ConsumerRecord<byte[], byte[]>> records = KAFKA.consumeCommitted("events-slice", (int) sliceEvents + 7,
                Duration.ofSeconds(60));
        assertThat(records).hasSize((int) sliceEvents + 7);

        Set<String> expectedSessions = new HashSet<>();
        slice.forEach(s -> expectedSessions.add(s.sessionId()));
        Set<String> replayedSessions = new HashSet<>();
        List<DecodeError> malformedErrors = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            Header kind = record.headers().lastHeader(MalformedRecords.KIND_HEADER);
            DecodeResult<ClickEvent> result = codec.decodeAndValidate(record.value());
            if (kind != null) {
                assertThat(result).isInstanceOf(DecodeResult.Failed.class);
                DecodeError error = ((DecodeResult.Failed<ClickEvent>) result).error();
                assertThat(error).isEqualTo(MalformedRecords.Kind.valueOf(new String(kind.value(), StandardCharsets.UTF_8))
                        .expectedError());
                malformedErrors.add(error);
            } else {
                replayedSessions.add(decodeValid(record.value()).getSessionId());
            }
        }
        assertThat(malformedErrors).hasSize(7);
        assertThat(replayedSessions).isEqualTo(expectedSessions);
        assertThat(run.output()).contains(String.format("replayed %,d events of 50 sessions", sliceEvents))
                .contains("7 of 7 injected malformed records");
    }

    @Test
    void limitStopsAfterThatManyEventsInTimeOrder() throws Exception {
        KAFKA.createTopic("events-limited", 1);

        Run run = replay(RSC15_TEST.toString(), "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "events-limited",
                "--limit", "1000", "--speedup", "1000000000");

        assertThat(run.exitCode()).as(run.output()).isZero();
        List<ConsumerRecord<byte[], byte[]>> records = KAFKA.consumeCommitted("events-limited", 1000, Duration.ofSeconds(60));
        assertThat(records).hasSize(1000);
        List<Long> times = records.stream().map(r -> decodeValid(r.value()).getEventTime().toEpochMilli()).toList();
        assertThat(times).as("one partition: the whole stream in event-time order").isSorted();
    }

    @Test
    void rejectsConflictingPacingAndMissingFiles() {
        assertThat(replay(RSC15_TEST.toString(), "--rate", "10", "--speedup", "2").exitCode()).isEqualTo(2);
        assertThat(replay("/nonexistent/file.txt", "--bootstrap-servers", KAFKA.bootstrapServers()).exitCode()).isEqualTo(2);
    }

    private ClickEvent decodeValid(byte[] value) {
        DecodeResult<ClickEvent> result = codec.decodeAndValidate(value);
        assertThat(result).isInstanceOf(DecodeResult.Decoded.class);
        return ((DecodeResult.Decoded<ClickEvent>) result).value();
    }
}
