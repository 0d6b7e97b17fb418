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
