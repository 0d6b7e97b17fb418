package org.streamrec.avro.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.codec.DecodeResult.Decoded;

/** Backs the thread-safety promise in {@link AvroCodec}'s javadoc: one instance shared by several threads. */
class AvroCodecConcurrencyTest {

  @Test
  void sharedCodecEncodesAndDecodesCorrectlyFromManyThreads() throws Exception {
    AvroCodec<ClickEvent> codec = AvroCodec.clickEvents();
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        Callable<Integer> work = () -> {
          int roundTrips = 0;
          for (int i = 0; i < 5_000; i++) {
            // Different lengths per thread, so a buffer shared by mistake would show up as a mismatch.
            ClickEvent event = SampleRecords.clickEvent().setEventId("evt-" + thread + "-" + "x".repeat(i % 50))
                .setItemId("item-" + i).build();
            DecodeResult<ClickEvent> result = codec.decode(codec.encode(event));
            assertThat(result).isEqualTo(new Decoded<>(event));
            roundTrips++;
          }
          return roundTrips;
        };
        results.add(pool.submit(work));
      }
      for (Future<Integer> result : results) {
        assertThat(result.get()).isEqualTo(5_000);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
