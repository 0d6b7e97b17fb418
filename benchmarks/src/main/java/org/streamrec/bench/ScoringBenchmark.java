package org.streamrec.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.TopK;

/**
 * Full-catalogue scoring as the serving operator does it: {@link Gru4RecModel#scoreBatch} (copy the hidden rows
 * into ND4J, one {@code Nd4j.gemm} against every item, copy back, add the bias) and then {@link TopK} once per row.
 * {@code scoreOnly_*} leaves out the top-k, so the share of top-k is the difference.
 *
 * <p>Batch size is part of the method name rather than a {@code @Param} because {@link OperationsPerInvocation}
 * needs a constant: with it, JMH reports the cost per scored event, whatever the batch.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"})
public class ScoringBenchmark {

    static final int MAX_BATCH = 512;
    static final int K = 20;

    @Param({"10000", "43097", "100000"})
    public int items;

    @Param({"100", "512"})
    public int hidden;

    private Gru4RecModel model;
    private float[] hiddenRows;
    private float[] scores;
    private final int[] topItems = new int[K];
    private final float[] topScores = new float[K];

    @Setup
    public void setUp() {
        BenchModels.requireSingleBlasThread();
        model = BenchModels.model(items, hidden);
        hiddenRows = BenchModels.uniform(MAX_BATCH * hidden, BenchModels.SEED + 3);
        scores = new float[MAX_BATCH * items];
    }

    private long scoreAndSelect(int batch) {
        model.scoreBatch(hiddenRows, batch, scores);
        long checksum = 0;
        for (int r = 0; r < batch; r++) {
            TopK.select(scores, r * items, items, K, null, 0, topItems, topScores);
            checksum += topItems[0];
        }
        return checksum;
    }

    @Benchmark
    @OperationsPerInvocation(1)
    public long scoreTop20_batch001() {
        return scoreAndSelect(1);
    }

    @Benchmark
    @OperationsPerInvocation(8)
    public long scoreTop20_batch008() {
        return scoreAndSelect(8);
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public long scoreTop20_batch032() {
        return scoreAndSelect(32);
    }

    @Benchmark
    @OperationsPerInvocation(128)
    public long scoreTop20_batch128() {
        return scoreAndSelect(128);
    }

    @Benchmark
    @OperationsPerInvocation(512)
    public long scoreTop20_batch512() {
        return scoreAndSelect(512);
    }

    private final java.util.List<float[]> rowStates = new java.util.ArrayList<>();
    private long rowsChecksum;

    /**
     * The serving operator's path since the batched flush: {@link Gru4RecModel#scoreRows} (one gemm, then each row
     * copied out with its bias into a cache-resident buffer) and {@link TopK} on that row.
     */
    private long rowsAndSelect(int batch) throws Exception {
        if (rowStates.size() != batch) {
            rowStates.clear();
            for (int r = 0; r < batch; r++) {
                rowStates.add(java.util.Arrays.copyOfRange(hiddenRows, r * hidden, (r + 1) * hidden));
            }
        }
        rowsChecksum = 0;
        model.scoreRows(rowStates, (row, rowScores, offset) -> {
            TopK.select(rowScores, offset, items, K, null, 0, topItems, topScores);
            rowsChecksum += topItems[0];
        });
        return rowsChecksum;
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public long rowsTop20_batch032() throws Exception {
        return rowsAndSelect(32);
    }

    @Benchmark
    @OperationsPerInvocation(128)
    public long rowsTop20_batch128() throws Exception {
        return rowsAndSelect(128);
    }

    @Benchmark
    @OperationsPerInvocation(1)
    public float[] scoreOnly_batch001() {
        model.scoreBatch(hiddenRows, 1, scores);
        return scores;
    }

    @Benchmark
    @OperationsPerInvocation(8)
    public float[] scoreOnly_batch008() {
        model.scoreBatch(hiddenRows, 8, scores);
        return scores;
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public float[] scoreOnly_batch032() {
        model.scoreBatch(hiddenRows, 32, scores);
        return scores;
    }

    @Benchmark
    @OperationsPerInvocation(128)
    public float[] scoreOnly_batch128() {
        model.scoreBatch(hiddenRows, 128, scores);
        return scores;
    }

    @Benchmark
    @OperationsPerInvocation(512)
    public float[] scoreOnly_batch512() {
        model.scoreBatch(hiddenRows, 512, scores);
        return scores;
    }
}
