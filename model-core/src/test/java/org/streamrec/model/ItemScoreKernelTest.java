package org.streamrec.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * The serving scores must not depend on the batch a session lands in, nor on the machine's vector width: otherwise
 * the streamed recommendations would drift from the offline evaluator's (TrainingServingSkewIT compares them bit for
 * bit). Each score is one fma chain; these tests hold both kernels to that.
 */
class ItemScoreKernelTest {

    private static float[] gaussian(SplittableRandom rnd, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * scale);
        }
        return a;
    }

    /** Scores of every row against every item, through {@code kernel}'s packed layout and its tiles. */
    private static float[] scoreAll(ItemScoreKernel kernel, float[] weights, int items, int hidden, float[] x, int rows,
                                    int sliceBlocks) {
        float[] packed = kernel.pack(weights, items, hidden);
        int width = kernel.blockItems();
        int blocks = kernel.blocks(items);
        int stride = sliceBlocks * width;
        float[] tile = new float[rows * stride];
        float[] out = new float[rows * items];
        for (int first = 0; first < blocks; first += sliceBlocks) {
            int last = Math.min(blocks, first + sliceBlocks);
            Arrays.fill(tile, Float.NaN);
            kernel.scores(packed, hidden, x, rows, first, last, tile, stride);
            int from = first * width;
            int len = Math.min(items, last * width) - from;
            for (int r = 0; r < rows; r++) {
                System.arraycopy(tile, r * stride, out, r * items + from, len);
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0} rows, {1} items, hidden {2}")
    @CsvSource({"1, 100, 100", "13, 1000, 100", "8, 77, 37", "21, 515, 64", "3, 5, 512"})
    void vectorAndScalarKernelsGiveTheSameFloatsCloseToTheExactProduct(int rows, int items, int hidden) {
        SplittableRandom rnd = new SplittableRandom(rows * 31L + items);
        float[] w = gaussian(rnd, items * hidden, 0.1);
        float[] x = gaussian(rnd, rows * hidden, 0.5);
        float[] vector = scoreAll(new VectorItemScoreKernel(), w, items, hidden, x, rows, 3);
        float[] scalar = scoreAll(new ItemScoreKernel.Scalar(), w, items, hidden, x, rows, 5);
        assertThat(vector).containsExactly(scalar);
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < items; i++) {
                double exact = 0;
                for (int d = 0; d < hidden; d++) {
                    exact += (double) x[r * hidden + d] * w[i * hidden + d];
                }
                assertThat((double) vector[r * items + i]).isCloseTo(exact, within(1e-4));
            }
        }
    }

    @Test
    void aRowScoresTheSameAloneAndAnywhereInABatch() {
        int items = 700;
        int hidden = 100;
        SplittableRandom rnd = new SplittableRandom(5);
        float[] w = gaussian(rnd, items * hidden, 0.1);
        float[] batch = gaussian(rnd, 19 * hidden, 0.5);
        VectorItemScoreKernel kernel = new VectorItemScoreKernel();
        float[] together = scoreAll(kernel, w, items, hidden, batch, 19, 4);
        // Rows 0-7 go through the 8-row tile, 8-15 another, 16-18 the 1-row tile; alone, each row uses the 1-row tile.
        for (int r = 0; r < 19; r++) {
            float[] alone = scoreAll(kernel, w, items, hidden, Arrays.copyOfRange(batch, r * hidden, (r + 1) * hidden), 1, 2);
            assertThat(Arrays.copyOfRange(together, r * items, (r + 1) * items)).as("row %d", r).containsExactly(alone);
        }
    }

    @Test
    void theServingJvmScoresWithTheVectorKernel() {
        assertThat(ItemScoreKernel.INSTANCE.name()).startsWith("Vector API");
    }
}
