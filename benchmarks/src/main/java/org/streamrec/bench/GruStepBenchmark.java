package org.streamrec.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.streamrec.model.Gru4RecModel;

/**
 * One serving-time GRU step ({@link Gru4RecModel#step}: input gemv + hidden gemv + gates on Java arrays), the
 * per-event cost the serving job pays before scoring. Items are visited in a seeded random order so the
 * embedding row is not always in L1.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g"})
public class GruStepBenchmark {

    @Param({"100", "512"})
    public int hidden;

    @Param({"43097"})
    public int items;

    private Gru4RecModel model;
    private float[] state;
    private int[] sequence;
    private int next;

    @Setup
    public void setUp() {
        model = BenchModels.model(items, hidden);
        state = BenchModels.uniform(hidden, BenchModels.SEED + 1);
        SplittableRandom random = new SplittableRandom(BenchModels.SEED + 2);
        sequence = new int[1 << 16];
        for (int i = 0; i < sequence.length; i++) {
            sequence[i] = random.nextInt(items);
        }
    }

    private final float[] batchRows = new float[128 * 512];
    private final int[] batchItems = new int[128];

    /**
     * {@link Gru4RecModel#stepBatch} of 128 sessions (what the serving operator's flush does), per event; compare with
     * {@link #step}. The hidden rows keep evolving from call to call, as sessions do.
     */
    @Benchmark
    @org.openjdk.jmh.annotations.OperationsPerInvocation(128)
    public float[] stepBatch128() {
        for (int r = 0; r < 128; r++) {
            batchItems[r] = sequence[next];
            next = (next + 1) & (sequence.length - 1);
        }
        model.stepBatch(batchRows, batchItems, 128);
        return batchRows;
    }

    @Benchmark
    public float[] step() {
        int item = sequence[next];
        next = (next + 1) & (sequence.length - 1);
        model.step(state, item);
        return state;
    }
}
