package org.streamrec.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecParams;
import org.streamrec.model.ItemVocabulary;

/** Seeded inputs shared by the benchmarks, so every run measures the same numbers of the same shapes. */
final class BenchModels {

    static final long SEED = 20261123L;

    private BenchModels() {
    }

    /**
     * A GRU4Rec model with {@code items} items and {@code hidden} units, initialised by the model's own seeded
     * initialisation (the official uniform ±sqrt(6/(fan_in+fan_out))), i.e. the weights of a fresh training run.
     */
    static Gru4RecModel model(int items, int hidden) {
        List<String> ids = new ArrayList<>(items);
        for (int i = 0; i < items; i++) {
            ids.add("item-" + i);
        }
        Gru4RecParams params = Gru4RecParams.defaults()
                .with("layers", Integer.toString(hidden))
                .with("seed", Long.toString(SEED));
        return Gru4RecModel.create(params, new ItemVocabulary(ids), new long[items]);
    }

    /** {@code count} floats uniform in (-1, 1): the range of a GRU hidden state. */
    static float[] uniform(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }

    /**
     * ND4J starts one OpenMP thread per core unless told otherwise, and two were slower than one here
     * (docs/ARCHITECTURE.md, "Platform facts"); the variable must be set before the JVM starts, so a fork without it would measure something else.
     */
    static void requireSingleBlasThread() {
        if (!"1".equals(System.getenv("OMP_NUM_THREADS"))) {
            throw new IllegalStateException("run the benchmarks with OMP_NUM_THREADS=1 in the environment "
                    + "(see BENCHMARKS.md), got OMP_NUM_THREADS=" + System.getenv("OMP_NUM_THREADS"));
        }
    }
}
