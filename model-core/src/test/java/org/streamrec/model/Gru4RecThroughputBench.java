package org.streamrec.model;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.streamrec.data.SessionDataset;

/**
 * Training throughput on diginetica (not a test: run by hand, see BENCHMARKS.md).
 * Arguments: {@code params-name-or-file batches [key=value ...]}; prints events/s after a warm-up
 * and an epoch-time extrapolation.
 */
public final class Gru4RecThroughputBench {

    public static void main(String[] args) {
        String paramsArg = args.length > 0 ? args[0] : "diginetica-bprmax";
        long batches = args.length > 1 ? Long.parseLong(args[1]) : 2000;
        Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            overrides.put(kv[0], kv[1]);
        }
        Gru4RecParams params = (paramsArg.endsWith(".properties") ? Gru4RecParams.load(Path.of(paramsArg))
                : Gru4RecParams.builtIn(paramsArg)).withOverrides(overrides);
        String file = "diginetica/diginetica_train.tsv.gz";
        long t0 = System.nanoTime();
        SessionDataset train = TestData.read(file);
        Gru4RecTrainer.Prepared prepared = Gru4RecTrainer.prepare(train, params);
        long events = 0;
        for (int[] s : prepared.sessions()) {
            events += s.length - 1;
        }
        System.out.printf("read %s: %d sessions, %d items, %d training events in %.1fs; params %s%n", file,
                prepared.sessions().length, prepared.model().itemCount(), events, (System.nanoTime() - t0) / 1e9, params.toMap());
        Gru4RecTrainer trainer = new Gru4RecTrainer(prepared.model());
        long warm = Math.max(1, batches / 10);
        long w0 = System.nanoTime();
        trainer.train(prepared.sessions(), 1, warm, TrainingListener.NONE);
        System.out.printf("warm-up %d batches (incl. sample cache fill) %.1fs%n", warm, (System.nanoTime() - w0) / 1e9);
        long[] done = new long[1];
        double[] rate = new double[1];
        long m0 = System.nanoTime();
        double[] loss = trainer.train(prepared.sessions(), 1, batches, p -> {
            done[0] = p.eventsDone();
            rate[0] = p.eventsPerSecond();
        });
        double secs = (System.nanoTime() - m0) / 1e9;
        double eps = done[0] / secs;
        System.out.printf("measured %d batches, %d events in %.1fs: %.0f events/s (%.1f ms/batch), loss %.4f; "
                        + "one epoch (%d events) ≈ %.1f min%n",
                batches, done[0], secs, eps, secs * 1000 / batches, loss[0], events, events / eps / 60);
    }
}
