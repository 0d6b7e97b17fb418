package org.streamrec.flink.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.SessionDataset;
import org.streamrec.flink.kafka.KafkaBrokerExtension;

import picocli.CommandLine;

/** The replay tool's command line against a real broker, on the OTTO sample (typed events, ms timestamps). */
class ReplayToolIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void replaysEveryEventOnceKeyedByUserWithEachSessionInOrder() throws Exception {
        Path file = Path.of(System.getProperty("streamrec.data.dir"), "otto-sample", "otto_train_sample.jsonl");
        SessionDataset data = DatasetReaders.read(file);
        KAFKA.createTopic("replay-events", 3);

        int exit = new CommandLine(new ReplayTool()).execute("--dataset", file.toString(),
                "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "replay-events");
        assertThat(exit).isZero();

        List<ConsumerRecord<byte[], byte[]>> records =
                KAFKA.consumeCommitted("replay-events", (int) data.eventCount(), Duration.ofSeconds(30));
        assertThat((long) records.size()).isEqualTo(data.eventCount());
        AvroCodec<ClickEvent> codec = AvroCodec.clickEvents();
        Map<Integer, List<ClickEvent>> byPartition = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            ClickEvent e = ((DecodeResult.Decoded<ClickEvent>) codec.decodeAndValidate(r.value())).value();
            assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(e.getUserId());
            byPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(e);
        }
        // Within a partition (so within a user) positions of a session only go up.
        for (List<ClickEvent> partition : byPartition.values()) {
            Map<String, Integer> last = new HashMap<>();
            for (ClickEvent e : partition) {
                int position = Integer.parseInt(e.getEventId().substring(e.getEventId().lastIndexOf('-') + 1));
                assertThat(position).isEqualTo(last.getOrDefault(e.getSessionId(), -1) + 1);
                last.put(e.getSessionId(), position);
            }
        }
    }
}
