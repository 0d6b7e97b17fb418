package org.streamrec.flink.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.flink.kafka.KafkaAnnouncementSink;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecParams;
import org.streamrec.model.ItemVocabulary;
import org.streamrec.model.ModelSnapshot;

/** What an announcement of a stored snapshot carries, and the Kafka record it travels in. */
class ModelAnnouncementsTest {

    @TempDir
    Path dir;

    @Test
    void carriesTheStoredSnapshotsFieldsAndOnlyFiniteMetrics() {
        StoredSnapshot stored = new StoredSnapshot("s3://models/v000007", "ab12", 7, 6, 1_234, 99_000);
        Map<String, Double> metrics = new HashMap<>();
        metrics.put("eventsTrained", 42.0);
        metrics.put("trainingLoss", Double.NaN);
        metrics.put("other", Double.POSITIVE_INFINITY);
        ModelAnnouncement a = ModelAnnouncements.of(stored, Instant.ofEpochMilli(1_700_000_000_123L), metrics);
        assertThat(a.getVersion()).isEqualTo(7);
        assertThat(a.getParentVersion()).isEqualTo(6);
        assertThat(a.getSnapshotUri()).hasToString("s3://models/v000007");
        assertThat(a.getChecksum()).hasToString("ab12");
        assertThat(a.getItemCount()).isEqualTo(1_234);
        assertThat(a.getTrainingEventsSeen()).isEqualTo(99_000);
        assertThat(a.getCreatedTime()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
        assertThat(a.getMetrics()).containsOnlyKeys("eventsTrained");
    }

    @Test
    void theAnnouncementOfASnapshotDirectoryComesFromItsManifest() throws Exception {
        Gru4RecModel model = Gru4RecModel.create(Gru4RecParams.defaults().with("layers", "4"),
                new ItemVocabulary(List.of("a", "b")), new long[] {1, 1});
        model.bumpVersion(3);
        Path snapshot = dir.resolve("v3");
        ModelSnapshot.Manifest manifest = ModelSnapshot.save(model, null, snapshot);

        ModelAnnouncement a = ModelAnnouncements.ofDirectory(snapshot, "hdfs://nn/models/v3");
        assertThat(a.getVersion()).isEqualTo(3);
        assertThat(a.getParentVersion()).isEqualTo(manifest.parentVersion());
        assertThat(a.getSnapshotUri()).hasToString("hdfs://nn/models/v3");
        assertThat(a.getChecksum()).hasToString(ModelSnapshot.checksum(snapshot));
        assertThat(a.getItemCount()).isEqualTo(2);
        // timestamp-millis: the manifest's time to the millisecond
        assertThat(a.getCreatedTime()).isEqualTo(Instant.parse(manifest.createdAt()).truncatedTo(ChronoUnit.MILLIS));
        assertThat(a.getMetrics()).isEmpty();
    }

    @Test
    void theKafkaRecordIsKeyedByModelNameWithTheCodecsEncoding() {
        AvroCodec<ModelAnnouncement> codec = AvroCodec.modelAnnouncements();
        ModelAnnouncement a = ModelAnnouncements.of(new StoredSnapshot("file:/m/v1", "00", 1, 0, 2, 3),
                Instant.EPOCH, Map.of());
        ProducerRecord<byte[], byte[]> record = KafkaAnnouncementSink.record("model-updates", "model", a, codec);
        assertThat(record.topic()).isEqualTo("model-updates");
        assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("model");
        assertThat(((DecodeResult.Decoded<ModelAnnouncement>) codec.decode(record.value())).value()).isEqualTo(a);
    }
}
