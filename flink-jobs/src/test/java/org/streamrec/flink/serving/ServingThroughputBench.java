package org.streamrec.flink.serving;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecParams;
import org.streamrec.model.ItemVocabulary;
import org.streamrec.model.ModelSnapshot;

/**
 * Not part of the default run (the name matches neither Surefire's nor Failsafe's pattern); run it with
 * {@code ./mvnw -B -o -q -pl flink-jobs -am test -Dtest=ServingThroughputBench -Dsurefire.failIfNoSpecifiedTests=false}.
 * Events/s of the session operator alone (heap state, one thread) with a randomly initialised GRU4Rec over a
 * 50k-item catalogue, for several micro-batch sizes: the number that says whether batching pays.
 */
class ServingThroughputBench {

    private static final int ITEMS = 50_000;
    private static final int USERS = 20_000;
    private static final int EVENTS = 6_000;

    @Test
    void eventsPerSecondByBatchSize() throws Exception {
        Path snapshot = Files.createTempDirectory("serving-bench");
        List<String> ids = new ArrayList<>();
        long[] popularity = new long[ITEMS];
        for (int i = 0; i < ITEMS; i++) {
            ids.add("item-" + i);
            popularity[i] = ITEMS - i;
        }
        Gru4RecModel model = Gru4RecModel.create(Gru4RecParams.defaults().with("layers", "100"),
                new ItemVocabulary(ids), popularity);
        model.bumpVersion(1);
        ModelSnapshot.save(model, null, snapshot);
        for (int batch : new int[] {1, 16, 64, 128, 256}) {
            run(snapshot, batch);  // warm-up
            double rate = run(snapshot, batch);
            System.out.printf("batch-max-size %4d: %,8.0f events/s%n", batch, rate);
        }
    }

    private static double run(Path snapshot, int batch) throws Exception {
        SessionRecommenderOperator operator = new SessionRecommenderOperator(
                new SessionSettings(20, 1_800_000, 86_400_000, 50, batch, 1_000_000, false), new SnapshotModelLoader(),
                snapshot.toUri().toString());
        SplittableRandom random = new SplittableRandom(1);
        try (var harness = new KeyedTwoInputStreamOperatorTestHarness<>(operator, ClickEvent::getUserId, null, Types.STRING)) {
            harness.open();
            long start = System.nanoTime();
            for (int i = 0; i < EVENTS; i++) {
                ClickEvent e = ClickEvent.newBuilder().setEventId("e" + i).setUserId("u" + random.nextInt(USERS))
                        .setItemId("item-" + random.nextInt(ITEMS)).setEventType(EventType.VIEW)
                        .setEventTime(Instant.ofEpochMilli(1_000L + i)).build();
                harness.processElement1(new StreamRecord<>(e, 1_000L + i));
            }
            harness.prepareSnapshotPreBarrier(1);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (harness.extractOutputValues().size() != EVENTS) {
                throw new AssertionError("expected one output per event");
            }
            return EVENTS / seconds;
        }
    }
}
