package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.ServingControl;
import org.streamrec.model.ModelSnapshot;

/**
 * Model faults (issue #8) on real GRU4Rec snapshots loaded by {@link SnapshotModelLoader}: an announcement whose
 * snapshot is corrupt, missing or not the version it claims leaves the operator serving the previous version, counts
 * {@code modelLoadFailures} and logs a warning; an announcement older than the serving version is ignored and counted
 * ({@code modelAnnouncementsIgnored}) without loading anything.
 */
class ModelFaultsTest {

    @TempDir
    Path dir;

    private Path v1;
    private Path v2;
    private SessionRecommenderOperator operator;
    private KeyedTwoInputStreamOperatorTestHarness<String, ClickEvent, Either<ModelAnnouncement, ServingControl>,
            Recommendation> harness;
    private long time = 1_000;

    @BeforeEach
    void startServingVersion1() throws Exception {
        v1 = dir.resolve("v1");
        v2 = dir.resolve("v2");
        SnapshotModelLoaderTest.saveModel(v1, 1);
        SnapshotModelLoaderTest.saveModel(v2, 2);
        operator = new SessionRecommenderOperator(new SessionSettings(5, 60_000, 3_600_000, 50, 1, 5, false),
                new SnapshotModelLoader(), v1.toUri().toString());
        harness = new KeyedTwoInputStreamOperatorTestHarness<>(operator, ClickEvent::getUserId, null, Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    /** One event of user {@code u}; returns its recommendation (batch size 1: answered at once). */
    private Recommendation event(String item) throws Exception {
        time += 1_000;
        harness.processElement1(new StreamRecord<>(ClickEvent.newBuilder().setEventId("e" + time).setUserId("u")
                .setItemId(item).setEventType(EventType.VIEW).setEventTime(java.time.Instant.ofEpochMilli(time))
                .build(), time));
        List<Recommendation> out = harness.extractOutputValues();
        return out.get(out.size() - 1);
    }

    /** Delivers the announcement, lets its load (if any) finish, and advances to the operator's check of it. */
    private void announceAndWait(ModelAnnouncement announcement) throws Exception {
        harness.processElement2(new StreamRecord<>(Either.Left(announcement)));
        operator.awaitModelLoad();
        harness.setProcessingTime(harness.getProcessingTime() + ServingModels.MODEL_LOAD_POLL_MS);
    }

    @Test
    void corruptMissingOrMislabelledSnapshotsKeepThePreviousVersionAndAreCountedAndLogged() throws Exception {
        assertThat(event("item-3").getModelVersion()).isEqualTo(1);

        Path corrupt = dir.resolve("v2-corrupt");
        copy(v2, corrupt);
        Path damaged = corruptOneDataFile(corrupt);

        try (LogCapture logs = LogCapture.capture()) {
            // 1. The announced checksum does not match the snapshot's manifest.
            ModelAnnouncement wrongChecksum = SnapshotModelLoaderTest.announcement(2, v2);
            wrongChecksum.setChecksum("0".repeat(64));
            announceAndWait(wrongChecksum);
            assertThat(event("item-4").getModelVersion()).isEqualTo(1);

            // 2. The manifest matches, but a data file was damaged after it was written.
            announceAndWait(SnapshotModelLoaderTest.announcement(2, corrupt));
            assertThat(event("item-5").getModelVersion()).isEqualTo(1);

            // 3. The snapshot is not there at all.
            ModelAnnouncement missing = SnapshotModelLoaderTest.announcement(2, v2);
            missing.setSnapshotUri(dir.resolve("never-written").toUri().toString());
            announceAndWait(missing);
            assertThat(event("item-6").getModelVersion()).isEqualTo(1);

            // 4. Announced as version 3, but the snapshot holds version 1.
            ModelAnnouncement mislabelled = SnapshotModelLoaderTest.announcement(1, v1);
            mislabelled.setVersion(3L);
            announceAndWait(mislabelled);
            Recommendation after = event("item-7");
            assertThat(after.getModelVersion()).isEqualTo(1);
            assertThat(after.getSessionId()).as("the session went on through every fault").isEqualTo("u@2000");

            assertThat(operator.metrics().modelLoadFailures.getCount()).isEqualTo(4);
            assertThat(operator.metrics().modelVersion.getValue()).isEqualTo(1);
            List<String> warnings = logs.lines().stream().filter(l -> l.startsWith("WARN")).toList();
            assertThat(warnings).hasSize(4).allSatisfy(l -> assertThat(l).contains("keeping version 1"));
            assertThat(warnings.get(0)).contains("the announcement says " + "0".repeat(64));
            assertThat(warnings.get(1)).contains(damaged.getFileName().toString());
            assertThat(warnings.get(2)).contains("never-written");
            assertThat(warnings.get(3)).contains("announced as version 3 holds version 1");
        }

        // The intact snapshot still goes live afterwards.
        announceAndWait(SnapshotModelLoaderTest.announcement(2, v2));
        assertThat(event("item-8").getModelVersion()).isEqualTo(2);
        assertThat(operator.metrics().modelLoadFailures.getCount()).isEqualTo(4);
    }

    @Test
    void anAnnouncementOlderThanTheServingVersionIsIgnoredWithoutLoading() throws Exception {
        announceAndWait(SnapshotModelLoaderTest.announcement(2, v2));
        assertThat(event("item-1").getModelVersion()).isEqualTo(2);

        try (LogCapture logs = LogCapture.capture()) {
            announceAndWait(SnapshotModelLoaderTest.announcement(1, v1));   // older
            announceAndWait(SnapshotModelLoaderTest.announcement(2, v2));   // the same again (e.g. a re-send)
            assertThat(logs.lines()).filteredOn(l -> l.contains("Ignoring model announcement")).hasSize(2);
        }
        assertThat(operator.metrics().announcementsIgnored.getCount()).isEqualTo(2);
        assertThat(operator.metrics().modelLoadFailures.getCount()).isZero();
        assertThat(operator.metrics().modelVersion.getValue()).isEqualTo(2);
        assertThat(event("item-2").getModelVersion()).isEqualTo(2);
    }

    private static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    /** Flips one byte in the middle of the largest file other than the manifest; returns that file. */
    private static Path corruptOneDataFile(Path snapshot) throws Exception {
        Path target;
        try (Stream<Path> files = Files.list(snapshot)) {
            target = files.filter(f -> !f.getFileName().toString().equals(ModelSnapshot.MANIFEST))
                    .max((a, b) -> Long.compare(a.toFile().length(), b.toFile().length())).orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(target);
        bytes[bytes.length / 2] ^= 0x5A;
        Files.write(target, bytes);
        return target;
    }
}
