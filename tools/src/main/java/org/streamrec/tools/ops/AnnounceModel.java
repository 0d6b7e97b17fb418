package org.streamrec.tools.ops;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.flink.config.KafkaOptions;
import org.streamrec.flink.kafka.Topics;
import org.streamrec.flink.serving.SnapshotModelLoader;
import org.streamrec.model.ModelSnapshot;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Publishes a snapshot written by {@code recsys train} (or any {@link ModelSnapshot#save}) on the model-updates topic,
 * so running serving jobs swap to it. Until the trainer job exists, this is how a new model goes live. Version,
 * parent, item count and events seen come from the snapshot's manifest; the checksum is the manifest's SHA-256
 * ({@link SnapshotModelLoader#manifestChecksum}), which the serving job verifies before swapping. Key {@code model}:
 * the topic is compacted, so it keeps the newest announcement.
 */
@Command(name = "announce-model", mixinStandardHelpOptions = true,
        description = "Announce a model snapshot on the model-updates topic.")
public final class AnnounceModel implements Callable<Integer> {

    static final byte[] KEY = "model".getBytes(StandardCharsets.UTF_8);

    @Option(names = "--snapshot", required = true, description = "Local snapshot directory.")
    Path snapshot;

    @Option(names = "--snapshot-uri",
            description = "URI the serving jobs load it from, if not this local directory (e.g. after copying it to s3://).")
    String snapshotUri;

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--topic", defaultValue = Topics.MODEL_UPDATES, description = "Default: ${DEFAULT-VALUE}.")
    String topic;

    public static void main(String[] args) {
        System.exit(new CommandLine(new AnnounceModel()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ModelAnnouncement announcement = announcementOf(snapshot,
                snapshotUri != null ? snapshotUri : snapshot.toAbsolutePath().toUri().toString());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, KEY, AvroCodec.modelAnnouncements().encode(announcement)))
                    .get(30, TimeUnit.SECONDS);
        }
        System.out.printf("announced model version %d (%d items) at %s on %s%n", announcement.getVersion(),
                announcement.getItemCount(), announcement.getSnapshotUri(), topic);
        return 0;
    }

    /** The announcement of the snapshot in {@code dir}, to be loaded from {@code uri}. */
    public static ModelAnnouncement announcementOf(Path dir, String uri) throws java.io.IOException {
        ModelSnapshot.Manifest manifest = ModelSnapshot.readManifest(dir);
        Instant created;
        try {
            created = Instant.parse(manifest.createdAt());
        } catch (DateTimeParseException | NullPointerException e) {
            created = Instant.now();
        }
        return ModelAnnouncement.newBuilder()
                .setVersion(manifest.version())
                .setParentVersion(manifest.parentVersion())
                .setSnapshotUri(uri)
                .setChecksum(SnapshotModelLoader.manifestChecksum(dir))
                .setItemCount(manifest.itemCount())
                .setTrainingEventsSeen(manifest.eventsSeen())
                .setCreatedTime(created)
                .build();
    }
}
