package org.streamrec.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TopKTest {

    /** Reference: sort every eligible item by (score desc, index asc). */
    private static int[] bruteForce(float[] scores, int offset, int length, int k, int[] excluded) {
        List<Integer> eligible = new ArrayList<>();
        for (int i = 0; i < length; i++) {
            final int item = i;
            if (!Float.isNaN(scores[offset + i]) && Arrays.stream(excluded).noneMatch(e -> e == item)) {
                eligible.add(i);
            }
        }
        eligible.sort(Comparator.<Integer>comparingDouble(i -> -scores[offset + i]).thenComparingInt(i -> i));
        return eligible.stream().limit(k).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void matchesFullSortOnRandomRowsWithTiesExclusionsAndOffsets() {
        SplittableRandom random = new SplittableRandom(42);
        int[] outItems = new int[64];
        float[] outScores = new float[64];
        for (int trial = 0; trial < 3000; trial++) {
            int rows = 1 + random.nextInt(3);
            int length = 1 + random.nextInt(trial % 3 == 0 ? 20 : 500);
            int k = random.nextInt(1, 64);
            // Few distinct values make ties common; some trials use continuous scores.
            int distinct = trial % 2 == 0 ? 1 + random.nextInt(6) : Integer.MAX_VALUE;
            float[] matrix = new float[rows * length];
            for (int i = 0; i < matrix.length; i++) {
                matrix[i] = distinct == Integer.MAX_VALUE ? (float) random.nextGaussian() : random.nextInt(distinct) - 2;
                if (trial % 7 == 0 && random.nextInt(10) == 0) {
                    matrix[i] = Float.NaN;
                }
            }
            int row = random.nextInt(rows);
            int[] excluded = IntStream.range(0, random.nextInt(Math.min(length, 12) + 1))
                    .map(i -> random.nextInt(length)).toArray();
            int offset = row * length;

            int count = TopK.select(matrix, offset, length, k, excluded, excluded.length, outItems, outScores);

            int[] expected = bruteForce(matrix, offset, length, k, excluded);
            assertThat(Arrays.copyOf(outItems, count)).as("trial %d", trial).containsExactly(expected);
            for (int i = 0; i < count; i++) {
                assertThat(outScores[i]).isEqualTo(matrix[offset + outItems[i]]);
            }
        }
    }

    @Test
    void offeringARowInSlicesWithABiasEqualsSelectingOverTheSummedRow() {
        SplittableRandom random = new SplittableRandom(43);
        int[] heapItems = new int[40];
        float[] heapScores = new float[40];
        int[] outItems = new int[40];
        float[] outScores = new float[40];
        for (int trial = 0; trial < 2000; trial++) {
            int length = 1 + random.nextInt(trial % 3 == 0 ? 30 : 700);
            int k = random.nextInt(1, 40);
            int distinct = trial % 2 == 0 ? 1 + random.nextInt(5) : Integer.MAX_VALUE;
            float[] scores = new float[length];
            float[] bias = new float[length];
            float[] summed = new float[length];
            for (int i = 0; i < length; i++) {
                scores[i] = distinct == Integer.MAX_VALUE ? (float) random.nextGaussian() : random.nextInt(distinct);
                bias[i] = distinct == Integer.MAX_VALUE ? (float) random.nextGaussian() * 0.1f : 0.5f * random.nextInt(2);
                if (trial % 5 == 0 && random.nextInt(12) == 0) {
                    scores[i] = trial % 10 == 0 ? Float.NaN : Float.NEGATIVE_INFINITY;
                }
                summed[i] = scores[i] + bias[i];
            }
            int[] excluded = IntStream.range(0, random.nextInt(Math.min(length, 10) + 1))
                    .map(i -> random.nextInt(length)).toArray();

            int size = 0;
            for (int from = 0; from < length; ) {
                int len = Math.min(length - from, 1 + random.nextInt(100));
                // Each slice sits at its own offset in a larger array, as a slice of a multi-row tile does.
                int pad = random.nextInt(20);
                float[] tile = new float[pad + len];
                System.arraycopy(scores, from, tile, pad, len);
                size = TopK.offer(tile, pad, bias, from, len, from, k, excluded, excluded.length, heapItems, heapScores, size);
                from += len;
            }
            int count = TopK.finish(heapItems, heapScores, size);

            int expected = TopK.select(summed, 0, length, k, excluded, excluded.length, outItems, outScores);
            assertThat(Arrays.copyOf(heapItems, count)).as("trial %d", trial).containsExactly(Arrays.copyOf(outItems, expected));
            assertThat(Arrays.copyOf(heapScores, count)).as("trial %d", trial).containsExactly(Arrays.copyOf(outScores, expected));
        }
    }

    @Test
    void vectorAndScalarScansFindTheSamePositions() {
        ThresholdScan scalar = new ThresholdScan.Scalar();
        ThresholdScan vector = new VectorThresholdScan();
        SplittableRandom random = new SplittableRandom(44);
        for (int trial = 0; trial < 5000; trial++) {
            int length = random.nextInt(200);
            int offset = random.nextInt(17);
            float[] scores = new float[offset + length];
            float[] bias = new float[offset + length];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = (float) random.nextGaussian();
                bias[i] = random.nextInt(4) == 0 ? 0f : (float) random.nextGaussian() * 0.01f;
                if (random.nextInt(50) == 0) {
                    scores[i] = random.nextBoolean() ? Float.NaN : Float.POSITIVE_INFINITY;
                }
            }
            float threshold = (float) (1.5 + random.nextGaussian());
            int from = length == 0 ? 0 : random.nextInt(length + 1);
            for (float[] b : new float[][] {null, bias}) {
                int biasOffset = b == null ? 0 : offset;
                assertThat(vector.firstAbove(scores, offset, b, biasOffset, from, length, threshold))
                        .as("trial %d, bias %s", trial, b != null)
                        .isEqualTo(scalar.firstAbove(scores, offset, b, biasOffset, from, length, threshold));
            }
        }
    }

    @Test
    void vectorAndScalarCollectorsFindTheSameUpperBoundsAtLeastTheThreshold() {
        ThresholdScan scalar = new ThresholdScan.Scalar();
        ThresholdScan vector = new VectorThresholdScan();
        SplittableRandom random = new SplittableRandom(45);
        for (int trial = 0; trial < 3000; trial++) {
            int length = random.nextInt(300);
            int offset = random.nextInt(17);
            int from = random.nextInt(40);
            float[] products = new float[offset + length];
            float[] upperBias = new float[from + length];
            float[] residualNorm = new float[from + length];
            float[] itemSlack = new float[from + length];
            for (int i = 0; i < products.length; i++) {
                products[i] = (float) random.nextGaussian();
            }
            for (int i = 0; i < upperBias.length; i++) {
                upperBias[i] = (float) random.nextGaussian() * 0.1f;
                residualNorm[i] = (float) random.nextDouble() * 0.3f;
                itemSlack[i] = (float) random.nextDouble() * 0.01f;
            }
            // every so often a threshold that some bound equals exactly: "at least" must keep it
            float threshold = length > 0 && random.nextInt(4) == 0
                    ? ThresholdScan.upperBound(products[offset + length / 2], upperBias[from + length / 2],
                            residualNorm[from + length / 2], itemSlack[from + length / 2], 0.7f, 1.3f)
                    : (float) (1.5 + random.nextGaussian());
            int[] fromVector = new int[length];
            int[] fromScalar = new int[length];
            int count = vector.collectUpperAtLeast(products, offset, upperBias, residualNorm, itemSlack, from, length,
                    0.7f, 1.3f, threshold, fromVector);
            assertThat(Arrays.copyOf(fromVector, count)).as("trial %d", trial).containsExactly(Arrays.copyOf(fromScalar,
                    scalar.collectUpperAtLeast(products, offset, upperBias, residualNorm, itemSlack, from, length,
                            0.7f, 1.3f, threshold, fromScalar)));
            if (length > 0 && threshold == ThresholdScan.upperBound(products[offset + length / 2],
                    upperBias[from + length / 2], residualNorm[from + length / 2], itemSlack[from + length / 2], 0.7f, 1.3f)) {
                assertThat(Arrays.copyOf(fromVector, count)).contains(from + length / 2);
            }
        }
    }

    @Test
    void theServingJvmScansWithTheVectorApi() {
        // The build runs tests with --add-modules=jdk.incubator.vector, as the jobs run; without it the scan would
        // silently fall back to the scalar loop.
        assertThat(ThresholdScan.INSTANCE.name()).startsWith("Vector API");
    }

    @Test
    void tiesGoToTheLowerIndexAndOnlyTheUsedPartOfTheExclusionArrayCounts() {
        float[] row = {1f, 3f, 3f, 2f, 3f, 0f};
        int[] items = new int[3];
        float[] scores = new float[3];

        assertThat(TopK.select(row, 3, items, scores)).isEqualTo(3);
        assertThat(items).containsExactly(1, 2, 4);

        int[] excluded = {2, 1, 99};
        assertThat(TopK.select(row, 0, row.length, 3, excluded, 1, items, scores)).isEqualTo(3);
        assertThat(items).containsExactly(1, 4, 3);
        assertThat(scores).containsExactly(3f, 3f, 2f);
    }

    @Test
    void returnsFewerThanKWhenTooFewItemsAreEligible() {
        float[] row = {0.5f, Float.NaN, 0.25f};
        int[] items = new int[5];
        float[] scores = new float[5];
        assertThat(TopK.select(row, 0, 3, 5, new int[] {0}, 1, items, scores)).isEqualTo(1);
        assertThat(items[0]).isEqualTo(2);
        assertThat(TopK.select(row, 0, 3, 0, null, 0, items, scores)).isZero();
    }
}
