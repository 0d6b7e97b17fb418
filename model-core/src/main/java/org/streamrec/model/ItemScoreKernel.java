package org.streamrec.model;

/**
 * Full-catalogue scoring, {@code score[r][i] = Σ_d hidden[r][d] * W[i][d]} over every item {@code i}: the product that
 * dominates serving (8.6 MFLOP per event at 43k items and 100 units). Each score is one fused-multiply-add chain over
 * {@code d = 0 .. hidden-1} in that order, starting from zero, so a session's scores do not depend on what else is in
 * its batch, on where the item sits in a tile, or on which implementation ran: the Vector API one
 * ({@link VectorItemScoreKernel}) and the scalar fallback ({@code Math.fma}) give the same floats.
 *
 * <p>Why not {@code Nd4j.gemm}, which the model used before: measured on the serving shapes (43k items, 100 units,
 * one core), OpenBLAS through ND4J reached 35 GFLOP/s at 8 rows and 79 at 32 for the bare product, and the serving
 * path around it less, because it packs the whole weight matrix on every call and zeroes, writes and copies out the
 * whole {@code [rows x items]} result (a profile of the operator showed those as 25% of its thread); this kernel reads
 * weights packed once per model version, keeps a tile of 8 rows x 2 vectors of items in registers, and hands
 * L2-sized slices of scores straight to the top-k (BENCHMARKS.md, "Serving scoring kernel").
 *
 * <p>Packed layout: items in blocks of {@link #blockItems()}; block {@code b} holds, for each {@code d}, the weights
 * of its items at {@code d} side by side ({@code packed[(b * hidden + d) * blockItems + lane]}), zero past the last
 * item.
 */
abstract class ItemScoreKernel {

    static final ItemScoreKernel INSTANCE =
            SimdImplementations.choose(ItemScoreKernel.class, "org.streamrec.model.VectorItemScoreKernel", Scalar::new);

    /** Items per packed block. */
    abstract int blockItems();

    /**
     * Writes the scores of {@code rows} hidden vectors ({@code hiddenRows}, row-major, {@code hidden} wide) against
     * the items of blocks {@code [fromBlock, toBlock)} to {@code tile[r * tileStride + (item - fromBlock * blockItems())]};
     * {@code tileStride >= (toBlock - fromBlock) * blockItems()}.
     */
    abstract void scores(float[] packed, int hidden, float[] hiddenRows, int rows, int fromBlock, int toBlock,
                         float[] tile, int tileStride);

    /**
     * Writes to {@code out[j]} the score of item row {@code rowOffsets[j] / hidden} of {@code rowMajor} (an
     * {@code items x hidden} table; {@code rowOffsets[j]} is that row's first index) against the hidden vector at
     * {@code hiddenRows[hiddenOffset ..]}, for {@code j < count}: the same fused-multiply-add chain, and so the same
     * float, as {@link #scores} gives that item. For a few scattered items ({@link LowRankScoreBound}'s candidates).
     * {@code rowOffsets} and {@code out} must hold {@link #gatherCapacity}{@code (count)} entries: the kernel may
     * score whole vectors past {@code count}, overwriting those {@code rowOffsets} entries with a valid row and those
     * {@code out} entries with scores to ignore.
     */
    abstract void gatherScores(float[] rowMajor, int hidden, float[] hiddenRows, int hiddenOffset, int[] rowOffsets,
                               int count, float[] out);

    /** The length {@link #gatherScores}' arrays need for {@code count} items. */
    int gatherCapacity(int count) {
        return count;
    }

    /** {@link #gatherScores} for one item: the chain every implementation computes, one {@code Math.fma} at a time. */
    static float chain(float[] rowMajor, int rowOffset, float[] hiddenRows, int hiddenOffset, int hidden) {
        float acc = 0f;
        for (int d = 0; d < hidden; d++) {
            acc = Math.fma(rowMajor[rowOffset + d], hiddenRows[hiddenOffset + d], acc);
        }
        return acc;
    }

    abstract String name();

    /** {@code embedding} ({@code items x hidden}, row-major) in this kernel's packed layout. */
    final float[] pack(float[] embedding, int items, int hidden) {
        int width = blockItems();
        int blocks = blocks(items);
        float[] packed = new float[blocks * hidden * width];
        for (int item = 0; item < items; item++) {
            int block = item / width;
            int lane = item % width;
            for (int d = 0; d < hidden; d++) {
                packed[(block * hidden + d) * width + lane] = embedding[item * hidden + d];
            }
        }
        return packed;
    }

    final int blocks(int items) {
        return (items + blockItems() - 1) / blockItems();
    }

    /** One {@code Math.fma} chain per score: the same floats as the vector kernel, without the speed. */
    static final class Scalar extends ItemScoreKernel {
        private static final int WIDTH = 16;

        @Override
        int blockItems() {
            return WIDTH;
        }

        @Override
        void scores(float[] packed, int hidden, float[] hiddenRows, int rows, int fromBlock, int toBlock,
                    float[] tile, int tileStride) {
            for (int r = 0; r < rows; r++) {
                int h = r * hidden;
                for (int b = fromBlock; b < toBlock; b++) {
                    int out = r * tileStride + (b - fromBlock) * WIDTH;
                    for (int lane = 0; lane < WIDTH; lane++) {
                        float acc = 0f;
                        for (int d = 0; d < hidden; d++) {
                            acc = Math.fma(packed[(b * hidden + d) * WIDTH + lane], hiddenRows[h + d], acc);
                        }
                        tile[out + lane] = acc;
                    }
                }
            }
        }

        @Override
        void gatherScores(float[] rowMajor, int hidden, float[] hiddenRows, int hiddenOffset, int[] rowOffsets,
                          int count, float[] out) {
            for (int j = 0; j < count; j++) {
                out[j] = chain(rowMajor, rowOffsets[j], hiddenRows, hiddenOffset, hidden);
            }
        }

        @Override
        String name() {
            return "scalar";
        }
    }
}
