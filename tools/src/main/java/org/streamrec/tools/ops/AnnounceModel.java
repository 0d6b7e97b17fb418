package org.streamrec.tools.ops;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.flink.config.KafkaOptions;
import org.streamrec.flink.kafka.KafkaAnnouncementSink;
import org.streamrec.flink.kafka.Topics;
import org.streamrec.flink.model.AnnouncementSink;
import org.streamrec.flink.model.ModelAnnouncements;
import org.streamrec.model.ModelSnapshot;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Publishes a snapshot written by {@code recsys train} (or any {@link ModelSnapshot#save}) on the model-updates topic,
 * so running serving jobs swap to it, e.g. to put a model trained offline live next to the trainer job's versions.
 * The announcement is the trainer's ({@link ModelAnnouncements#ofDirectory}: version, parent, item count and events
 * seen from the manifest, the checksum the serving job verifies before swapping) and goes out the trainer's way
 * ({@link KafkaAnnouncementSink}). Key {@code model}: the topic is compacted, so it keeps the newest announcement.
 */
@Command(name = "announce-model", mixinStandardHelpOptions = true,
        description = "Announce a model snapshot on the model-updates topic.")
public final class AnnounceModel implements Callable<Integer> {

    static final String MODEL_NAME = "model";

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
        ModelAnnouncement announcement = ModelAnnouncements.ofDirectory(snapshot,
                snapshotUri != null ? snapshotUri : snapshot.toAbsolutePath().toUri().toString());
        try (AnnouncementSink.Writer writer = new KafkaAnnouncementSink(kafka.bootstrapServers(), topic, MODEL_NAME,
                Duration.ofSeconds(30)).open()) {
            writer.send(announcement);
        }
        System.out.printf("announced model version %d (%d items) at %s on %s%n", announcement.getVersion(),
                announcement.getItemCount(), announcement.getSnapshotUri(), topic);
        return 0;
    }
}
