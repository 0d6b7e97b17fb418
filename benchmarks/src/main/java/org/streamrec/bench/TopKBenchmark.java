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
import org.streamrec.model.TopK;

/**
 * {@link TopK#select} (k = 20) over one row of scores. Rows are seeded Gaussian noise, several of them in turn,
 * so neither the caches nor the branch predictor see the same row twice in a row.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g"})
public class TopKBenchmark {

    private static final int ROWS = 16;

    @Param({"10000", "43097", "100000"})
    public int items;

    @Param({"20"})
    public int k;

    private float[] scores;
    private int[] topItems;
    private float[] topScores;
    private int row;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(BenchModels.SEED + 4);
        scores = new float[ROWS * items];
        for (int i = 0; i < scores.length; i++) {
            // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
            double u = 1.0 - random.nextDouble();
            scores[i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble()));
        }
        topItems = new int[k];
        topScores = new float[k];
    }

    @Benchmark
    public int select() {
        int offset = row * items;
        row = (row + 1) % ROWS;
        TopK.select(scores, offset, items, k, null, 0, topItems, topScores);
        return topItems[0];
    }
}
