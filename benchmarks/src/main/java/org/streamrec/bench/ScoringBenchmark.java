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
 * Full-catalogue scoring. {@code servingTop20_*}: what the serving operator runs, {@link Gru4RecModel#topKRows}
 * (the model's scoring kernel over L2-sized slices of the catalogue, each slice offered to every row's top-k).
 * {@code scoreTop20_*}: the whole {@code [batch x items]} matrix with {@link Gru4RecModel#scoreBatch} (the same
 * kernel, as offline evaluation uses it), then {@link TopK} once per row; {@code scoreOnly_*} leaves out the top-k.
 * {@code PlatformLimitsBenchmark.sgemm} gives ND4J's gemm on the same shapes, the reference they are compared with.
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
    private long servingChecksum;

    /**
     * The serving operator's path: {@link Gru4RecModel#topKRows}, which scores the catalogue in L2-sized slices with
     * the model's own kernel and offers each slice, plus the bias, to each row's top-k heap.
     */
    private long servingTopK(int batch) throws Exception {
        if (rowStates.size() != batch) {
            rowStates.clear();
            for (int r = 0; r < batch; r++) {
                rowStates.add(java.util.Arrays.copyOfRange(hiddenRows, r * hidden, (r + 1) * hidden));
            }
        }
        servingChecksum = 0;
        model.topKRows(rowStates, K, row -> null, (row, items, itemScores, count) -> servingChecksum += items[0]);
        return servingChecksum;
    }

    @Benchmark
    @OperationsPerInvocation(1)
    public long servingTop20_batch001() throws Exception {
        return servingTopK(1);
    }

    @Benchmark
    @OperationsPerInvocation(8)
    public long servingTop20_batch008() throws Exception {
        return servingTopK(8);
    }

    @Benchmark
    @OperationsPerInvocation(32)
    public long servingTop20_batch032() throws Exception {
        return servingTopK(32);
    }

    @Benchmark
    @OperationsPerInvocation(128)
    public long servingTop20_batch128() throws Exception {
        return servingTopK(128);
    }

    @Benchmark
    @OperationsPerInvocation(512)
    public long servingTop20_batch512() throws Exception {
        return servingTopK(512);
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
